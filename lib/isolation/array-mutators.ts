import type { Fn } from './builtin-common';
import { holdsPlainElements, knownPlainElements } from './plain-elements';
import { refuseOverlong, storeValue } from './record';
import { toRaw, trackingToRaw } from './registry';
import { requireLog, type UndoEntry, type UndoLog } from './undo';

/**
 * Fast paths for the Array.prototype methods that move elements (`shift`,
 * `unshift`, `splice`, `sort`, `reverse`, `fill`) called in an action on a
 * tracking proxy. Run on the proxy, the built-in reads and writes every
 * element it moves through the traps (about 2 µs each: a `shift()` on a
 * queue of 1M elements took seconds). On an array holding plain elements
 * only (see plain-elements.ts), these run the built-in on the raw array,
 * with what it stores checked as a write through the proxy would
 * (storeValue), and record one undo entry for the whole call. Their
 * results are what the proxied call gives: removed elements come back
 * tracked. Elsewhere, and for arguments that would run the program's code
 * while the built-in converts them, the call goes through the proxy.
 */

/** How many calls took a fast path (for tests). */
export const mutatorStats = { fast: 0 };

/** The tracked form of element `index` (value `value`) of the raw array `raw`, as a read through the proxy gives it. */
export type ElementReader = (raw: unknown[], index: number, value: unknown) => unknown;

const proto = Array.prototype as unknown as Record<string, Fn>;
const nativeSplice = proto['splice']!;
const nativeReverse = proto['reverse']!;
const nativeSort = proto['sort']!;
// Called on the raw array: the program may have replaced Array.prototype.slice since (with code that would get the raw array).
const nativeSlice = proto['slice']!;

/** The array a fast path may run on, with the running log; undefined to take the proxied path. */
function fastTarget(self: unknown, name: string): [unknown[], UndoLog] | undefined {
  if (typeof self !== 'object' || self === null) return undefined;
  const raw = trackingToRaw.get(self) as unknown[] | undefined;
  if (raw === undefined || !Array.isArray(raw)) return undefined;
  // Through the proxy: its trap refuses another system's action, as any use would be.
  void (self as unknown[]).length;
  const log = requireLog(`calling ${name}()`);
  // An own `constructor` would make splice's result another kind of array.
  if (Object.hasOwn(raw, 'constructor') || !holdsPlainElements(raw)) return undefined;
  mutatorStats.fast++;
  return [raw, log];
}

/** ToIntegerOrInfinity of a primitive index argument (see primitiveIndices). */
function integer(value: unknown): number {
  const n = Number(value);
  return Number.isNaN(n) ? 0 : Math.trunc(n) + 0;
}

/** A relative index (negative counts from the end) clamped to 0..length. */
function clampIndex(n: unknown, length: number): number {
  const i = integer(n);
  return i < 0 ? Math.max(length + i, 0) : Math.min(i, length);
}

/**
 * Whether every value converts to a number without running code of the
 * program's nor throwing: a number, string, boolean, null or undefined
 * (objects, symbols and bigints take the proxied path). Strings too: the
 * proxied path calls the built-in again with the same arguments, which a
 * `splice('1', 0, ...items)` of 80k items overflowed the stack with.
 */
function primitiveIndices(values: unknown[]): boolean {
  for (const v of values) {
    const t = typeof v;
    if (t !== 'number' && t !== 'string' && t !== 'boolean' && t !== 'undefined' && v !== null)
      return false;
  }
  return true;
}

/**
 * The values to store from `items`, at indices `at`, `at + 1`, …, as a write
 * through the proxy stores them (views and proxies become raw objects,
 * fresh values are checked). Undefined when the running replay must let
 * the action catch a refusal of one (see below): the proxied path then.
 */
function storedItems(
  items: unknown[],
  log: UndoLog,
  raw: unknown[],
  at: number,
): unknown[] | undefined {
  // A replay of an earlier version's record checks fresh values again and
  // lets the action catch a refusal, after the elements before it moved;
  // only the proxied path moves them in the same order.
  if (log.replaying && !log.storesChecked && items.some((v) => typeof v === 'object' && v !== null))
    return undefined;
  return items.map((value, i) => storeValue(value, log, raw, String(at + i), false));
}

