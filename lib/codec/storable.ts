/**
 * What the encodings refuse in one object, checked where an action stores a
 * fresh value rather than at the next snapshot: an action that stores an
 * instance of an unregistered class, a function or an accessor fails at
 * once with NOT_SERIALIZABLE (and is rolled back), instead of being
 * journaled and leaving every later snapshot failing. The rules are the
 * encoders' own (tree.ts, graph.ts), applied to the object itself and to the
 * things it holds, following their traversal.
 */
import type { DateTime } from 'luxon';
import type { ClassRegistry } from './registry';
import { borrowStack, giveBack, type OwnStack } from '../isolation/own-array';
import { PrevalenceError } from '../errors';
import { ACCESSOR, failurePath, Unstorable } from './failure';
import { eachEntry, eachMember } from './raw-iteration';
import {
  namedWhat,
  refuseBuiltinExtras,
  storedLastIndex,
  refuseIndexedExtras,
  refuseCustomZone,
  refuseUnkeptBuffer,
  refuseSymbolKeys,
  storedValue,
  SYMBOL_KEY,
  refuseOverlongArray,
} from './extras';
import {
  builtinBase,
  builtinKind,
  describeUnstorable,
  isNativeConstructor,
  isPrototypeObject,
  refuseOwnWeekSettings,
  registeredName,
} from './kinds';

/** True when the encodings keep an object with prototype `proto` as itself (its contents aside). */
export function isStorableKind(
  value: object,
  proto: object | null,
  registry: ClassRegistry,
): boolean {
  if (builtinKind(value, proto) !== undefined) return true;
  return (
    proto !== null && !isPrototypeObject(value) && registeredName(proto, registry) !== undefined
  );
}

/**
 * The name of `value`'s class when it is an instance of an ordinary class
 * (one that extends no built-in type) that `registry` does not know, else
 * undefined: anything else the encodings refuse is not a class to register.
 */
export function unregisteredClassName(value: object, registry: ClassRegistry): string | undefined {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === null || builtinKind(value, proto) !== undefined || isPrototypeObject(value)) {
    return undefined;
  }
  const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  if (typeof ctor !== 'function' || ctor.prototype !== proto || isNativeConstructor(ctor)) {
    return undefined;
  }
  if (builtinBase(proto) !== undefined || registry.nameOf(ctor) !== undefined) return undefined;
  return ctor.name || '(anonymous)';
}

/**
 * The first instance of an unregistered ordinary class (see
 * unregisteredClassName) that the encodings would meet in `state`, with its
 * path, when it is the first thing they would refuse; else undefined. Walks
 * the whole state as a snapshot would (the restore asks only when a replayed
 * action stored an object of a kind it does not keep: see
 * UndoLog.replayKindTest).
 */
export function unregisteredClassIn(
  state: object,
  registry: ClassRegistry,
): { name: string; path: string } | undefined {
  try {
    checkStorable(state, 'the state', registry, () => false);
  } catch (err) {
    const refused = err instanceof PrevalenceError ? refusalSource.get(err) : undefined;
    if (refused === undefined || refused.failure.container !== undefined) return undefined;
    const value = refused.failure.value;
    if (typeof value !== 'object' || value === null) return undefined;
    const name = unregisteredClassName(value, registry);
    return name === undefined ? undefined : { name, path: refused.path };
  }
  return undefined;
}

/** The failure each NOT_SERIALIZABLE of checkStorable was made from, and its path (read by unregisteredClassIn). */
const refusalSource = new WeakMap<PrevalenceError, { failure: Unstorable; path: string }>();

/** How many objects checkStorable looked into in all (for tests). */
export const storableStats = { checked: 0 };

/**
 * Throws NOT_SERIALIZABLE when the encodings would refuse `value` or what it
 * holds, following their own traversal (enumerable string-keyed properties,
 * array elements, Map entries, Set members): a kind they do not keep, a
 * symbol-keyed property, an enumerable named property of an array or a
 * built-in, an enumerable accessor, a function or a symbol. Objects for which
 * `skip` is true (already in the state, checked when they were stored) are
 * not looked into. The message names the place within `value`, stored at
 * `where` (e.g. `the value stored under "lines"`).
 */
export function checkStorable(
  value: unknown,
  where: string,
  registry: ClassRegistry,
  skip: (obj: object) => boolean,
  /** Objects checked by earlier calls (not looked into again), to which this call adds the ones it checks. */
  checked?: Set<object>,
): void {
  // No prototype (see ownList): a push would run a setter the program put at
  // an index of Array.prototype with the state objects the check walks.
  let stack: OwnStack<object> | undefined;
  try {
    if (typeof value !== 'object' || value === null) {
      refusePrimitive(value, registry);
      return;
    }
    if (checked?.has(value) === true) return;
    const seen = checked ?? new Set<object>();
    seen.add(value);
    stack = borrowStack<object>();
    const list = stack;
    list.push(value);
    const queue = (child: unknown): void => {
      if (typeof child !== 'object' || child === null || seen.has(child)) return;
      seen.add(child);
      if (!skip(child)) list.push(child);
      // Already in the state, so not looked into: but it may have been kept
      // only where snapshots do not look, and its own kind is cheap to ask.
      else refuseUnstorableKind(child, registry);
    };
    for (let obj = list.pop(); obj !== undefined; obj = list.pop()) {
      storableStats.checked++;
      refuseObject(obj, registry, queue);
    }
  } catch (err) {
    if (err instanceof Unstorable) throw storeError(err, value, where);
    throw err;
  } finally {
    if (stack !== undefined) giveBack(stack);
  }
}

