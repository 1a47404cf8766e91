import { types } from 'node:util';
import { isPrevalenceError, PrevalenceError } from '../errors';
import { isArrayIndex, isNumericKey } from './kinds';
import { isPassThrough, stateShape, trackingToRaw, viewTarget } from './registry';
import {
  ArrayLengthEntry,
  PropertyEntry,
  refuseHeldView,
  refuseIfForeign,
  refuseIfPrototype,
  requireLog,
  saveKeyOrder,
  type UndoEntry,
  type UndoLog,
} from './undo';
import {
  checkFreshForStorage,
  checkStorableOrRefuse,
  refuseClaimedByOther,
  storedUnder,
  unwrapFreshForStorage,
} from './unwrap';
import { keyLabel } from './violation';
import { ACCESSOR } from '../codec/failure';
import { MAX_ARRAY_LENGTH, hasCustomZone, overlongArray } from '../codec/extras';
import { hasOwnWeekSettings } from '../codec/kinds';
import type { DateTime } from 'luxon';
import { IN_COLLECTION, pathInState, recordStored, renderPath, toStep } from './paths';
import { isDerivedBytes } from './shared-bytes';
import { noteElementDefined } from './plain-elements';
import { appendOwn } from './own-array';

/**
 * Property-level changes made through tracking proxies: each applies the
 * change to the raw object and records its undo in the current log.
 */

/**
 * Prepares a value for storing under `key` of `parent`: a proxy or view
 * becomes its raw object, whose new place is recorded (see locate); when
 * its proxy was made during this action, it may be a fresh value read back
 * and moved, still holding proxies, so it is checked again when the action
 * ends like the fresh values (see UndoLog.addMoved). A fresh
 * object is checked now, deep (NOT_SERIALIZABLE for what a snapshot could
 * not keep, failing the whole action) but not changed, and remembered:
 * when the action ends it is checked again and the proxies inside it become
 * raw objects (see recheckFresh).
 */
export function storeValue(
  value: unknown,
  log: UndoLog,
  parent: object,
  key: unknown,
  viaMap: boolean,
  /** False for a slot the encodings do not keep (a non-enumerable or symbol-keyed property): no storage check. */
  encoded = true,
): unknown {
  if (typeof value !== 'object' || value === null) {
    // In a slot snapshots skip (elsewhere it is refused): see pure-query-guard.ts.
    if (!encoded && typeof value === 'function') stateShape.ownFunctionSeen = true;
    if (encoded && (typeof value === 'function' || typeof value === 'symbol')) {
      try {
        checkStorableOrRefuse(value, log, storedUnder(key));
      } catch (err) {
        throw namedRefusal(err, log, parent, key, viaMap);
      }
    }
    return value;
  }
  const proxied = trackingToRaw.get(value);
  const raw = proxied ?? viewTarget(value);
  if (raw !== undefined) {
    // A view, kept in a variable: inside an action the state comes as tracking proxies.
    if (proxied === undefined) refuseHeldView(log, 'storing');
    // A state object of another system (a reference a variable kept).
    refuseIfForeign(raw, log);
    refuseIfPrototype(raw, log);
    if (encoded) {
      // Not a slot snapshots skip: locate must answer only paths a restart keeps.
      recordStored(raw, parent, key, viaMap);
      refuseUnstorableStateObject(raw, log, key);
      // A restore: the replay runs no such check (see UndoLog.replayKindTest).
      log.noteReplayedKind(raw);
    }
    // One over a state object's bytes is checked when the action ends (see shared-bytes.ts).
    if (log.mayHoldProxies(raw) || isDerivedBytes(raw)) log.addMoved(raw);
    return raw;
  }
  // A DateTime as is; a Proxy of the program's own around one (its traps answer for it) is refused.
  if (isPassThrough(value) && !types.isProxy(value)) {
    // But not one with week settings snapshots would drop (see refuseOwnWeekSettings) or in a
    // zone of the program's own (see refuseCustomZone): the check refuses it, naming where.
    const dt = value as DateTime;
    if (encoded && log.storability !== undefined && (hasCustomZone(dt) || hasOwnWeekSettings(dt))) {
      try {
        checkStorableOrRefuse(value, log, storedUnder(key));
      } catch (err) {
        throw namedRefusal(err, log, parent, key, viaMap);
      }
    }
    return value;
  }
  if (log.storability !== undefined) refuseClaimedByOther(value, log);
  // Run in the replay of a version-1 record too: an earlier version's
  // action may have caught such a refusal, and must replay as it ran.
  if (!log.storesChecked) checkFreshOrRefuse(value, log, key, encoded, parent, viaMap);
  log.addFresh(value, parent, key, viaMap);
  return value;
}

