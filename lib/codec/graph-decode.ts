/**
 * Decoding of the graph encoding (see graph.ts). Each object is allocated when
 * its first reference is read; a container is filled when its own line
 * arrives. Lines are taken one at a time, so the whole stream is never held;
 * a line too long to be one string is taken from its bytes in parts
 * ({@link GraphDecoder.pushBytes}), its values a run at a time.
 */
import { PrevalenceError } from '../errors';
import type { ClassRegistry } from './registry';
import {
  base64ToArrayBuffer,
  base64ToBuffer,
  makeDate,
  makeDateTime,
  readLocale,
  makeTypedArray,
  typedArrayOver,
} from './kinds';
import { PLAIN_UNSAFE, setOwn, unsafeKeys } from './props';
import { LineBytesParser, LongText } from './line-bytes';

/** A line whose values come in runs (see GraphDecoder.startValues). */
interface OpenLine {
  /** The index of its object in `pending`, once its head was read; -1 before. */
  at: number;
  /** Values read but not yet taken: the head, or a key waiting for its value. */
  carry: unknown[];
}

/** Rebuilds a graph from the lines of `encodeGraph`, pushed in order. */
export class GraphDecoder {
  private readonly objs: unknown[] = [];
  // Containers still waiting for their line, in id order, with their kind and class name.
  private readonly pending: object[] = [];
  private readonly kinds: string[] = [];
  private readonly names: string[] = [];
  private next = 0;
  private lineNo = 0;
  private root: unknown;
  /** The line whose values come in runs, between startValues and endValues. */
  private open: OpenLine | undefined;
  /** The parser of the line whose bytes come in parts, between pushBytes and endBytes. */
  private parser: LineBytesParser | undefined;

  constructor(private readonly registry: ClassRegistry) {}

  /** Takes the next line. Throws SNAPSHOT_CORRUPT (or UNKNOWN_CLASS) on bad input. */
  push(line: string): void {
    this.lineNo++;
    const parsed = parse(line, this.lineNo);
    if (this.lineNo === 1) this.start(parsed);
    else this.fill(parsed);
  }

  /**
   * Takes the next piece of the UTF-8 bytes (without LF) of a line too long
   * to be taken whole as a string (valid during the call only); the first
   * piece after a whole line or {@link endBytes} begins the next line.
   */
  pushBytes(bytes: Uint8Array): void {
    let parser = this.parser;
    if (parser === undefined) {
      this.startValues();
      parser = this.parser = new LineBytesParser(
        (values) => this.values(values),
        (detail, cause) => corrupt(this.lineNo, detail, cause),
      );
    }
    parser.feed(bytes);
  }

  /** Ends the line whose bytes {@link pushBytes} took. */
  endBytes(): void {
    if (this.parser === undefined) this.pushBytes(new Uint8Array(0));
    const parser = this.parser as LineBytesParser;
    this.parser = undefined;
    parser.end();
    this.endValues();
  }

  /**
   * Begins the next line, whose values then come in runs through
   * {@link values}, in order, the first run starting with its kind; ended by
   * {@link endValues}. A run may end anywhere: between a key and its value,
   * or between a class instance's kind and class name.
   */
  startValues(): void {
    this.lineNo++;
    this.open = { at: -1, carry: [] };
  }

  /** The next values of the line begun by {@link startValues}. */
  values(run: unknown[]): void {
    const line = this.open as OpenLine;
    let values = run;
    if (line.carry.length > 0) {
      values = line.carry.concat(run);
      line.carry = [];
    }
    let from = 0;
    if (line.at < 0) {
      const head = values[0];
      const rootValue = this.lineNo === 1 && head === 'v';
      if (values.length === 0 || rootValue || (head === 'c' && values.length < 2)) {
        if (rootValue && values.length > 2) throw this.bad('a value root line has two elements');
        line.carry = values;
        return;
      }
      const name = head === 'c' ? this.maybeString(values[1]) : undefined;
      if (this.lineNo === 1) this.root = this.allocate(0, head, name);
      line.at = this.opened(head, name);
      from = head === 'c' ? 2 : 1;
    }
    const obj = this.pending[line.at] as object;
    const kind = this.kinds[line.at] as string;
    let to = values.length;
    // A key (or a Map key) whose value is in the next run waits for it.
    if (kind !== 'a' && kind !== 's' && (to - from) % 2 !== 0) {
      to--;
      line.carry = [values[to]];
    }
    this.contents(obj, kind, values, from, to);
  }

