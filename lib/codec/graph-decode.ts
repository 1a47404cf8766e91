/**
 * Decoding of the graph encoding (see graph.ts). Each object is allocated when
 * its first reference is read; a container is filled when its own line
 * arrives. Lines are taken one at a time, so the whole stream is never held.
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
} from './kinds';
import { PLAIN_UNSAFE, setOwn, unsafeKeys } from './props';

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

  constructor(private readonly registry: ClassRegistry) {}

  /** Takes the next line. Throws SNAPSHOT_CORRUPT (or UNKNOWN_CLASS) on bad input. */
  push(line: string): void {
    this.lineNo++;
    const parsed = parse(line, this.lineNo);
    if (this.lineNo === 1) this.start(parsed);
    else this.fill(parsed);
  }

  /** The root, once every line was pushed; throws SNAPSHOT_CORRUPT when lines are missing. */
  finish(): unknown {
    if (this.lineNo === 0) throw corrupt(0, 'there are no lines at all');
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
    if (this.next >= this.pending.length) throw this.bad('no object is waiting for a line');
    const i = this.next++;
    const obj = this.pending[i] as object;
    const kind = this.kinds[i] as string;
    if (parsed[0] !== kind || (kind === 'c' && parsed[1] !== this.names[i])) {
      const what = kind === 'c' ? `an instance of ${this.names[i]}` : `an object of kind "${kind}"`;
      throw this.bad(`expected the line of ${what}`);
    }
    switch (kind) {
      case 'a':
        return this.items(obj as unknown[], parsed);
      case 'm':
        return this.entries(obj as Map<unknown, unknown>, parsed);
      case 's':
        return this.members(obj as Set<unknown>, parsed);
      case 'o':
        return this.props(obj, parsed, 1, PLAIN_UNSAFE);
      case 'n':
        return this.props(obj, parsed, 1, unsafeKeys(null));
      default:
        return this.props(obj, parsed, 2, unsafeKeys(Object.getPrototypeOf(obj) as object));
    }
  }

  private props(obj: object, line: unknown[], from: number, unsafe: ReadonlySet<string>): void {
    if ((line.length - from) % 2 !== 0) throw this.bad('a key has no value');
    for (let i = from; i < line.length; i += 2) {
      const key = line[i];
      if (typeof key !== 'string') throw this.bad('a property key is not a string');
      setOwn(obj, key, this.value(line[i + 1]), unsafe);
    }
  }

  private items(arr: unknown[], line: unknown[]): void {
    for (let i = 1; i < line.length; i++) {
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

  private entries(map: Map<unknown, unknown>, line: unknown[]): void {
    if (line.length % 2 !== 1) throw this.bad('a Map key has no value');
    for (let i = 1; i < line.length; i += 2) {
      const key = this.value(line[i]);
      map.set(key, this.value(line[i + 1]));
    }
  }

  private members(set: Set<unknown>, line: unknown[]): void {
    for (let i = 1; i < line.length; i++) set.add(this.value(line[i]));
  }

  private value(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    if (!Array.isArray(v)) throw this.bad('a value is a JSON object');
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
      case 'B':
        if (typeof v[1] !== 'string' || !/^-?\d+$/.test(v[1])) throw this.bad('bad BigInt');
        return BigInt(v[1]);
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
      case 'c':
        if (typeof name !== 'string') throw this.bad('a class reference has no class name');
        obj = bareInstance(this.registry.require(name).prototype);
        className = name;
        break;
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
        if (typeof a !== 'string' || typeof b !== 'string' || typeof at !== 'number')
          return undefined;
        return regExp(a, b, at);
      }
      case 't':
        return typeof a === 'string' && typeof b === 'string' ? makeTypedArray(a, b) : undefined;
      case 'b':
        return typeof a === 'string' ? base64ToBuffer(a) : undefined;
      case 'ab':
        return typeof a === 'string' ? base64ToArrayBuffer(a) : undefined;
      case 'dt': {
        if (a === null) return makeDateTime(a, b, c, undefined, v[5]);
        if (typeof a !== 'number') return undefined;
        // Locale settings after millis and zone, when it has any (and in files since they are kept).
        if (v.length === 4) return makeDateTime(a, b, undefined);
        const locale = v.length === 7 ? readLocale(v[4], v[5], v[6]) : undefined;
        return locale === undefined ? undefined : makeDateTime(a, b, undefined, locale);
      }
      default:
        return undefined;
    }
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