/**
 * NOT_SERIALIZABLE, failing the whole action, when a state object stored into
 * a slot snapshots keep is of a kind they cannot (an unregistered class, a
 * URL): one kept until now only where snapshots do not look (a
 * non-enumerable property) was never checked against the encodings' rules.
 * Only the object's own kind, once per prototype: what it holds is not
 * walked, so moving a large part of the state stays cheap.
 */
function refuseUnstorableStateObject(raw: object, log: UndoLog, key: unknown): void {
  const storability = log.storability;
  if (storability === undefined) return;
  const proto = Object.getPrototypeOf(raw) as object | null;
  if (proto === Object.prototype || (proto === Array.prototype && Array.isArray(raw))) return;
  if (storability.kind(raw, proto)) return;
  checkStorableOrRefuse(raw, log, storedUnder(key));
}

/**
 * checkFreshForStorage, failing the whole action whatever it throws, even if
 * the action catches it (a frozen object; a Proxy of the program's own, whose
 * traps the walk ran), as the encodings' own refusals do: one rule for every
 * value a snapshot cannot keep.
 */
function checkFreshOrRefuse(
  value: object,
  log: UndoLog,
  key: unknown,
  encoded: boolean,
  parent: object,
  viaMap: boolean,
): void {
  try {
    checkFreshForStorage(value, log, key, encoded);
  } catch (err) {
    // A replay lets the action catch it, as the version that wrote the journal may have.
    if (log.replaying) throw err;
    const named = namedRefusal(err, log, parent, key, viaMap);
    log.refusal ??= named;
    throw named;
  }
}

/** `err` named by withPlaceInState, made the action's refusal in its stead if it was. */
function namedRefusal(
  err: unknown,
  log: UndoLog,
  parent: object,
  key: unknown,
  viaMap: boolean,
): Error {
  const named = withPlaceInState(err, log, parent, key, viaMap) as Error;
  // The check may have made it the refusal already (checkStorableOrRefuse).
  if (log.refusal === err) log.refusal = named;
  return named;
}

const MAX_NAMED_DEPTH = 32;

/**
 * A NOT_SERIALIZABLE refusal of a value stored under `key` of `parent`
 * naming the place by its path from the root (`tags[0]`, `meta.get("author")`)
 * rather than by the key alone, when `parent` is in the state; else `err` as
 * it is. Only on refusal: finding the path may search the state.
 */
function withPlaceInState(
  err: unknown,
  log: UndoLog,
  parent: object,
  key: unknown,
  viaMap: boolean,
): unknown {
  const root = log.root;
  if (root === undefined || !isPrevalenceError(err, 'NOT_SERIALIZABLE')) return err;
  const step = toStep(key, viaMap);
  const where = storedUnder(key);
  const text = err.message.slice('NOT_SERIALIZABLE: '.length);
  if (step === undefined || step === IN_COLLECTION || !text.includes(where)) return err;
  const path = pathInState(parent, root);
  // A deep place (a long chain built in place) stays named by its key: the message must stay short.
  if (path === undefined || path.length > MAX_NAMED_DEPTH) return err;
  const place = `the value the action stored at ${renderPath([...path, step])}`;
  return new PrevalenceError(
    'NOT_SERIALIZABLE',
    text.replace(where, () => place),
    { cause: err },
  );
}

/** True for a key that names an element of `target` (an array or typed array), not a named property. */
function isElementKey(target: object, key: PropertyKey): boolean {
  if (Array.isArray(target)) return isArrayIndex(key);
  return ArrayBuffer.isView(target) && isNumericKey(key);
}

/**
 * True when own property `key` of `target` (`builtin`: an array or a
 * built-in, as the tracking handler knows), as the flags describe it, is one
 * snapshots cannot keep whatever it holds: a symbol-keyed property; an
 * enumerable named property of an array or a built-in; an enumerable
 * accessor; an enumerable read-only data property (restored writable, so a
 * write that fails live would succeed in a replay).
 */