  /** Ends the line begun by {@link startValues}. */
  endValues(): void {
    const line = this.open as OpenLine;
    this.open = undefined;
    if (line.at < 0) {
      // A line of one value, or of none, or a value root: as a whole line.
      if (line.carry.length === 0) throw this.bad('it is not a line array');
      if (this.lineNo === 1) this.start(line.carry);
      else this.fill(line.carry);
      return;
    }
    if (line.carry.length > 0) {
      throw this.bad(this.kinds[line.at] === 'm' ? 'a Map key has no value' : 'a key has no value');
    }
  }

  /**
   * This decoder as a snapshot's body consumer (SnapshotConsumer in
   * lib/snapshot/loader.ts): whole lines to push, a long line's bytes in
   * parts to pushBytes and endBytes, the root from finish.
   */
  asConsumer<T>(): {
    consume(line: string): void;
    part(bytes: Buffer): void;
    end(): void;
    finish(): T;
  } {
    return {
      consume: (line) => this.push(line),
      part: (bytes) => this.pushBytes(bytes),
      end: () => this.endBytes(),
      finish: () => this.finish() as T,
    };
  }

  /** The root, once every line was pushed; throws SNAPSHOT_CORRUPT when lines are missing. */
  finish(): unknown {
    if (this.lineNo === 0) throw corrupt(0, 'there are no lines at all');
    if (this.open !== undefined) throw corrupt(this.lineNo, 'the line was not ended');
    const missing = this.pending.length - this.next;
    if (missing > 0) throw corrupt(this.lineNo, `${missing} object(s) have no line after it`);
    return this.root;
  }

  private start(parsed: unknown[]): void {
    const head = parsed[0];
    if (head === 'v') {
      if (parsed.length !== 2) throw this.bad('a value root line has two elements');
      this.root = this.value(parsed[1]);
      return;
    }
    const name = head === 'c' ? parsed[1] : undefined;
    this.root = this.allocate(0, head, name);
    this.fill(parsed);
  }

  private fill(parsed: unknown[]): void {
    const head = parsed[0];
    const i = this.opened(head, head === 'c' ? parsed[1] : undefined);
    const obj = this.pending[i] as object;
    const kind = this.kinds[i] as string;
    const from = kind === 'c' ? 2 : 1;
    const to = parsed.length;
    if (kind !== 'a' && kind !== 's' && (to - from) % 2 !== 0) {
      throw this.bad(kind === 'm' ? 'a Map key has no value' : 'a key has no value');
    }
    this.contents(obj, kind, parsed, from, to);
  }

  /**
   * The index in `pending` of the object whose line begins with `head` (and
   * class name `name`): the next one waiting, which must be of that kind.
   */
  private opened(head: unknown, name: unknown): number {
    if (this.next >= this.pending.length) throw this.bad('no object is waiting for a line');
    const i = this.next++;
    const kind = this.kinds[i] as string;
    if (head !== kind || (kind === 'c' && name !== this.names[i])) {
      const what = kind === 'c' ? `an instance of ${this.names[i]}` : `an object of kind "${kind}"`;
      throw this.bad(`expected the line of ${what}`);
    }
    return i;
  }

  /** Puts values `from` to `to` of `line` into `obj` (of `kind`); keyed kinds get whole pairs. */
  private contents(obj: object, kind: string, line: unknown[], from: number, to: number): void {
    switch (kind) {
      case 'a':
        return this.items(obj as unknown[], line, from, to);
      case 'm':
        return this.entries(obj as Map<unknown, unknown>, line, from, to);
      case 's':
        return this.members(obj as Set<unknown>, line, from, to);
      case 'o':
        return this.props(obj, line, from, to, PLAIN_UNSAFE);
      case 'n':
        return this.props(obj, line, from, to, unsafeKeys(null));
      default:
        return this.props(obj, line, from, to, unsafeKeys(Object.getPrototypeOf(obj) as object));
    }
  }

  private props(
    obj: object,
    line: unknown[],
    from: number,
    to: number,
    unsafe: ReadonlySet<string>,
  ): void {
    for (let i = from; i < to; i += 2) {
      let key = line[i];
      if (typeof key !== 'string') {
        if (!(key instanceof LongText)) throw this.bad('a property key is not a string');
        key = this.text(key);
      }
      setOwn(obj, key as string, this.value(line[i + 1]), unsafe);
    }
  }

