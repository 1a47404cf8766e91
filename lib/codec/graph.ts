/**
 * Graph encoding: a whole object graph as a stream of lines, one per container
 * object, for snapshots and state digests. Iterative and streaming: no
 * recursion, and no string ever holds more than one object's line, nor more
 * than about {@link linePieces}.write characters of a longer one: such a
 * line is emitted in pieces (see {@link EmitPiece}) whose concatenation is
 * the text of the line written whole, and read from its bytes in parts
 * (GraphDecoder.pushBytes, line-bytes.ts).
 *
 * Objects get ids in breadth-first discovery order, the root being 0. Each
 * container (plain object, null-prototype object, array, Map, Set, registered
 * class instance) has one line, emitted in id order, holding its contents as
 * a JSON array: `["o",k,v,…]`, `["n",k,v,…]`, `["c","Page",k,v,…]`,
 * `["a",v,…]`, `["m",k,v,…]`, `["s",v,…]`.
 * A root that is not a container is the single line `["v",value]`.
 *
 * Values inside a line: strings, booleans, null and finite numbers other than
 * -0 as themselves; `["u"]` undefined, `["N"]` NaN, `["I"]` / `["-I"]` ±Infinity,
 * `["-0"]`, `["B","12"]` BigInt; `[id]` an object seen before. The first
 * reference to an object carries what the decoder needs to allocate it:
 * `[id,"o"]`, `[id,"c","Page"]`, … for containers (filled when their line
 * arrives), and the whole content for leaves, which have no line of their
 * own: `[id,"d",ms]`, `[id,"r",source,flags]`, `[id,"t","Float64Array",base64]`,
 * `[id,"b",base64]` (Buffer), `[id,"ab",base64]`, `[id,"dt",ms,zone]`.
 * Inside an array's line, `["h"]` is one hole and `["h",k]` a run of k > 1.
 *
 * Symbol-keyed properties, and enumerable named properties of arrays and
 * built-ins, throw NOT_SERIALIZABLE like accessors: a snapshot without them
 * would restore a state other than the live one.
 */
import type { DateTime } from 'luxon';
import type { ClassRegistry } from './registry';
import {
  builtinKind,
  dateMillis,
  dateTimeParts,
  unsupportedZone,
  describeUnstorable,
  holeRun,
  refuseOwnWeekSettings,
  registeredName,
  typedArrayName,
  type AnyTypedArray,
  type ContainerKind,
  type LeafKind,
} from './kinds';
import { Unstorable, failureError } from './failure';
import {
  bufferBytes,
  byteLengthSlot,
  bytesRange,
  flagsSlot,
  lengthSlot,
  sourceSlot,
  viewedBytes,
} from './slots';
import { linePieces } from './line-pieces';
import { eachEntry, eachMember } from './raw-iteration';
import {
  refuseBuiltinExtras,
  refuseIndexedExtras,
  refuseCustomZone,
  refuseUnkeptBuffer,
  refuseSymbolKeys,
  storedLastIndex,
  storedValue,
} from './extras';

export { GraphDecoder } from './graph-decode';

/** What {@link encodeGraph} reports. */
export interface GraphStats {
  /** Distinct objects in the graph (containers and leaves); lines = containers, or 1. */
  objects: number;
}

/**
 * Takes the text of the lines: a whole line (a JSON text without newline), or
 * with `more` true a piece of one, which goes on with the next pieces up to
 * and including the next text given without `more`. Only a line that may be
 * longer than about {@link linePieces}.write characters comes in pieces.
 */
export type EmitPiece = (text: string, more?: boolean) => void;

/**
 * Streams the graph reachable from `root` to `emit`, one line (a JSON text
 * without newline) per container object, root first. Throws NOT_SERIALIZABLE
 * naming the path (from the root) of the first value that cannot be stored.
 */
export function encodeGraph(root: unknown, registry: ClassRegistry, emit: EmitPiece): GraphStats {
  const encoder = new GraphEncoder(registry);
  try {
    encoder.run(root, emit);
  } catch (err) {
    throw err instanceof Unstorable ? failureError(err, root, '') : err;
  }
  return { objects: encoder.ids.size };
}

const UNDEFINED = ['u'];
const NAN = ['N'];
const INFINITY = ['I'];
const NEG_INFINITY = ['-I'];
const NEG_ZERO = ['-0'];
const HOLE = ['h'];