/**
 * Throws NOT_SERIALIZABLE when the encodings would refuse own property `key`
 * of `obj`, about to be written by an action: a symbol-keyed property on any
 * object; an enumerable named (non-element) property of an array or a
 * built-in, or an enumerable `accessor` (the caller asks only for those).
 * `where` names the write.
 */
export function checkStorableProperty(
  obj: object,
  key: PropertyKey,
  where: string,
  accessor: boolean,
): void {
  if (typeof key === 'symbol') {
    throw new PrevalenceError('NOT_SERIALIZABLE', `${where} is ${SYMBOL_KEY}`);
  }
  const kind = builtinKind(obj, Object.getPrototypeOf(obj) as object | null);
  if (kind !== undefined && kind !== 'o' && kind !== 'n' && kind !== 'dt') {
    throw new PrevalenceError('NOT_SERIALIZABLE', `${where} is ${namedWhat(kind)}`);
  }
  if (accessor) throw new PrevalenceError('NOT_SERIALIZABLE', `${where} is ${ACCESSOR}`);
}

function storeError(failure: Unstorable, root: unknown, where: string): PrevalenceError {
  const inner = failurePath(failure, root, '');
  const place = inner === '' ? where : `${inner} in ${where}`;
  const err = new PrevalenceError('NOT_SERIALIZABLE', `${place} is ${failure.what}`);
  refusalSource.set(err, { failure, path: inner });
  return err;
}

/** Refuses an object of a kind the encodings cannot keep, without looking at what it holds. */
function refuseUnstorableKind(obj: object, registry: ClassRegistry): void {
  const proto = Object.getPrototypeOf(obj) as object | null;
  if (proto === Object.prototype || proto === null) return;
  if (isStorableKind(obj, proto, registry)) return;
  throw new Unstorable(obj, describeUnstorable(obj, registry));
}

function refusePrimitive(value: unknown, registry: ClassRegistry): void {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new Unstorable(value, describeUnstorable(value, registry));
  }
}

/** Refuses what `obj` itself holds that the encodings cannot keep, and queues the objects it holds. */
function refuseObject(obj: object, registry: ClassRegistry, queue: (child: unknown) => void): void {
  const proto = Object.getPrototypeOf(obj) as object | null;
  const kind = builtinKind(obj, proto);
  switch (kind) {
    case 'o':
    case 'n':
      return refuseProps(obj, registry, queue);
    case 'a': {
      const arr = obj as unknown[];
      refuseOverlongArray(arr);
      let present = 0;
      for (let i = 0; i < arr.length; i++) {
        const item = arr[i];
        if (item !== undefined || i in arr) present++;
        refusePrimitive(item, registry);
        queue(item);
      }
      return refuseIndexedExtras(arr, present, 'a');
    }
    case 'm':
      refuseBuiltinExtras(obj, kind);
      // By the built-ins taken at load (raw-iteration.ts): the Map may be the state's.
      eachEntry(obj as Map<unknown, unknown>, (v, k) => {
        refusePrimitive(k, registry);
        refusePrimitive(v, registry);
        queue(k);
        queue(v);
      });
      return;
    case 's':
      refuseBuiltinExtras(obj, kind);
      eachMember(obj as Set<unknown>, (member) => {
        refusePrimitive(member, registry);
        queue(member);
      });
      return;
    case 't':
    case 'b':
      refuseIndexedExtras(obj as ArrayLike<unknown>, (obj as ArrayLike<unknown>).length, kind);
      return refuseUnkeptBuffer(obj, kind);
    case 'ab':
      refuseBuiltinExtras(obj, kind);
      return refuseUnkeptBuffer(obj, kind);
    case 'dt':
      refuseCustomZone(obj as DateTime);
      return refuseOwnWeekSettings(obj as DateTime);
    case 'r':
      refuseBuiltinExtras(obj, kind);
      storedLastIndex(obj as RegExp);
      return;
    case undefined:
      if (
        proto !== null &&
        !isPrototypeObject(obj) &&
        registeredName(proto, registry) !== undefined
      ) {
        return refuseProps(obj, registry, queue);
      }
      throw new Unstorable(obj, describeUnstorable(obj, registry));
    default:
      return refuseBuiltinExtras(obj, kind);
  }
}

function refuseProps(obj: object, registry: ClassRegistry, queue: (child: unknown) => void): void {
  refuseSymbolKeys(obj);
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const value = storedValue(obj, keys[i] as string);
    refusePrimitive(value, registry);
    queue(value);
  }
}