function isUnkeepable(
  target: object,
  key: PropertyKey,
  enumerable: boolean,
  accessor: boolean,
  writable: boolean,
  builtin: boolean,
): boolean {
  if (typeof key === 'symbol') return true;
  if (!enumerable) return false;
  if (builtin && !isElementKey(target, key)) return true;
  return accessor || !writable;
}

/** True for the `lastIndex` of a RegExp, which snapshots keep when it is a number. */
function isLastIndex(target: object, key: PropertyKey): boolean {
  return key === 'lastIndex' && types.isRegExp(target);
}

/**
 * Live actions only: notes a write that leaves own property `key` of
 * `target` `enumerable`, an `accessor` and `writable` or not, when that is
 * a form snapshots cannot keep; the
 * property is checked again when the action ends (checkWrittenProperties),
 * so one added for a moment and removed passes.
 */
function notePropertyWrite(
  log: UndoLog,
  target: object,
  key: PropertyKey,
  enumerable: boolean,
  accessor: boolean,
  writable: boolean,
  builtin: boolean,
): void {
  if (
    (log.storability ?? log.replayStoreCheck) !== undefined &&
    (isUnkeepable(target, key, enumerable, accessor, writable, builtin) || isLastIndex(target, key))
  ) {
    log.notePropertyWrite(target, key, builtin);
  }
}

/**
 * The end-of-action check of the properties notePropertyWrite noted: one
 * still in a form snapshots cannot keep throws NOT_SERIALIZABLE, and the
 * runner rolls the whole action back (a replay runs no such check, so a
 * journaled action must have passed it; otherwise every later snapshot
 * would fail, or a write refused live would succeed after a restart).
 */
function checkWrittenProperties(log: UndoLog): void {
  const storability = log.storability ?? log.replayStoreCheck;
  if (storability === undefined) return;
  for (let i = 0; i < log.writtenCount; i++) {
    const [target, key, builtin] = log.writtenAt(i);
    const desc = Reflect.getOwnPropertyDescriptor(target, key);
    if (desc === undefined) continue;
    const accessor = !('value' in desc);
    const enumerable = desc.enumerable === true;
    if (isLastIndex(target, key)) {
      // Snapshots keep a number only (storedLastIndex); a restart would fail to snapshot.
      const at: unknown = desc.value;
      if (typeof at !== 'number') {
        throw new PrevalenceError(
          'NOT_SERIALIZABLE',
          `the lastIndex the action wrote on a RegExp is ${at === null ? 'null' : typeof at}, not a number: snapshots keep it as a number only; set a number (where the next exec() or test() of a global or sticky RegExp starts)`,
        );
      }
      continue;
    }
    if (!isUnkeepable(target, key, enumerable, accessor, desc.writable === true, builtin)) continue;
    if (builtin && isElementKey(target, key)) {
      // An element: stored, as long as it is a plain writable value (not "a named property").
      const where = `the element ${keyLabel(key)} the action wrote`;
      if (accessor) throw new PrevalenceError('NOT_SERIALIZABLE', `${where} is ${ACCESSOR}`);
      refuseReadOnly(where);
    }
    const where = `the property ${keyLabel(key)} the action wrote`;
    storability.property(target, key, where, accessor);
    if (!accessor && enumerable && desc.writable === false) refuseReadOnly(where);
  }
}

/** The refusal of a stored read-only property (what the store-time checks do not leave to the encodings). */
function refuseReadOnly(where: string): never {
  throw new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${where} is read-only: snapshots restore properties writable (and a non-enumerable one not at all), so a write that fails now would succeed after a restart; keep it writable and refuse changes in the domain's methods`,
  );
}

/**
 * Live actions only: refuses, whole, an action assigning, defining or
 * deleting the root's `_clock` (perhaps under a key from a request): a
 * snapshot does not keep it, so the actions after it would run otherwise
 * after a restart.
 */
function refuseClockChange(log: UndoLog, target: object, key: PropertyKey, how: string): void {
  if (key !== '_clock' || target !== log.root || log.storability === undefined) return;
  const error = new PrevalenceError(
    'NOT_SERIALIZABLE',
    `the action ${how} \`_clock\`, the system's clock (this._clock.now(), .random(), …), which no action may change: a snapshot does not keep it, so later actions would run otherwise after a restart. If the key came from a request, check it against the fields you expect`,
  );
  log.refusal ??= error;
  throw error;
}

