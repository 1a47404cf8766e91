/**
 * Internal arrays that hold raw state objects, safe from index accessors a
 * program puts on Array.prototype or Object.prototype.
 *
 * A [[Set]] at an index that is not an own property of the array (`push`,
 * `list[list.length] = x`) runs a setter the program defined at that index
 * of Array.prototype or Object.prototype, with the value and the array; a
 * read of a missing index runs a getter there with the array as `this`.
 * If the value or the array holds a raw state object, the program gets it
 * and can change the state without the journal seeing it.
 */

/**
 * An empty array with no prototype: a write at a missing index finds no
 * setter to run (it defines an own data property, as on any object whose
 * chain ends), and a read of one finds no getter. It has no methods
 * (`push`, iteration): write `list[list.length] = value` and read by index.
 * Writes cost about what they cost on an ordinary array.
 */
export function ownList<T>(): T[] {
  return Object.setPrototypeOf([], null) as T[];
}

/**
 * Adds `value` at the end of the ordinary array `list` as an own data
 * property: `push` (a [[Set]]) would run a setter the program put at that
 * index of Array.prototype or Object.prototype. Slower than push: for lists
 * off the hot paths.
 */
export function appendOwn(list: unknown[], value: unknown): void {
  Reflect.defineProperty(list, list.length, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

/** `list.push(value)` for an ownList (which has no methods). */
export function pushOwn<T>(list: T[], value: T): void {
  list[list.length] = value;
}

/** `list.pop()` for an ownList. */
export function popOwn<T>(list: T[]): T | undefined {
  const n = list.length;
  if (n === 0) return undefined;
  const value = list[n - 1];
  list.length = n - 1;
  return value;
}

/** Emptied ownLists kept for reuse: making one costs a prototype change (about 60 ns). */
const spare = ownList<unknown[]>();

/** An empty ownList, reused when one was given back (see giveBack): for lists made per call on hot paths. */
export function borrowList<T>(): T[] {
  return (popOwn(spare) as T[] | undefined) ?? ownList<T>();
}

/** Empties `list` (from borrowList) and keeps it for the next borrowList. */
export function giveBack(list: unknown[]): void {
  list.length = 0;
  if (spare.length < 8) pushOwn(spare, list);
}
