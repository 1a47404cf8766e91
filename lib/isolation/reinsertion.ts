/**
 * Which Maps and Sets a rollback gave entries back to. JavaScript can only
 * put an entry back at the end of a Map or Set, so an iterator that was
 * running over one meets what a rollback put back a second time: a loop
 * calling an `@abortOnException` method that deletes the current key and
 * throws would never end. Iterators handed out by tracking proxies and
 * views (builtin-common.ts) check here and take up their place again
 * after the last key they gave.
 */

/** Bumped by every rollback that puts entries back into a Map or Set. */
let epoch = 0;
/** Collection → the epoch of the last rollback that put entries back into it. */
const putBackAt = new WeakMap<object, number>();

/** Called by an undo entry that put entries back into `collection` (re-added at its end). */
export function notePutBack(collection: object): void {
  putBackAt.set(collection, ++epoch);
}

/** The current epoch: an iterator remembers it and compares it on every step (one number, no lookup). */
export function putBackEpoch(): number {
  return epoch;
}

/** True when a rollback put entries back into `collection` after epoch `since`. */
export function putBackSince(collection: object, since: number): boolean {
  return (putBackAt.get(collection) ?? 0) > since;
}