  private items(arr: unknown[], line: unknown[], from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const v = line[i];
      if (typeof v === 'object' && v !== null && (v as unknown[])[0] === 'h') this.holes(arr, v);
      else arr.push(this.value(v));
    }
  }

  /** Lengthens `arr` by the holes `["h"]` (one) or `["h",n]` (n) stand for. */
  private holes(arr: unknown[], v: object): void {
    const run = Array.isArray(v) ? (v.length === 1 ? 1 : v.length === 2 ? v[1] : 0) : 0;
    if (typeof run !== 'number' || !Number.isInteger(run) || run < 1)
      throw this.bad('bad hole run');
    if (arr.length + run > 2 ** 32 - 1) throw this.bad('an array is too long');
    arr.length += run;
  }

  private entries(map: Map<unknown, unknown>, line: unknown[], from: number, to: number): void {
    for (let i = from; i < to; i += 2) {
      const key = this.value(line[i]);
      map.set(key, this.value(line[i + 1]));
    }
  }

  private members(set: Set<unknown>, line: unknown[], from: number, to: number): void {
    for (let i = from; i < to; i++) set.add(this.value(line[i]));
  }

  private value(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    if (!Array.isArray(v)) {
      if (v instanceof LongText) return this.text(v);
      throw this.bad('a value is a JSON object');
    }
    const first: unknown = v[0];
    if (typeof first !== 'number') return this.special(first, v);
    if (v.length === 1) {
      const known = this.objs[first];
      if (known === undefined) throw this.bad(`reference to unknown object ${first}`);
      return known;
    }
    if (first !== this.objs.length) throw this.bad(`object ${first} appears out of order`);
    return this.allocate(first, v[1], v[2], v);
  }

  private special(tag: unknown, v: unknown[]): unknown {
    switch (tag) {
      case 'u':
        return undefined;
      case 'h':
        throw this.bad('a hole outside an array');
      case 'N':
        return NaN;
      case 'I':
        return Infinity;
      case '-I':
        return -Infinity;
      case '-0':
        return -0;
      case 'B': {
        const digits = this.string(v[1]);
        if (digits === undefined || !/^-?\d+$/.test(digits)) throw this.bad('bad BigInt');
        return BigInt(digits);
      }
      default:
        throw this.bad(`unknown value tag ${JSON.stringify(tag)}`);
    }
  }

  private allocate(id: number, kind: unknown, name: unknown, v?: unknown[]): object {
    let obj: object;
    let className = '';
    switch (kind) {
      case 'o':
        obj = {};
        break;
      case 'n':
        obj = Object.create(null) as object;
        break;
      case 'a':
        obj = [];
        break;
      case 'm':
        obj = new Map();
        break;
      case 's':
        obj = new Set();
        break;
      case 'c': {
        const named = this.string(name);
        if (named === undefined) throw this.bad('a class reference has no class name');
        obj = bareInstance(this.registry.require(named).prototype);
        className = named;
        break;
      }
      default:
        return this.leaf(id, kind, v);
    }
    this.objs.push(obj);
    this.pending.push(obj);
    this.kinds.push(kind as string);
    this.names.push(className);
    return obj;
  }

  private leaf(id: number, kind: unknown, v: unknown[] | undefined): object {
    if (v === undefined) throw this.bad(`the root line has unknown kind ${JSON.stringify(kind)}`);
    const leaf = this.makeLeaf(kind, v);
    if (leaf === undefined) throw this.bad(`object ${id} is a malformed ${JSON.stringify(kind)}`);
    this.objs.push(leaf);
    return leaf;
  }

  private makeLeaf(kind: unknown, v: unknown[]): object | undefined {
    const [, , a, b, c] = v;
    switch (kind) {
      case 'd':
        return a === null || typeof a === 'number' ? makeDate(a) : undefined;
      case 'r': {
        // The lastIndex after source and flags: absent for 0 (and in files before it was kept).
        const at = c === undefined ? 0 : this.value(c);
        const source = this.string(a);
        const flags = this.string(b);
        if (source === undefined || flags === undefined || typeof at !== 'number') return undefined;
        return regExp(source, flags, at);
      }
      case 't': {
        const name = this.string(a);
        if (name === undefined) return undefined;
        if (typeof b === 'string') return makeTypedArray(name, b);
        return b instanceof LongText
          ? typedArrayOver(name, this.bytes(b).buffer as ArrayBuffer)
          : undefined;
      }
      case 'b':
        if (typeof a === 'string') return base64ToBuffer(a);
        return a instanceof LongText ? this.bytes(a) : undefined;
      case 'ab':
        if (typeof a === 'string') return base64ToArrayBuffer(a);
        return a instanceof LongText ? (this.bytes(a).buffer as ArrayBuffer) : undefined;
      case 'dt': {
        const [, , , zone, x4, x5, x6] = v.map((x) => this.maybeString(x));
        if (a === null) return makeDateTime(a, zone, x4, undefined, x5);
        if (typeof a !== 'number') return undefined;
        // Locale settings after millis and zone, when it has any (and in files since they are kept).
        if (v.length === 4) return makeDateTime(a, zone, undefined);
        const locale = v.length === 7 ? readLocale(x4, x5, x6) : undefined;
        return locale === undefined ? undefined : makeDateTime(a, zone, undefined, locale);
      }
      default:
        return undefined;
    }
  }

  /** `v` as a string when it is one (or a long one), else undefined. */
  private string(v: unknown): string | undefined {
    if (typeof v === 'string') return v;
    return v instanceof LongText ? this.text(v) : undefined;
  }

  /** `v`, a long string made into a string. */
  private maybeString(v: unknown): unknown {
    return v instanceof LongText ? this.text(v) : v;
  }

  /** The text of a long string; SNAPSHOT_CORRUPT when it is longer than a string can be. */
  private text(long: LongText): string {
    const pieces = long.pieces;
    if (pieces.length === 1) return pieces[0] as string;
    try {
      return pieces.join('');
    } catch (err) {
      throw corrupt(
        this.lineNo,
        `a string of ${long.length} characters is longer than JavaScript's longest string`,
        err,
      );
    }
  }

  /**
   * The bytes of a long base64 string, decoded piece by piece into a Buffer
   * of their own (as base64ToBuffer makes); the pieces are emptied as it goes.
   */
  private bytes(long: LongText): Buffer {
    const pieces = long.pieces;
    let pad = 0;
    for (let i = pieces.length - 1; i >= 0 && pad < 2; i--) {
      const piece = pieces[i] as string;
      let j = piece.length - 1;
      while (j >= 0 && pad < 2 && piece.charCodeAt(j) === 0x3d) {
        pad++;
        j--;
      }
      if (j >= 0) break;
    }
    const size = Math.floor(((long.length - pad) * 3) / 4);
    const out = Buffer.allocUnsafeSlow(size);
    let at = 0;
    // The characters after the last whole group of 4, which a piece does not end on.
    let carry = '';
    for (let i = 0; i < pieces.length; i++) {
      let piece = pieces[i] as string;
      pieces[i] = '';
      if (carry !== '') {
        const need = 4 - carry.length;
        const group = carry + piece.slice(0, need);
        piece = piece.slice(need);
        if (group.length < 4) {
          carry = group;
          continue;
        }
        at += out.write(group, at, 'base64');
      }
      const whole = piece.length - (piece.length % 4);
      if (whole > 0) at += out.write(piece.slice(0, whole), at, 'base64');
      carry = piece.slice(whole);
    }
    if (carry !== '') at += out.write(carry, at, 'base64');
    if (at === size) return out;
    // Characters that are no base64 (Buffer.from skips them): the bytes read, in a Buffer of that size.
    const exact = Buffer.allocUnsafeSlow(at);
    out.copy(exact, 0, 0, at);
    return exact;
  }

  private bad(detail: string): PrevalenceError {
    return corrupt(this.lineNo, detail);
  }
}

