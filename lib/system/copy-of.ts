import { isPrevalenceError, PrevalenceError } from '../errors';
import { deepCopy } from '../codec/copy';
import { globalRegistry } from '../codec/registry';
import { rawOwner, trackingToRaw, viewTarget } from '../isolation/registry';
import { currentLog, isOtherOpen, refuseForeignUse, refuseHeldView } from '../isolation/undo';
import type { LuxonDateTime, ReadonlyDate } from '../isolation/types';
import type { SystemControls } from './types';
import { isGivenInstance, rootOfSystemObject } from './exporter';
import { refuseInsideAction } from './runner';

/**
 * What {@link copyOf} returns for a value typed `T`: `T` with the read-only
 * marks of `DeepReadonly` taken off, at every depth, so a copy of a
 * view of a `T` is usable where a `T` is expected (`ReadonlyArray` becomes an
 * array, a read-only tuple a tuple, `ReadonlyMap` a Map, `ReadonlySet` a
 * Set, a read-only Date a Date, a read-only typed array or Buffer one of its
 * type, and a method returns what it returns on the copy, mutable); a luxon
 * DateTime stays one, and the system object's {@link SystemControls}
 * (`close()`, …) are left out: a copy of the system object is its state. As
 * with DeepReadonly, private members of a class are not kept (mapped types
 * drop them).
 */
export type DeepMutable<T> = unknown extends T
  ? T
  : T extends Primitive
    ? T
    : T extends (...args: infer A) => infer R
      ? (...args: A) => DeepMutable<R>
      : T extends LuxonDateTime
        ? T
        : T extends ReadonlyMap<infer K, infer V>
          ? Map<DeepMutable<K>, DeepMutable<V>>
          : T extends ReadonlySet<infer E>
            ? Set<DeepMutable<E>>
            : T extends ReadonlyArray<unknown>
              ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
              : T extends ReadonlyDate
                ? Date
                : T extends ArrayBufferView & { subarray(begin?: number, end?: number): infer A }
                  ? A // a typed array's or Buffer's own type (ReadonlyTypedArray keeps subarray)
                  : T extends SystemControls
                    ? DeepMutable<Omit<T, keyof SystemControls>>
                    : { -readonly [K in keyof T]: DeepMutable<T[K]> };

type Primitive = string | number | boolean | bigint | symbol | undefined | null;

/**
 * A deep copy of a read-only view (what a query, an action or a property
 * read of the system object handed out), or of any value holding views: an
 * ordinary, mutable object graph the program may change as it likes, which
 * changes nothing in the state (`structuredClone` refuses a view, which is
 * a Proxy). It holds what a snapshot keeps: own enumerable string-keyed
 * properties, array elements (holes kept), Map and Set contents, Dates,
 * RegExps, typed arrays, Buffers and ArrayBuffers (their bytes copied), and
 * luxon DateTimes; class instances keep their class (no constructor runs);
 * shared references and cycles are kept; any depth (no recursion). Given the
 * system object itself, it copies the whole state. Primitives come back as
 * they are.
 *
 * Throws `CLOSED` for a closed system object, and `NOT_SERIALIZABLE` for a
 * value (not a view) holding what a snapshot cannot keep, such as a function,
 * an Error, a DataView, or an instance of a class extending a built-in type
 * or with #private members (an instance of any other class, registered or
 * not, is copied with its class).
 * In `'clone'` isolation results are copies already; in `'none'` this copies
 * the live objects it is given. Inside an action it copies what the action
 * reaches through `this` and its arguments; a system object, a view kept in
 * a variable, or another system's state object is refused with
 * `NONDETERMINISTIC_METHOD`, failing the action, as reading it is (a replay
 * could not reach it).
 */
export function copyOf<T>(value: T): DeepMutable<T> {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return value as DeepMutable<T>;
  }
  try {
    return deepCopy(value, globalRegistry, undefined, { throughProxies: rawOf }) as DeepMutable<T>;
  } catch (err) {
    // The refusals speak of storing: say first why a copy refuses the same.
    if (!isPrevalenceError(err, 'NOT_SERIALIZABLE')) throw err;
    const why = err.message.slice('NOT_SERIALIZABLE: '.length);
    throw new PrevalenceError(
      'NOT_SERIALIZABLE',
      `copyOf copies what a snapshot can keep, and no more: ${why}`,
      { cause: err },
    );
  }
}

/**
 * The object a copy is made from in place of `obj`: a view's or tracking
 * proxy's raw object, a system object's root. Inside an action, what the
 * action could not read either is refused, as reading it is (the whole
 * action fails): a system object, a view (kept in a variable), another
 * system's state object; a replay could not copy them.
 */
function rawOf(obj: object): object {
  const root = rootOfSystemObject(obj);
  if (root !== undefined) {
    refuseInsideAction('copyOf(a system object)', false);
    if (root === null && isGivenInstance(obj)) {
      throw new PrevalenceError(
        'CLOSED',
        'copyOf was given an instance given to initSystem, whose system has been closed since: it answers for no open system; give it to initSystem again (a new system starts from the state it had) and copy from that, or copy from an open system',
      );
    }
    if (root === null) {
      throw new PrevalenceError(
        'CLOSED',
        'copyOf was given a system object that has been closed and let go of its state, so there is nothing to copy: copy from an open system',
      );
    }
    return root;
  }
  const running = currentLog();
  const tracked = trackingToRaw.get(obj);
  if (tracked !== undefined) {
    if (running !== null && isOtherOpen(rawOwner.get(tracked), running)) {
      refuseForeignUse(running, 'copyOf');
    }
    return tracked;
  }
  const raw = viewTarget(obj);
  if (raw === undefined) return obj;
  if (running !== null) refuseHeldView(running, 'copyOf of');
  return raw;
}