type Value = unknown;

function dateTime(id: number, dt: DateTime): Value {
  refuseCustomZone(dt);
  refuseOwnWeekSettings(dt);
  const [ms, zoneOrReason, explanation, locale] = dateTimeParts(dt);
  if (ms === null) {
    const zone = unsupportedZone(dt);
    return zone === null
      ? [id, 'dt', null, zoneOrReason, explanation]
      : [id, 'dt', null, zoneOrReason, explanation, zone];
  }
  return locale === undefined
    ? [id, 'dt', ms, zoneOrReason]
    : [id, 'dt', ms, zoneOrReason, ...locale];
}

/** A RegExp's leaf: `[id,"r",source,flags]`, and its lastIndex after them unless it is 0. */
function regExpLeaf(id: number, re: RegExp): Value {
  const line: Value[] = [id, 'r', sourceSlot(re), flagsSlot(re)];
  const at = storedLastIndex(re);
  if (!Object.is(at, 0)) line.push(encodeNumber(at));
  return line;
}

/** A number as a line holds it: itself when finite and not -0, else its marker. */
function encodeNumber(v: number): Value {
  // v - v is 0 only for finite numbers; 1 / -0 is -Infinity.
  if (v - v === 0) return v !== 0 || 1 / v > 0 ? v : NEG_ZERO;
  return v !== v ? NAN : v > 0 ? INFINITY : NEG_INFINITY;
}

/**
 * The bytes of a binary leaf whose base64 text is longer than a line piece,
 * in the place of that text: the line is then written in pieces, the base64
 * in slices (see writeBase64), and the text never exists whole.
 */
class BigBytes {
  constructor(
    readonly bytes: Uint8Array,
    /** The length of the base64 text. */
    readonly chars: number,
  ) {}

  toJSON(): never {
    throw new Error('internal: the base64 of a big binary leaf was to be written whole');
  }
}

