import { types } from 'node:util';
import type { UndoEntry, UndoLog } from './undo';

/** Undo of Map.set: put the old value back (position is kept), or delete a new key. */
export class MapSetEntry implements UndoEntry {
  constructor(
    private readonly map: Map<unknown, unknown>,
    private readonly key: unknown,
    private readonly had: boolean,
    private readonly old: unknown,
  ) {}

  undo(): void {
    if (this.had) this.map.set(this.key, this.old);
    else this.map.delete(this.key);
  }
}

/** Undo of Set.add of a new member. */
export class SetAddEntry implements UndoEntry {
  constructor(
    private readonly set: Set<unknown>,
    private readonly value: unknown,
  ) {}

  undo(): void {
    this.set.delete(this.value);
  }
}

/**
 * The whole contents of a Map or Set, saved before its first delete or clear
 * in an action: insertion order cannot be restored any cheaper, so these
 * cost O(size of that collection). Undoing it restores contents and order
 * exactly, whatever happened to the collection later in the action.
 */
class MapContentsEntry implements UndoEntry {
  constructor(
    private readonly map: Map<unknown, unknown>,
    private readonly entries: Array<[unknown, unknown]>,
  ) {}

  undo(): void {
    this.map.clear();
    for (const [k, v] of this.entries) this.map.set(k, v);
  }
}

class SetContentsEntry implements UndoEntry {
  constructor(
    private readonly set: Set<unknown>,
    private readonly values: unknown[],
  ) {}

  undo(): void {
    this.set.clear();
    for (const v of this.values) this.set.add(v);
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
    for (const k of this.keys) {
      const v = map.get(k);
      map.delete(k);
      map.set(k, v);
    }
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
    this.map.set(this.key, this.value);
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
    if (log.firstSave(coll, 'contents')) log.push(new SetContentsEntry(coll, Array.from(coll)));
    return;
  }
  if (clear) {
    // Every entry is removed: all are needed back, in their order.
    log.firstSave(coll, 'contents');
    log.push(new MapContentsEntry(coll, Array.from(coll)));
    return;
  }
  if (log.firstSave(coll, 'contents')) log.push(new MapOrderEntry(coll, Array.from(coll.keys())));
  log.push(new MapDeleteEntry(coll, key, coll.get(key)));
}

/** Undo of a Date setter. */
export class DateEntry implements UndoEntry {
  constructor(
    private readonly date: Date,
    private readonly time: number,
  ) {}

  undo(): void {
    this.date.setTime(this.time);
  }
}

/** Undo of a bulk byte change (typed-array mutators, DataView setters): a copy of the bytes before. */
export class BytesEntry implements UndoEntry {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly copy: Uint8Array,
  ) {}

  undo(): void {
    this.bytes.set(this.copy);
  }
}

/** The bytes a typed array or DataView covers, as a Uint8Array over the same memory. */
export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Records a copy of the bytes of `view` before a bulk change. */
export function saveBytes(log: UndoLog, view: ArrayBufferView): void {
  const bytes = bytesOf(view);
  log.push(new BytesEntry(bytes, bytes.slice()));
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
    this.source = re.source;
    this.flags = re.flags;
    this.lastIndex = re.lastIndex;
  }

  undo(): void {
    if (this.re.source !== this.source || this.re.flags !== this.flags) {
      this.re.compile(this.source, this.flags);
    }
    this.re.lastIndex = this.lastIndex;
  }
}

/** Undo of ArrayBuffer.resize: the old length and the bytes a shrink dropped. */
export class ResizeEntry implements UndoEntry {
  private readonly oldLength: number;
  private readonly copy: Uint8Array;

  constructor(private readonly buffer: ArrayBuffer & { resize(n: number): void }) {
    this.oldLength = buffer.byteLength;
    this.copy = new Uint8Array(buffer).slice();
  }

  undo(): void {
    this.buffer.resize(this.oldLength);
    new Uint8Array(this.buffer).set(this.copy);
  }
}