/**
 * Live actions only: a write to an own read-only data property (one an earlier
 * version let into the state, or a non-enumerable one, which snapshots do
 * not store) fails the whole action at once. It would fail live and, once
 * a snapshot restored the property writable or dropped it, succeed in the
 * replay.
 */
function refuseWriteToReadOnly(log: UndoLog, key: PropertyKey): void {
  if (log.storability === undefined) return;
  try {
    refuseReadOnly(`the property ${keyLabel(key)} the action wrote`);
  } catch (err) {
    log.refusal ??= err as Error;
    throw err;
  }
}

/** A definition that would leave a property non-configurable or read-only for good cannot be undone. */
function refuseIrreversible(
  log: UndoLog,
  key: PropertyKey,
  desc: PropertyDescriptor,
  old: PropertyDescriptor | undefined,
): void {
  const irreversible =
    old === undefined
      ? desc.configurable !== true
      : old.configurable
        ? desc.configurable === false
        : old.writable === true && desc.writable === false;
  if (!irreversible) return;
  refuseWhole(
    log,
    `property ${keyLabel(key)} would become non-configurable or read-only for good, which cannot be rolled back if the action fails nor kept by a snapshot: define it with configurable: true (and keep array lengths writable)`,
  );
}

/**
 * Notes making a property snapshots keep (enumerable, string-keyed) of an
 * object reached through `this` non-enumerable, refused when it is still so
 * as the action ends: snapshots do not store
 * non-enumerable properties, so this process would keep a value a restart
 * from the next snapshot drops (the fidelity review: a stored field hidden
 * by `Object.defineProperty(this, 'settings', { enumerable: false })` was
 * gone after a restart, and so was an array element made non-enumerable).
 */
function noteHidingStored(
  log: UndoLog,
  target: object,
  key: PropertyKey,
  desc: PropertyDescriptor,
  old: PropertyDescriptor | undefined,
): void {
  if (desc.enumerable !== false || old?.enumerable !== true || typeof key !== 'string') return;
  // Live only, like every store check; refused when the action ends (checkHiddenProperties).
  if (log.storability !== undefined) log.noteHidden(target, key);
}

/**
 * The end-of-action check of noteHidingStored: a property still there and
 * non-enumerable fails the whole action (a property made enumerable again,
 * or deleted, passes).
 */
function checkHiddenProperties(log: UndoLog): void {
  for (const [target, key] of log.hidden) {
    if (Reflect.getOwnPropertyDescriptor(target, key)?.enumerable !== false) continue;
    throw new PrevalenceError(
      'NOT_SERIALIZABLE',
      `the property ${keyLabel(key)} the action made non-enumerable was stored (enumerable), and a snapshot would drop it while this process keeps it: delete the property if it should go, or keep it enumerable`,
    );
  }
}

/**
 * Throws NOT_SERIALIZABLE failing the whole live action, even if it catches
 * the error (as the README says of every value a snapshot cannot keep). A
 * replay lets the action catch it: an earlier version's journal replays as it ran.
 */
function refuseWhole(log: UndoLog, message: string): never {
  const error = new PrevalenceError('NOT_SERIALIZABLE', message);
  if (!log.replaying) log.refusal ??= error;
  throw error;
}

function isNoop(old: PropertyDescriptor, desc: PropertyDescriptor): boolean {
  if (desc.get !== undefined || desc.set !== undefined || !('value' in old)) return false;
  return (
    (!('value' in desc) || Object.is(desc.value, old.value)) &&
    (desc.writable === undefined || desc.writable === old.writable) &&
    (desc.enumerable === undefined || desc.enumerable === old.enumerable) &&
    (desc.configurable === undefined || desc.configurable === old.configurable)
  );
}

/** Beyond this many slots a shrinking length lists the array's keys instead of probing each index. */
const PROBE_LIMIT = 4096;
const LIST_ABOVE = 1 << 24;

/**
 * Whether more than PROBE_LIMIT indices from `from` to `to` are to be
 * removed and most of them are holes, judged by PROBE_LIMIT indices spread
 * over the whole range (the first ones alone took a table filled at its
 * start and then empty up to a far index for dense, and probing it ran out
 * of memory: review).
 */