/** The length of the base64 text of `bytes` bytes. */
function base64Chars(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * At least the length of the JSON text of `v` (a value of a line) plus a
 * comma: 6 characters per character of a string (the longest escape), 25
 * for a number (the longest, as -0.0000012345678901234567).
 */
function estimate(v: Value): number {
  if (typeof v === 'string') return 6 * v.length + 3;
  if (typeof v !== 'object' || v === null) return 26;
  if (v instanceof BigBytes) return v.chars + 3;
  // A line's values are arrays of primitives, at most three levels deep.
  const items = v as Value[];
  let size = 3;
  for (let i = 0; i < items.length; i++) size += estimate(items[i]);
  return size;
}

/**
 * Emits line `line` in pieces of at most about `limit` characters: runs of
 * values stringified together, and a value longer than that on its own (see
 * writeValue). JSON.stringify(line) is the concatenation of the JSON texts
 * of its values between `[`, `,` and `]`, so the pieces add up to it.
 */
function emitPieces(line: readonly Value[], limit: number, emit: EmitPiece): void {
  let before = '[';
  let from = 0;
  let size = 0;
  const run = (to: number): void => {
    if (to - from === 1) {
      // One value, often a long one: its text as JSON.stringify makes it, not sliced out of
      // brackets (a long result is built in parts, and slicing it would copy it once more).
      emit(before, true);
      emit(JSON.stringify(line[from]), true);
    } else {
      // Apart: `before` joined to the slice would be copied once more where it is written.
      emit(before, true);
      const text = JSON.stringify(line.slice(from, to));
      emit(text.slice(1, -1), true);
    }
    before = ',';
  };
  for (let i = 0; i < line.length; i++) {
    const v = line[i];
    const length = estimate(v);
    if (i > from && size + length > limit) {
      run(i);
      from = i;
      size = 0;
    }
    if (length > limit) {
      emit(before, true);
      writeValue(v, limit, emit);
      before = ',';
      from = i + 1;
    } else size += length;
  }
  if (from < line.length) run(line.length);
  emit(']');
}

/** Emits the JSON text of a value longer than `limit` in pieces of at most about `limit` characters. */
function writeValue(v: Value, limit: number, emit: EmitPiece): void {
  if (typeof v === 'string') return writeString(v, limit, emit);
  if (v instanceof BigBytes) return writeBase64(v.bytes, limit, emit);
  if (!Array.isArray(v)) return emit(JSON.stringify(v), true);
  emit('[', true);
  for (let i = 0; i < v.length; i++) {
    const item = v[i] as Value;
    if (i > 0) emit(',', true);
    if (estimate(item) > limit) writeValue(item, limit, emit);
    else emit(JSON.stringify(item), true);
  }
  emit(']', true);
}

/**
 * Emits JSON.stringify(s) in slices of `s`, each stringified alone with its
 * quotes taken off. The same text: JSON escapes each UTF-16 unit on its own
 * except a surrogate pair, which a slice never cuts.
 */
function writeString(s: string, limit: number, emit: EmitPiece): void {
  const step = Math.max(2, Math.floor(limit / 6));
  let at = 0;
  do {
    let end = Math.min(at + step, s.length);
    if (end < s.length) {
      const unit = s.charCodeAt(end - 1);
      if (unit >= 0xd800 && unit <= 0xdbff) end--;
    }
    const text = JSON.stringify(s.slice(at, end));
    emit(text.slice(at === 0 ? 0 : 1, end === s.length ? text.length : -1), true);
    at = end;
  } while (at < s.length);
}

/**
 * Emits the base64 text of `bytes` as a JSON string, in slices of a multiple
 * of 3 bytes: the base64 of each is the text of the whole cut at that place.
 */
function writeBase64(bytes: Uint8Array, limit: number, emit: EmitPiece): void {
  const step = Math.max(3, Math.floor(limit / 4) * 3);
  const length = byteLengthSlot(bytes);
  emit('"', true);
  for (let at = 0; at < length; at += step) {
    emit(Buffer.from(bytesRange(bytes, at, at + step)).toString('base64'), true);
  }
  emit('"', true);
}

class GraphEncoder {
  readonly ids = new Map<object, number>();
  private readonly queue: object[] = [];
  private readonly kinds: ContainerKind[] = [];
  private readonly names: string[] = [];
  private readonly classNames = new Map<object, string | null>();
  private readonly line: Value[] = [];
  /** The characters of the strings put into the current line so far (its length is about the rest). */
  private chars = 0;
  private readonly limit = linePieces.write;

  constructor(private readonly registry: ClassRegistry) {}

  run(root: unknown, emit: EmitPiece): void {
    const head = this.value(root);
    if (this.queue.length === 0) {
      this.emit(['v', head], emit);
      return;
    }
    const { queue, kinds, names, line } = this;
    for (let i = 0; i < queue.length; i++) {
      const obj = queue[i] as object;
      const kind = kinds[i] as ContainerKind;
      line.length = 0;
      this.chars = 0;
      line.push(kind);
      if (kind === 'c') line.push(names[i]);
      this.contents(obj, kind);
      this.emit(line, emit);
    }
  }

  /**
   * Emits `line` whole, or in pieces when its text may be longer than a
   * piece: a string's escapes take up to 6 characters per character, and
   * any other value of a line (a number, a reference, a leaf without its
   * strings) about 32 at most.
   */
  private emit(line: Value[], emit: EmitPiece): void {
    if (this.chars * 6 + line.length * 32 > this.limit) emitPieces(line, this.limit, emit);
    else emit(JSON.stringify(line));
  }

  private contents(obj: object, kind: ContainerKind): void {
    switch (kind) {
      case 'a':
        this.items(obj as unknown[]);
        break;
      case 'm':
        refuseBuiltinExtras(obj, kind);
        this.entries(obj as Map<unknown, unknown>);
        break;
      case 's':
        refuseBuiltinExtras(obj, kind);
        this.members(obj as Set<unknown>);
        break;
      default:
        this.props(obj);
    }
  }

  private props(obj: object): void {
    refuseSymbolKeys(obj);
    const line = this.line;
    const keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      this.chars += key.length;
      line.push(key, this.value(storedValue(obj, key)));
    }
  }

  private items(arr: unknown[]): void {
    const line = this.line;
    const length = arr.length;
    let present = length;
    for (let i = 0; i < length; i++) {
      const v = arr[i];
      // Only an undefined element can be a hole, so dense arrays never ask `in`.
      if (v !== undefined || i in arr) line.push(this.value(v));
      else {
        const run = holeRun(arr, i);
        line.push(run === 1 ? HOLE : ['h', run]);
        present -= run;
        i += run - 1;
      }
    }
    refuseIndexedExtras(arr, present, 'a');
  }

  // By the built-in forEach taken at load (see raw-iteration.ts): the state's raw Maps and
  // Sets must not go to a Map iterator's next() the program replaced; as fast as for…of.
  private entries(map: Map<unknown, unknown>): void {
    const line = this.line;
    eachEntry(map, (value, key) => {
      line.push(this.value(key));
      line.push(this.value(value));
    });
  }

  private members(set: Set<unknown>): void {
    const line = this.line;
    eachMember(set, (member) => {
      line.push(this.value(member));
    });
  }

  private value(v: unknown): Value {
    switch (typeof v) {
      case 'string':
        this.chars += v.length;
        return v;
      case 'boolean':
        return v;
      case 'number':
        return encodeNumber(v);
      case 'undefined':
        return UNDEFINED;
      case 'bigint': {
        const digits = v.toString();
        this.chars += digits.length;
        return ['B', digits];
      }
      case 'object':
        return v === null ? null : this.reference(v);
      default:
        throw new Unstorable(v, describeUnstorable(v, this.registry));
    }
  }

  private reference(obj: object): Value {
    const known = this.ids.get(obj);
    if (known !== undefined) return [known];
    const id = this.ids.size;
    this.ids.set(obj, id);
    const proto = Object.getPrototypeOf(obj) as object | null;
    const kind = builtinKind(obj, proto);
    switch (kind) {
      case 'o':
      case 'a':
      case 'n':
      case 'm':
      case 's':
        this.enqueue(obj, kind, '');
        return [id, kind];
      case 'dt': {
        const leaf = dateTime(id, obj as DateTime) as Value[];
        for (let i = 3; i < leaf.length; i++) {
          const part = leaf[i];
          if (typeof part === 'string') this.chars += part.length;
        }
        return leaf;
      }
      case 'c':
      case undefined:
        break;
      default:
        return this.leaf(id, obj, kind);
    }
    const name = this.className(obj, proto);
    this.enqueue(obj, 'c', name);
    this.chars += name.length;
    return [id, 'c', name];
  }

  /** The first reference to leaf `obj`: its whole content (extra own properties refused). */
  private leaf(id: number, obj: object, kind: LeafKind): Value {
    switch (kind) {
      case 'd':
        refuseBuiltinExtras(obj, kind);
        return [id, 'd', dateMillis(obj as Date)];
      case 'r':
        refuseBuiltinExtras(obj, kind);
        this.chars += sourceSlot(obj as RegExp).length;
        return regExpLeaf(id, obj as RegExp);
      case 'ab':
        refuseBuiltinExtras(obj, kind);
        refuseUnkeptBuffer(obj, kind);
        return [id, 'ab', this.base64(bufferBytes(obj as ArrayBuffer))];
      case 't':
        refuseIndexedExtras(obj as AnyTypedArray, lengthSlot(obj as AnyTypedArray), kind);
        refuseUnkeptBuffer(obj, kind);
        return [id, 't', typedArrayName(obj), this.base64(viewedBytes(obj as ArrayBufferView))];
      default:
        refuseIndexedExtras(obj as Buffer, lengthSlot(obj as Buffer), kind);
        refuseUnkeptBuffer(obj, kind);
        return [id, 'b', this.base64(viewedBytes(obj as Buffer))];
    }
  }

  /** The base64 text of `bytes`, or when it would be longer than a line piece, a {@link BigBytes}. */
  private base64(bytes: Uint8Array): string | BigBytes {
    const chars = base64Chars(byteLengthSlot(bytes));
    this.chars += chars;
    return chars > this.limit ? new BigBytes(bytes, chars) : Buffer.from(bytes).toString('base64');
  }

  private enqueue(obj: object, kind: ContainerKind, name: string): void {
    this.queue.push(obj);
    this.kinds.push(kind);
    this.names.push(name);
  }

  private className(obj: object, proto: object | null): string {
    let name = proto === null ? null : this.classNames.get(proto);
    if (name === undefined) {
      name = registeredName(proto as object, this.registry) ?? null;
      this.classNames.set(proto as object, name);
    }
    if (name === null) throw new Unstorable(obj, describeUnstorable(obj, this.registry));
    return name;
  }
}
