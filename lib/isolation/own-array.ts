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

/**
 * A stack in an ownList, grown and shrunk by a count of its own: shrinking
 * an array's `length` is a runtime call (about 35 ns a pop, measured, where
 * a count costs 2 ns). A popped slot is cleared, so the stack keeps nothing
 * it gave out.
 */
export class OwnStack<T> {
  readonly #items = ownList<T | undefined>();
  #top = 0;

  get size(): number {
    return this.#top;
  }

  push(value: T): void {
    this.#items[this.#top++] = value;
  }

  pop(): T | undefined {
    if (this.#top === 0) return undefined;
    const value = this.#items[--this.#top];
    this.#items[this.#top] = undefined;
    return value;
  }

  /** The value at `index` (below `size`), from the bottom. */
  at(index: number): T {
    return this.#items[index] as T;
  }

  /** Empties the stack (its slots cleared, its array kept). */
  clear(): void {
    for (let i = 0; i < this.#top; i++) this.#items[i] = undefined;
    this.#top = 0;
  }
}

/** Emptied stacks kept for reuse: making one costs a prototype change (about 60 ns). */
const spare = new OwnStack<OwnStack<unknown>>();

/** An empty OwnStack, reused when one was given back (see giveBack): for stacks made per call on hot paths. */
export function borrowStack<T>(): OwnStack<T> {
  return (spare.pop() as OwnStack<T> | undefined) ?? new OwnStack<T>();
}

/** Empties `stack` (from borrowStack) and keeps it for the next borrowStack. */
export function giveBack(stack: OwnStack<unknown>): void {
  stack.clear();
  if (spare.size < 8) spare.push(stack);
}