/** Restores a whole array to a copy taken before a call (holes stay holes). */
class ContentsEntry implements UndoEntry {
  constructor(
    private readonly target: unknown[],
    private readonly saved: unknown[],
  ) {}
  undo(): void {
    restoreRange(this.target, 0, this.saved);
    this.target.length = this.saved.length;
  }
}

/** Writes `saved` (holes as holes) over `target` from index `at`. */
function restoreRange(target: unknown[], at: number, saved: unknown[]): void {
  for (let i = 0; i < saved.length; i++) {
    if (i in saved) target[at + i] = saved[i];
    else delete target[at + i];
  }
}

/** Undoes a splice: removes what it inserted and puts back what it removed (holes as holes). */
class SpliceEntry implements UndoEntry {
  constructor(
    private readonly target: unknown[],
    private readonly start: number,
    private readonly inserted: number,
    private readonly removed: unknown[],
  ) {}
  undo(): void {
    spliceRaw(this.target, this.start, this.inserted, this.removed);
  }
}

/**
 * Above this many values to insert, spliceRaw does not pass them to the
 * built-in as arguments: a spread of some 120k values overflows the stack
 * (a rollback of `splice(0)` on a 200k queue threw RangeError and left the
 * queue empty), and the items of an `unshift(...items)` the program made
 * are on the stack already once, in the call that reached here.
 */
const SPREAD_LIMIT = 4096;

/**
 * `raw.splice(start, count, ...items)` on a plain array, `start` and
 * `count` in range; holes in `items` stay holes. The removed elements.
 */
function spliceRaw(raw: unknown[], start: number, count: number, items: unknown[]): unknown[] {
  if (items.length <= SPREAD_LIMIT) {
    const removed = Reflect.apply(nativeSplice, raw, [start, count, ...items]) as unknown[];
    for (let i = 0; i < items.length; i++) if (!(i in items)) delete raw[start + i];
    return removed;
  }
  const removed = Reflect.apply(nativeSplice, raw, [start, count]) as unknown[];
  const tail = Reflect.apply(nativeSplice, raw, [start]) as unknown[];
  let at = start;
  for (let i = 0; i < items.length; i++, at++) if (i in items) raw[at] = items[i];
  for (let i = 0; i < tail.length; i++, at++) if (i in tail) raw[at] = tail[i];
  raw.length = at;
  return removed;
}

/** Undoes a reverse by reversing again. */
class ReverseEntry implements UndoEntry {
  constructor(private readonly target: unknown[]) {}
  undo(): void {
    Reflect.apply(nativeReverse, this.target, []);
  }
}

/** Whether `a` and `b` hold the same elements at the same indices, holes alike. */
function sameElements(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i] || i in a !== i in b) return false;
  }
  return true;
}

