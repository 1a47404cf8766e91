import {
  classify,
  callbackArrayArg,
  keepsStateReference,
  MAP_UPSERTS,
  methodLabel,
} from './methods';
import type { BuiltinKind, WrapperFactory } from './kinds';
import { IN_COLLECTION, markDetached } from './paths';
import { storeValue } from './record';
import {
  argToRaw,
  callbackWrapper,
  memberReader,
  rawArgs,
  readRaw,
  setOperation,
  type ChildOf,
  type Fn,
} from './builtin-common';
import { isView } from './registry';
import { noteDerivedBytes } from './shared-bytes';
import { requireLog } from './undo';
import { timeSlot } from '../codec/slots';
import { syncMirrors } from './date-mirrors';
import { mapGet, mapHas, mapSet, setHas } from '../codec/raw-iteration';
import {
  DateEntry,
  MapSetEntry,
  RegExpEntry,
  ResizeEntry,
  SetAddEntry,
  saveBytes,
  saveContents,
} from './undo-builtins';
import { readonlyViolation, unsupportedChange } from './violation';

type AnyMap = Map<unknown, unknown>;
type AnySet = Set<unknown>;

/** Like readRaw, but a view (method extracted from one tracking proxy and called on a view) is refused. */
function writeRaw(self: unknown, label: string): any {
  if (isView(self)) {
    throw readonlyViolation(`call ${label}`);
  }
  return readRaw(self);
}

/** How trackingFactory wraps what the built-ins' read methods return. */
export interface TrackingHooks {
  /** The tracking proxy of a value read from the raw object `parent`. */
  wrap(value: unknown, parent: object): unknown;
  /** The same, recording where the value was found when its proxy is made (see recordStep). */
  wrapChild: ChildOf;
}

/**
 * Wrapper factory for tracking proxies of one built-in kind: reads run on the
 * raw object and wrap object results; mutators record their undo in the
 * current log first. A Map's values, its keys and a Set's members are
 * wrapped with where they were found, as views record it, so an object an
 * action reads from a collection and stores elsewhere keeps a known path.
 * Wrappers are created once per method, at load.
 */
export function trackingFactory(kind: BuiltinKind, hooks: TrackingHooks): WrapperFactory {
  const { wrap, wrapChild } = hooks;
  const out = (result: unknown, raw: object): unknown => {
    if (typeof result !== 'object' || result === null) return result;
    if (!keepsStateReference(kind, result, raw)) return result;
    // A subarray() or Buffer slice(): storing it would share the state's bytes (see shared-bytes.ts).
    noteDerivedBytes(result, raw);
    return wrap(result, raw);
  };
  // A Set union, intersection, … made (a new Set of raw members): the
  // action's, never found in the state. Marked detached, as views mark the
  // ones they make, so one the action returns without storing it is copied
  // when passed back to an action, not refused as an object that left the
  // state (one it stored is found by its path first, see the exporter).
  const newSetOfAction = (result: unknown, raw: object): unknown => {
    if (typeof result !== 'object' || result === null) return result;
    markDetached(result);
    return wrap(result, raw);
  };
  return (name, original) => {
    const label = methodLabel(kind, name);
    // Built once per method: requireLog only shows it when it refuses a call.
    const calling = `calling ${label}`;
    const read = classify(kind, name);
    if (kind === 'map' && MAP_UPSERTS.has(name)) return mapUpsert(name, label, wrapChild);
    switch (read) {
      case 'mutate':
        return mutator(kind, name, original, label);
      case 'unknown':
        return () => {
          throw unsupportedChange(
            `${label}, a built-in method this version of prevalent does not know (it cannot tell whether the method changes the object, nor undo it),`,
            'call a method it knows instead, or change a copy the action makes and store that',
          );
        };
      case 'get':
      case 'forEach':
      case 'keys':
      case 'values':
      case 'entries':
        return memberReader(kind as 'map' | 'set', read, original, readRaw, wrapChild);
      case 'callback':
        return callbackWrapper(original, callbackArrayArg.get(name) ?? 2, out);
      case 'setOperation':
        return setOperation(
          original,
          readRaw,
          (raw, value) => wrapChild(raw, IN_COLLECTION, false, value),
          newSetOfAction,
        );
      case 'lastIndex':
        return function (this: unknown, ...args: unknown[]) {
          const raw = readRaw(this) as RegExp;
          if (!raw.global && !raw.sticky) return original.apply(raw, rawArgs(args));
          const log = requireLog(calling);
          const entry = new RegExpEntry(writeRaw(this, label));
          const before = raw.lastIndex;
          try {
            return original.apply(raw, rawArgs(args));
          } finally {
            if (raw.lastIndex !== before) log.push(entry);
          }
        };
      case 'copyInto':
        return function (this: unknown, target: unknown, ...rest: unknown[]) {
          const raw = readRaw(this);
          const into = argToRaw(target);
          // Into a state buffer (its tracking proxy): a change of that buffer, recorded for rollback.
          if (into !== target) saveBytes(requireLog(calling), writeRaw(target, label));
          return original.apply(raw, [into, ...rawArgs(rest)]);
        };
      case 'read':
        return function (this: unknown, ...args: unknown[]) {
          const raw = readRaw(this);
          return out(original.apply(raw, rawArgs(args)), raw);
        };
    }
  };
}

