import { types } from 'node:util';
import { syncMirrors } from './date-mirrors';
import {
  bufferBytes,
  byteLengthSlot,
  bytesRange,
  copyOfBytes,
  flagsSlot,
  recompile,
  resizeBuffer,
  setTimeSlot,
  sourceSlot,
  viewedBytes,
  writeBytes,
} from '../codec/slots';
import {
  entryList,
  keyList,
  mapDelete,
  mapGet,
  mapSet,
  memberList,
  refillMap,
  refillSet,
  setDelete,
} from '../codec/raw-iteration';
import { notePutBack } from './reinsertion';
import type { UndoEntry, UndoLog } from './undo';

// The built-ins' own methods, called on the raw collection: an action may
// give a state Map or Set an own (non-enumerable) `get`, `set` or `keys`,
// which a rollback must not run (found by review: it restored wrong values).

/** Undo of Map.set: put the old value back (position is kept), or delete a new key. */
export class MapSetEntry implements UndoEntry {
  constructor(
    private readonly map: Map<unknown, unknown>,
    private readonly key: unknown,
    private readonly had: boolean,
    private readonly old: unknown,
  ) {}

  undo(): void {
    if (this.had) mapSet.call(this.map, this.key, this.old);
    else mapDelete.call(this.map, this.key);
  }
}

/** Undo of Set.add of a new member. */
export class SetAddEntry implements UndoEntry {
  constructor(
    private readonly set: Set<unknown>,
    private readonly value: unknown,
  ) {}

  undo(): void {
    setDelete.call(this.set, this.value);
  }
}

/**
 * The whole contents of a Map or Set, saved before its first delete or clear
 * in an action: insertion order cannot be restored any cheaper, so these
 * cost O(size of that collection). Undoing it restores contents and order
 * exactly, whatever happened to the collection later in the action.
 */
export class MapContentsEntry implements UndoEntry {
  constructor(
    private readonly map: Map<unknown, unknown>,
    private readonly entries: Array<[unknown, unknown]>,
  ) {}

  undo(): void {
    // By index, not for…of: the array iterator's next() may be the program's (raw-iteration.ts).
    refillMap(this.map, this.entries);
    notePutBack(this.map);
  }
}

export class SetContentsEntry implements UndoEntry {
  constructor(
    private readonly set: Set<unknown>,
    private readonly values: unknown[],
  ) {}

  undo(): void {
    refillSet(this.set, this.values);
    notePutBack(this.set);
  }
}

/**
 * The key order of a Map, saved before its first delete in an action (or
 * savepoint). Undone after every later entry, when the Map holds these keys
 * again (each later entry puts back what it changed), it puts them back in
 * this order. Keys alone: copying every entry cost a 1M-entry Map 300 ms a
 * delete, mostly in the garbage collector; its keys, about 8 ms.
 */
class MapOrderEntry implements UndoEntry {
  constructor(
    private readonly map: Map<unknown, unknown>,
    private readonly keys: unknown[],
  ) {}

  undo(): void {
    const map = this.map;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = mapGet.call(map, k);
      mapDelete.call(map, k);
      mapSet.call(map, k, v);
    }
    notePutBack(map);
  }
}

/** Undo of Map.delete of a present key: it comes back (at the end; the order entry reorders). */
class MapDeleteEntry implements UndoEntry {
  constructor(
    private readonly map: Map<unknown, unknown>,
    private readonly key: unknown,
    private readonly value: unknown,
  ) {}

  undo(): void {
    mapSet.call(this.map, this.key, this.value);
    notePutBack(this.map);
  }
}

/** Saves what a Map or Set delete, or a clear, is about to change. */
export function saveContents(
  log: UndoLog,
  coll: Map<unknown, unknown> | Set<unknown>,
  clear: boolean,
  key: unknown,
): void {
  if (!types.isMap(coll)) {
    if (log.firstSave(coll, 'contents')) {
      log.push(new SetContentsEntry(coll, memberList(coll)));
    }
    return;
  }
  if (clear) {
    // Every entry is removed: all are needed back, in their order.
    log.firstSave(coll, 'contents');
    log.push(new MapContentsEntry(coll, entryList(coll)));
    return;
  }
  if (log.firstSave(coll, 'contents')) {
    log.push(new MapOrderEntry(coll, keyList(coll)));
  }
  log.push(new MapDeleteEntry(coll, key, mapGet.call(coll, key)));
}

/** Undo of a Date setter. */
export class DateEntry implements UndoEntry {
  constructor(
    private readonly date: Date,
    private readonly time: number,
  ) {}

  undo(): void {
    setTimeSlot(this.date, this.time);
    syncMirrors(this.date);
  }
}

/** Undo of a bulk byte change (typed-array mutators, DataView setters): a copy of the bytes before. */
export class BytesEntry implements UndoEntry {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly copy: Uint8Array,
  ) {}

  undo(): void {
    writeBytes(this.bytes, this.copy);
  }
}

/**
 * Records a copy of the bytes of `view` that mutator `name` called with
 * `args` may change: all of them, or for the writers whose reach the
 * arguments tell plainly (a Buffer's fixed-size `write*`, a typed array's
 * `set`, and `fill` with numbers), only that range. A 4-byte write into a
 * 100 MB buffer copied all of it (the cliff review).
 */
export function saveBytes(
  log: UndoLog,
  view: ArrayBufferView,
  name?: PropertyKey,
  args?: readonly unknown[],
): void {
  const bytes = viewedBytes(view);
  const range = name === undefined || args === undefined ? undefined : reach(view, name, args);
  // By the typed-array built-ins taken at load (see bytesRange): `bytes` views the state's buffer.
  const saved = range === undefined ? bytes : bytesRange(bytes, range[0], range[1]);
  log.push(new BytesEntry(saved, copyOfBytes(saved)));
}

