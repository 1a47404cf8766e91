/**
 * Iteration of raw Maps and Sets, and their own methods, by the built-ins as
 * they were when this module loaded. A program may replace `%MapIteratorPrototype%.next`,
 * `Map.prototype.forEach`, the array iterator, … while running; the walks,
 * encoders and the undo log go through raw state collections, and calling
 * the replacement would hand it the raw state objects (as `this`, or as the
 * results it returns). So: no `for…of`, no destructuring, no `Array.from`,
 * no `push` on what holds raw objects; the built-ins taken here, called
 * through `Function.prototype.call` bound at load. The lists are ownLists
 * (no prototype: an index setter on Array.prototype does not run).
 *
 * A Proxy (a view, a tracking proxy, or the program's own, which the
 * encoders meet in arguments) is iterated by the protocol, as before: it is
 * not a raw state object, and its own traps are what it yields (a view's,
 * views), or the TypeError the encoders name.
 */

import { types } from 'node:util';
import { ownList } from '../isolation/own-array';

const isProxy = types.isProxy;

type Step = { done?: boolean; value: unknown };

const uncurry = <F extends (...args: never[]) => unknown>(fn: F) =>
  Function.prototype.call.bind(fn) as unknown as (self: unknown, ...args: unknown[]) => unknown;

const mapIteratorProto = Object.getPrototypeOf(new Map().entries()) as { next: () => Step };
const setIteratorProto = Object.getPrototypeOf(new Set().values()) as { next: () => Step };

const mapForEach = uncurry(Map.prototype.forEach);
const setForEach = uncurry(Set.prototype.forEach);
const mapEntries = uncurry(Map.prototype.entries);
const mapKeys = uncurry(Map.prototype.keys);
const setValues = uncurry(Set.prototype.values);
const mapIteratorNext = uncurry(mapIteratorProto.next);
const setIteratorNext = uncurry(setIteratorProto.next);

// The collections' own methods as they were at load, called with `.call` on raw Maps and Sets
// (one set for the library: the walks, the undo log, the tracking proxies, paths, exporter).
export const mapGet = Map.prototype.get as (this: object, key: unknown) => unknown;
export const mapHas = Map.prototype.has as (this: object, key: unknown) => boolean;
export const mapSet = Map.prototype.set as (this: object, key: unknown, value: unknown) => unknown;
export const mapDelete = Map.prototype.delete as (this: object, key: unknown) => boolean;
export const mapClear = Map.prototype.clear as (this: object) => void;
export const setHas = Set.prototype.has as (this: object, value: unknown) => boolean;
export const setAdd = Set.prototype.add as (this: object, value: unknown) => unknown;
export const setDelete = Set.prototype.delete as (this: object, value: unknown) => boolean;
export const setClear = Set.prototype.clear as (this: object) => void;

/** Empties `map` and puts `entries` (`[key, value]` pairs) back in their order. */
export function refillMap(map: object, entries: ArrayLike<readonly [unknown, unknown]>): void {
  mapClear.call(map);
  for (let i = 0; i < entries.length; i++) mapSet.call(map, entries[i]![0], entries[i]![1]);
}

/** Empties `set` and puts `members` back in their order. */
export function refillSet(set: object, members: ArrayLike<unknown>): void {
  setClear.call(set);
  for (let i = 0; i < members.length; i++) setAdd.call(set, members[i]);
}

/** A Map's or Set's iterator, stepped with {@link nextEntry} / {@link nextMember}. */
export interface RawIterator {
  next(): Step;
}

/** Calls `fn(value, key)` for each entry of `map`, in order, entries added meanwhile included (as `for…of`). */
export function eachEntry(
  map: Map<unknown, unknown>,
  fn: (value: unknown, key: unknown) => void,
): void {
  if (!isProxy(map)) {
    mapForEach(map, fn);
    return;
  }
  for (const entry of map) fn(entry[1], entry[0]);
}

/** Calls `fn(member)` for each member of `set`, in order, members added meanwhile included (as `for…of`). */
export function eachMember(set: Set<unknown>, fn: (member: unknown) => void): void {
  if (!isProxy(set)) {
    setForEach(set, fn);
    return;
  }
  for (const member of set) fn(member);
}

/** The entries iterator of `map` (each step's value a fresh `[key, value]`). */
export function entryIterator(map: Map<unknown, unknown>): RawIterator {
  if (isProxy(map)) return map[Symbol.iterator]();
  const it = mapEntries(map);
  return { next: () => mapIteratorNext(it) as Step };
}

/** The values iterator of `set`. */
export function memberIterator(set: Set<unknown>): RawIterator {
  if (isProxy(set)) return set[Symbol.iterator]();
  const it = setValues(set);
  return { next: () => setIteratorNext(it) as Step };
}

/** The next step of an {@link entryIterator}: read `done`, and the entry as `value[0]`, `value[1]`. */
export function nextEntry(it: RawIterator): { done?: boolean; value: [unknown, unknown] } {
  return it.next() as { done?: boolean; value: [unknown, unknown] };
}

/** The next step of a {@link memberIterator}. */
export function nextMember(it: RawIterator): Step {
  return it.next();
}

/** The entries of `map` as a fresh ownList of fresh `[key, value]` pairs, in order. */
export function entryList(map: Map<unknown, unknown>): Array<[unknown, unknown]> {
  const out = ownList<[unknown, unknown]>();
  let n = 0;
  const it = mapEntries(map);
  for (;;) {
    const step = mapIteratorNext(it) as Step;
    if (step.done === true) return out;
    out[n++] = step.value as [unknown, unknown];
  }
}

/** The keys of `map` as a fresh ownList, in order. */
export function keyList(map: Map<unknown, unknown>): unknown[] {
  const out = ownList<unknown>();
  let n = 0;
  const it = mapKeys(map);
  for (;;) {
    const step = mapIteratorNext(it) as Step;
    if (step.done === true) return out;
    out[n++] = step.value;
  }
}

/** The members of `set` as a fresh ownList, in order. */
export function memberList(set: Set<unknown>): unknown[] {
  const out = ownList<unknown>();
  let n = 0;
  const it = setValues(set);
  for (;;) {
    const step = setIteratorNext(it) as Step;
    if (step.done === true) return out;
    out[n++] = step.value;
  }
}