function mutator(kind: BuiltinKind, name: PropertyKey, original: Fn, label: string): Fn {
  const calling = `calling ${label}`;
  if (kind === 'map' || kind === 'set') return collectionMutator(kind, name, original, label);
  if (kind === 'arraybuffer' && name === 'grow') {
    return () => {
      throw unsupportedChange(
        `${label} (a SharedArrayBuffer never shrinks back, so the change could not be rolled back)`,
        'store a new buffer of the size you need instead',
      );
    };
  }
  if (kind === 'arraybuffer' && name !== 'resize') {
    return () => {
      throw unsupportedChange(`${label} (it detaches the buffer)`, 'copy it with slice() instead');
    };
  }
  return function (this: unknown, ...args: unknown[]) {
    const raw = writeRaw(this, label);
    const log = requireLog(calling);
    if (kind === 'date') {
      const before = timeSlot(raw as Date);
      const result = original.apply(raw, rawArgs(args));
      if (!Object.is(timeSlot(raw as Date), before)) {
        log.push(new DateEntry(raw, before));
        // Its view and tracking object are Dates of their own: they take the new time.
        syncMirrors(raw);
      }
      return result;
    }
    const plain = rawArgs(args);
    if (kind === 'regexp') log.push(new RegExpEntry(raw));
    else if (kind === 'arraybuffer') log.push(new ResizeEntry(raw));
    else saveBytes(log, raw as ArrayBufferView, name, plain);
    const result = original.apply(raw, plain);
    return result === raw ? this : result;
  };
}

// The built-ins as they were at load (with mapGet, mapHas and setHas from raw-iteration.ts): the
// program may have replaced them since, code that must not be handed the raw collection.
const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')!.get!;
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')!.get!;

function collectionMutator(
  kind: 'map' | 'set',
  name: PropertyKey,
  original: Fn,
  label: string,
): Fn {
  const calling = `calling ${label}`;
  if (name === 'set' || name === 'add') {
    return function (this: unknown, key: unknown, value?: unknown) {
      const raw = writeRaw(this, label);
      const log = requireLog(calling);
      // A Set member or Map key is found by its membership (see locate).
      const k = storeValue(key, log, raw, IN_COLLECTION, false);
      if (kind === 'set') {
        if (!setHas.call(raw, k)) log.push(new SetAddEntry(raw, k));
        original.call(raw, k);
        return this;
      }
      const v = storeValue(value, log, raw, k, true);
      const had = mapHas.call(raw, k);
      const old = mapGet.call(raw, k);
      if (!had || !Object.is(old, v)) log.push(new MapSetEntry(raw, k, had, old));
      original.call(raw, k, v);
      return this;
    };
  }
  // delete, clear: what insertion order needs to come back exactly (see saveContents).
  return function (this: unknown, ...args: unknown[]) {
    const raw = writeRaw(this, label) as AnyMap | AnySet;
    const log = requireLog(calling);
    const key = argToRaw(args[0]);
    const clear = name === 'clear';
    // The built-in has and size: an own `has` an action defined must not decide what is saved.
    const changes = clear
      ? (kind === 'map' ? mapSize : setSize).call(raw) > 0
      : (kind === 'map' ? mapHas : setHas).call(raw, key);
    if (changes) saveContents(log, raw, clear, key);
    return original.call(raw, key);
  };
}

/**
 * Map.prototype.getOrInsert(key, value) and getOrInsertComputed(key, make)
 * (native from Node 26) of a tracking proxy: when the key is missing, the
 * value (or what `make(key)` returns, the callback run first, as the
 * built-in does) is stored as the proxy's `set` stores it, checked and
 * recorded for rollback; the entry then comes back as the proxy's `get`
 * gives it. By the built-ins' wrappers, not through the proxy: an own
 * `set` or `get` an action gave the Map must not run in their place.
 */
function mapUpsert(name: PropertyKey, label: string, wrapChild: ChildOf): Fn {
  const calling = `calling ${label}`;
  const computed = name === 'getOrInsertComputed';
  const set = collectionMutator('map', 'set', mapSet as Fn, methodLabel('map', 'set'));
  const get = memberReader('map', 'get', mapGet as Fn, readRaw, wrapChild);
  return function (this: unknown, key: unknown, value: unknown) {
    const raw = writeRaw(this, label) as AnyMap;
    requireLog(calling);
    if (computed && typeof value !== 'function') {
      throw new TypeError(`${label}: the callback is not a function`);
    }
    // As the built-in: -0 is stored as 0, and the callback gets that key.
    const k = Object.is(key, -0) ? 0 : key;
    if (!mapHas.call(raw, argToRaw(k))) {
      // The callback may have stored the key meanwhile: `set` replaces it then, as the built-in does.
      const v = computed ? Reflect.apply(value as Fn, undefined, [k]) : value;
      set.call(this, k, v);
    }
    return get.call(this, k);
  };
}