function mostlyHoles(arr: unknown[], from: number, to: number): boolean {
  const span = to - from;
  if (span <= PROBE_LIMIT) return false;
  // Listing costs the elements there are: never more than probing this many.
  if (span > LIST_ABOVE) return true;
  let holes = 0;
  for (let i = 0; i < PROBE_LIMIT; i++) {
    if (!Object.hasOwn(arr, from + Math.floor((i * span) / PROBE_LIMIT))) holes++;
  }
  return holes > PROBE_LIMIT / 2;
}

function lengthEntry(arr: unknown[], newLength: unknown): UndoEntry {
  const oldLength = arr.length;
  const removed: Array<[string, PropertyDescriptor]> = [];
  const n = Number(newLength);
  if (Number.isInteger(n) && n >= 0 && n < oldLength) {
    // Probing each removed index costs what the action removes; listing the
    // array's keys costs its size (0.3 s for a 1M-element array cut by 5000,
    // found by the cliff review), and is only cheaper for a sparse array
    // (`length = 1e9` with few elements), told by the holes in a sample.
    const keep = (key: string): void => {
      const desc = Reflect.getOwnPropertyDescriptor(arr, key);
      if (desc !== undefined) appendOwn(removed, [key, desc]);
    };
    if (mostlyHoles(arr, n, oldLength)) {
      // Every own name, non-enumerable elements too (an action may define one).
      for (const key of Object.getOwnPropertyNames(arr)) {
        if (isArrayIndex(key) && Number(key) >= n) keep(key);
      }
    } else {
      for (let i = n; i < oldLength; i++) keep(String(i));
    }
  }
  return new ArrayLengthEntry(arr, oldLength, removed);
}

function entryFor(
  target: object,
  key: PropertyKey,
  desc: PropertyDescriptor,
  old: PropertyDescriptor | undefined,
): UndoEntry {
  if (Array.isArray(target)) {
    if (key === 'length' && 'value' in desc) return lengthEntry(target, desc.value);
    if (old === undefined && isArrayIndex(key)) {
      return new PropertyEntry(target, key, undefined, target.length);
    }
  }
  return new PropertyEntry(target, key, old);
}

/**
 * [[DefineOwnProperty]] through a tracking proxy. `desc` must be a fresh
 * object (it is changed). `builtin`: `target` is an array or a built-in.
 */
export function defineTracked(
  target: object,
  key: PropertyKey,
  desc: PropertyDescriptor,
  builtin = false,
): boolean {
  const log = requireLog('defining property', key);
  refuseClockChange(log, target, key, 'defined');
  const old = Reflect.getOwnPropertyDescriptor(target, key);
  refuseIrreversible(log, key, desc, old);
  noteHidingStored(log, target, key, desc, old);
  const enumerable = desc.enumerable ?? old?.enumerable ?? false;
  if ('get' in desc || 'set' in desc) stateShape.ownGetterSeen = true;
  if ((log.storability ?? log.replayStoreCheck) !== undefined) {
    // What the property will be: `desc` completed by what it keeps of `old`.
    const accessor =
      'get' in desc || 'set' in desc
        ? true
        : !('value' in desc) && !('writable' in desc) && old !== undefined && !('value' in old);
    const writable = desc.writable ?? old?.writable === true;
    notePropertyWrite(log, target, key, enumerable, accessor, writable, builtin);
  }
  if ('value' in desc) {
    const encoded = typeof key === 'string' && enumerable;
    desc.value = storeValue(desc.value, log, target, key, false, encoded);
  }
  if (old !== undefined && isNoop(old, desc)) return true;
  if (Array.isArray(target)) refuseOverlong(log, lengthAfter(target, key, desc));
  const entry = entryFor(target, key, desc, old);
  if (!Reflect.defineProperty(target, key, desc)) return false;
  log.push(entry);
  if (Array.isArray(target) && isArrayIndex(key)) noteElementDefined(target, desc, old);
  return true;
}

/** The length of `arr` once `key` is defined as `desc` (its length unchanged when unknown). */
function lengthAfter(arr: unknown[], key: PropertyKey, desc: PropertyDescriptor): number {
  if (key === 'length') return typeof desc.value === 'number' ? desc.value : arr.length;
  return isArrayIndex(key) ? Math.max(arr.length, Number(key) + 1) : arr.length;
}

/**
 * Live actions only: refuses, whole, an action making an array of the state
 * longer than MAX_ARRAY_LENGTH, by an index, its length or a mutator, as
 * one stored new is refused (storeValue): every encoding and check walks an
 * array index by index, holes included, so each snapshot after it would
 * block the process for minutes.
 */