/** Bytes each fixed-size Buffer writer writes (`writeUInt32LE(value, offset)`: 4 from offset). */
const FIXED_WRITES: ReadonlyMap<string, number> = new Map(
  [
    ['UInt8', 1],
    ['Uint8', 1],
    ['Int8', 1],
    ['UInt16', 2],
    ['Uint16', 2],
    ['Int16', 2],
    ['UInt32', 4],
    ['Uint32', 4],
    ['Int32', 4],
    ['Float', 4],
    ['Double', 8],
    ['BigUInt64', 8],
    ['BigUint64', 8],
    ['BigInt64', 8],
  ].flatMap(([type, size]) =>
    ['', 'LE', 'BE'].map((end) => [`write${type as string}${end}`, size as number] as const),
  ),
);

/** Whether `x` is undefined or an integer: arguments whose meaning needs no conversion (which could run code). */
const plainInt = (x: unknown): x is number | undefined =>
  x === undefined || (typeof x === 'number' && Number.isInteger(x));

/** A relative index as `fill` reads it (negative from the end), clamped to [0, length]. */
function relative(x: number, length: number): number {
  return x < 0 ? Math.max(length + x, 0) : Math.min(x, length);
}

/** The prototypes of the built-in typed arrays (and Buffer), whose `length` and element size are their own. */
export const TYPED_PROTOTYPES: ReadonlySet<object> = new Set<object>([
  Buffer.prototype,
  ...[
    Int8Array,
    Uint8Array,
    Uint8ClampedArray,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    Float32Array,
    Float64Array,
    BigInt64Array,
    BigUint64Array,
  ].map((T) => T.prototype as object),
]);

/**
 * Whether `x` is a typed array of a built-in type whose `length` and
 * `BYTES_PER_ELEMENT` read as the internal ones: no subclass, no own
 * property of those names (an action may define one; the writers read the
 * internal slots, so a range taken from such a property missed bytes).
 */
function plainTypedArray(x: unknown): x is Uint8Array {
  return (
    types.isTypedArray(x) &&
    TYPED_PROTOTYPES.has(Object.getPrototypeOf(x) as object) &&
    !Object.hasOwn(x, 'length') &&
    !Object.hasOwn(x, 'BYTES_PER_ELEMENT')
  );
}

/** The byte range [from, to) of `view` that `name(...args)` may write, when plain; else undefined. */
function reach(
  view: ArrayBufferView,
  name: PropertyKey,
  args: readonly unknown[],
): [number, number] | undefined {
  if (typeof name !== 'string' || !plainTypedArray(view)) return undefined;
  const size = FIXED_WRITES.get(name);
  if (size !== undefined && Buffer.isBuffer(view)) {
    const offset = args[1];
    if (!plainInt(offset)) return undefined;
    const from = offset ?? 0;
    return from < 0 ? undefined : [from, from + size];
  }
  const per = (view as Uint8Array).BYTES_PER_ELEMENT;
  const length = (view as Uint8Array).length;
  if (name === 'set') {
    const source = args[0];
    const offset = args[1];
    if (!plainInt(offset) || (offset ?? 0) < 0) return undefined;
    // A plain array's length is its own and cannot be a getter; a Proxy's can lie.
    const plainArray = Array.isArray(source) && !types.isProxy(source);
    if (!plainArray && !plainTypedArray(source)) return undefined;
    const from = offset ?? 0;
    return [from * per, (from + (source as ArrayLike<unknown>).length) * per];
  }
  if (name === 'fill' && Buffer.isBuffer(view)) {
    // Buffer's own fill: byte offsets, none negative; without an offset it fills it all.
    const [, offset, end] = args;
    if (offset === undefined || !plainInt(offset) || offset < 0 || !plainInt(end)) return undefined;
    return [offset, Math.max(offset, Math.min(end ?? view.length, view.length))];
  }
  if (name === 'fill') {
    const [, start, end] = args;
    // Without a start, V8 (Node 20) fills to the end whatever the end says.
    if (start === undefined || !plainInt(start) || !plainInt(end)) return undefined;
    const from = relative(start, length);
    const to = relative(end ?? length, length);
    return [from * per, Math.max(from, to) * per];
  }
  return undefined;
}

/** Undo of one typed-array element write. */
export class TypedIndexEntry implements UndoEntry {
  constructor(
    private readonly array: Record<string, unknown>,
    private readonly index: string,
    private readonly old: unknown,
  ) {}

  undo(): void {
    this.array[this.index] = this.old;
  }
}

/** Undo of a RegExp change: lastIndex moved by exec/test, or compile(). */
export class RegExpEntry implements UndoEntry {
  private readonly source: string;
  private readonly flags: string;
  private readonly lastIndex: number;

  constructor(private readonly re: RegExp) {
    this.source = sourceSlot(re);
    this.flags = flagsSlot(re);
    this.lastIndex = re.lastIndex;
  }

  undo(): void {
    if (sourceSlot(this.re) !== this.source || flagsSlot(this.re) !== this.flags) {
      recompile(this.re, this.source, this.flags);
    }
    this.re.lastIndex = this.lastIndex;
  }
}

/** Undo of ArrayBuffer.resize: the old length and the bytes a shrink dropped. */
export class ResizeEntry implements UndoEntry {
  private readonly oldLength: number;
  private readonly copy: Uint8Array;

  constructor(private readonly buffer: ArrayBuffer & { resize(n: number): void }) {
    this.oldLength = byteLengthSlot(buffer);
    this.copy = copyOfBytes(bufferBytes(buffer));
  }

  undo(): void {
    resizeBuffer(this.buffer, this.oldLength);
    writeBytes(bufferBytes(this.buffer), this.copy);
  }
}