/** The fast paths, keyed by the built-in they replace (an override in a subclass is left alone). */
export function arrayMutatorPaths(read: ElementReader): Map<unknown, Fn> {
  const paths = new Map<unknown, Fn>();

  /** splice on `raw`, undone by one entry; the removed elements, raw. */
  const splice = (raw: unknown[], log: UndoLog, start: number, count: number, items: unknown[]) => {
    const removed = spliceRaw(raw, start, count, items);
    if (removed.length !== 0 || items.length !== 0) {
      log.push(new SpliceEntry(raw, start, items.length, removed));
    }
    refuseOverlong(log, raw.length);
    return removed;
  };

  const shift = proto['shift']!;
  paths.set(shift, function (this: unknown, ...args: unknown[]) {
    const fast = fastTarget(this, 'shift');
    if (fast === undefined) return Reflect.apply(shift, this, args);
    const [raw, log] = fast;
    if (raw.length === 0) return undefined;
    const had = 0 in raw;
    const first = raw[0];
    splice(raw, log, 0, 1, []);
    return had ? read(raw, 0, first) : undefined;
  });

  const unshift = proto['unshift']!;
  paths.set(unshift, function (this: unknown, ...items: unknown[]) {
    const fast = fastTarget(this, 'unshift');
    if (fast === undefined) return Reflect.apply(unshift, this, items);
    const [raw, log] = fast;
    if (items.length === 0) return raw.length;
    // The built-in's own check, before anything is stored.
    if (raw.length + items.length > Number.MAX_SAFE_INTEGER)
      return Reflect.apply(unshift, this, items);
    const stored = storedItems(items, log, raw, 0);
    if (stored === undefined) return Reflect.apply(unshift, this, items);
    splice(raw, log, 0, 0, stored);
    return raw.length;
  });

  paths.set(nativeSplice, function (this: unknown, ...args: unknown[]) {
    const fast = primitiveIndices(args.slice(0, 2)) ? fastTarget(this, 'splice') : undefined;
    if (fast === undefined) return Reflect.apply(nativeSplice, this, args);
    const [raw, log] = fast;
    const length = raw.length;
    const start = clampIndex(args[0], length);
    const count =
      args.length === 0
        ? 0
        : args.length === 1
          ? length - start
          : Math.min(Math.max(integer(args[1]), 0), length - start);
    const items = args.slice(2);
    if (length + items.length - count > Number.MAX_SAFE_INTEGER) {
      return Reflect.apply(nativeSplice, this, args);
    }
    const stored = storedItems(items, log, raw, start);
    if (stored === undefined) return Reflect.apply(nativeSplice, this, args);
    const removed = splice(raw, log, start, count, stored);
    const result = new Array<unknown>(removed.length);
    for (let i = 0; i < removed.length; i++) {
      if (i in removed) result[i] = read(raw, start + i, removed[i]);
    }
    return result;
  });

  paths.set(nativeReverse, function (this: unknown, ...args: unknown[]) {
    const fast = fastTarget(this, 'reverse');
    if (fast === undefined) return Reflect.apply(nativeReverse, this, args);
    const [raw, log] = fast;
    if (raw.length > 1) {
      Reflect.apply(nativeReverse, raw, []);
      log.push(new ReverseEntry(raw));
    }
    return this;
  });

  paths.set(nativeSort, function (this: unknown, ...args: unknown[]) {
    const compare = args[0];
    const fast =
      compare === undefined || typeof compare === 'function' ? fastTarget(this, 'sort') : undefined;
    if (fast === undefined) return Reflect.apply(nativeSort, this, args);
    const [raw, log] = fast;
    // The built-in's steps: the elements present, read as the proxy gives
    // them (the comparator, or the string conversion, sees tracked objects),
    // sorted with undefined last; written back; holes at the end.
    const length = raw.length;
    const items: unknown[] = [];
    for (let i = 0; i < length; i++) if (i in raw) items.push(read(raw, i, raw[i]));
    Reflect.apply(nativeSort, items, compare === undefined ? [] : [compare]);
    const target = this as unknown[];
    if (!knownPlainElements(raw)) {
      // The comparator defined an element otherwise: write back through the proxy.
      for (let i = 0; i < items.length; i++) target[i] = items[i];
      for (let i = items.length; i < length; i++) delete target[i];
      return this;
    }
    // Taken after the comparator ran: a change it made is undone by its own entry.
    const saved = Reflect.apply(nativeSlice, raw, []) as unknown[];
    for (let i = 0; i < items.length; i++) raw[i] = toRaw(items[i]);
    for (let i = items.length; i < length; i++) delete raw[i];
    if (!sameElements(raw, saved)) log.push(new ContentsEntry(raw, saved));
    return this;
  });

  const fill = proto['fill']!;
  paths.set(fill, function (this: unknown, ...args: unknown[]) {
    const value = args[0];
    const fast =
      (typeof value !== 'object' || value === null) &&
      typeof value !== 'function' &&
      primitiveIndices(args.slice(1, 3))
        ? fastTarget(this, 'fill')
        : undefined;
    if (fast === undefined) return Reflect.apply(fill, this, args);
    const [raw, log] = fast;
    const length = raw.length;
    const from = clampIndex(args[1], length);
    const to = args[2] === undefined ? length : clampIndex(args[2], length);
    if (from >= to) return this;
    const stored = storeValue(value, log, raw, String(from), false);
    const saved = Reflect.apply(nativeSlice, raw, [from, to]) as unknown[];
    Reflect.apply(fill, raw, [stored, from, to]);
    log.push(new RangeEntry(raw, from, saved));
    return this;
  });

  return paths;
}

/** Restores the elements from `at` to a copy taken before a call (holes stay holes). */
class RangeEntry implements UndoEntry {
  constructor(
    private readonly target: unknown[],
    private readonly at: number,
    private readonly saved: unknown[],
  ) {}
  undo(): void {
    restoreRange(this.target, this.at, this.saved);
  }
}