function parse(line: string, lineNo: number): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw corrupt(lineNo, 'it is not valid JSON', err);
  }
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw corrupt(lineNo, 'it is not a line array');
  return parsed;
}

/**
 * A new object whose prototype is `proto`, no constructor run; the same as
 * `Object.create(proto)`, written as an object literal for speed: V8 records
 * where literals are allocated and, once it sees that nearly all objects from
 * this one outlive the young generation (as a restored state does), allocates
 * them in the old generation directly, instead of copying every one of them
 * twice on its way there.
 */
function bareInstance(proto: unknown): object {
  if (typeof proto !== 'object' || proto === null) {
    return Object.create(proto as object | null) as object;
  }
  return { __proto__: proto };
}

function regExp(source: string, flags: string, lastIndex: number): RegExp | undefined {
  try {
    const re = new RegExp(source, flags);
    re.lastIndex = lastIndex;
    return re;
  } catch {
    return undefined;
  }
}

function corrupt(lineNo: number, detail: string, cause?: unknown): PrevalenceError {
  return new PrevalenceError(
    'SNAPSHOT_CORRUPT',
    `object line ${lineNo} of the snapshot is malformed (${detail}): the snapshot is damaged or was written by an incompatible version; restore it from a backup or remove it to fall back to an older one`,
    { cause },
  );
}