export function refuseOverlong(log: UndoLog, length: number): void {
  if (length > MAX_ARRAY_LENGTH && log.storability !== undefined) {
    refuseWhole(log, `the action made ${overlongArray(length)}`);
  }
}

/** [[Delete]] through a tracking proxy. */
export function deleteTracked(target: object, key: PropertyKey): boolean {
  const log = requireLog('deleting property', key);
  refuseClockChange(log, target, key, 'deleted');
  const old = Reflect.getOwnPropertyDescriptor(target, key);
  if (old === undefined) return true;
  if (!old.configurable) return false;
  saveKeyOrder(log, target, key);
  if (!Reflect.deleteProperty(target, key)) return false;
  log.push(new PropertyEntry(target, key, old));
  return true;
}

/** The descriptor of `key` on the prototype chain from `from` on (`from` included), read without running a getter. */
export function descriptorOnChain(
  from: object | null,
  key: PropertyKey,
): PropertyDescriptor | undefined {
  for (let o = from; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const desc = Reflect.getOwnPropertyDescriptor(o, key);
    if (desc !== undefined) return desc;
  }
  return undefined;
}

/**
 * [[Set]] through a tracking proxy that is its own receiver: the ordinary
 * algorithm, with the write itself done by defineTracked (one undo entry)
 * and setters called with the proxy as `this`. `builtin`: `target` is an
 * array or a built-in.
 */
export function setTracked(
  target: object,
  key: PropertyKey,
  value: unknown,
  proxy: object,
  builtin = false,
): boolean {
  const log = requireLog('assigning property', key);
  const own = Reflect.getOwnPropertyDescriptor(target, key);
  // The common cases, an ordinary data property written or a new one added
  // (no setter or read-only property inherited), take a plain assignment:
  // the same result as the full algorithm below, at a fraction of its cost.
  if (!Array.isArray(target)) {
    if (own === undefined) {
      const proto: unknown = Reflect.getPrototypeOf(target);
      if ((proto === null || !Reflect.has(proto as object, key)) && Object.isExtensible(target)) {
        if (builtin || typeof key === 'symbol') {
          notePropertyWrite(log, target, key, true, false, true, builtin);
        }
        const stored = storeValue(value, log, target, key, false, typeof key === 'string');
        log.push(new PropertyEntry(target, key, undefined));
        (target as Record<PropertyKey, unknown>)[key] = stored;
        return true;
      }
    } else if (own.writable === true && own.configurable === true) {
      if (key === '_clock') refuseClockChange(log, target, key, 'assigned');
      if (builtin || typeof key === 'symbol') {
        notePropertyWrite(log, target, key, own.enumerable === true, false, true, builtin);
      }
      const encoded = typeof key === 'string' && own.enumerable === true;
      const stored = storeValue(value, log, target, key, false, encoded);
      if (Object.is(own.value, stored)) return true;
      log.push(new PropertyEntry(target, key, own));
      (target as Record<PropertyKey, unknown>)[key] = stored;
      return true;
    }
  }
  const desc = own ?? descriptorOnChain(Object.getPrototypeOf(target) as object | null, key);
  if (desc !== undefined && !('value' in desc)) {
    if (desc.set === undefined) return false;
    Reflect.apply(desc.set, proxy, [value]);
    return true;
  }
  if (desc !== undefined && !desc.writable) {
    if (desc === own) refuseWriteToReadOnly(log, key);
    return false;
  }
  if (own !== undefined) return defineTracked(target, key, { value }, builtin);
  if (!Object.isExtensible(target)) return false;
  const fresh = { value, writable: true, enumerable: true, configurable: true };
  return defineTracked(target, key, fresh, builtin);
}

/**
 * Checks the fresh values stored during an action again when it ends:
 * proxies and views written into them after they were stored become raw
 * objects, and anything a snapshot could not keep that was made after the
 * store (a property locked through the raw reference) throws
 * NOT_SERIALIZABLE (the runner then rolls the whole action back).
 */
export function recheckFresh(log: UndoLog): void {
  for (let i = 0; i < log.freshCount; i++) {
    unwrapFreshForStorage(log.freshAt(i), log, log.placeAt(i));
  }
  for (let i = 0; i < log.movedCount; i++) unwrapFreshForStorage(log.movedAt(i), log);
  checkWrittenProperties(log);
  checkHiddenProperties(log);
}
