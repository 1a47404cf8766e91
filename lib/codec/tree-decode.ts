/**
 * Decoding of the tree encoding (see tree.ts). Objects are numbered exactly as
 * the encoder numbered them: each container is allocated and numbered before
 * its children are decoded, so `{"$":"ref"}` may point at an unfinished one.
 */
import { PrevalenceError } from '../errors';
import type { Encoded, ExternalRef, TreeContext } from './tree';
import {
  base64ToArrayBuffer,
  base64ToBuffer,
  makeDate,
  makeDateTime,
  makeTypedArray,
  readLocale,
  type DateTimeLocale,
} from './kinds';
import { PLAIN_UNSAFE, setOwn, unsafeKeys } from './props';
import { MAX_RECORD_NESTING } from './failure';

interface DecodeState {
  readonly ctx: TreeContext;
  readonly objs: unknown[];
}

/** Decodes the output of `encodeTree`. Throws JOURNAL_CORRUPT on malformed input. */
export function decodeTree(encoded: Encoded, ctx: TreeContext): unknown {
  try {
    return decodeValue(encoded, { ctx, objs: [] });
  } catch (err) {
    throw beyondStack(err);
  }
}

/** True when no argument is an object: the encoded arguments are then the decoded ones. */
export function allPrimitive(encoded: readonly unknown[]): boolean {
  for (let i = 0; i < encoded.length; i++) {
    const value = encoded[i];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}

/** Decodes the output of `encodeArgs`, with the same numbering across arguments. */
export function decodeArgs(encoded: readonly Encoded[], ctx: TreeContext): unknown[] {
  const out: unknown[] = [];
  let st: DecodeState | undefined;
  try {
    for (let i = 0; i < encoded.length; i++) {
      const e = encoded[i];
      if (typeof e !== 'object' || e === null) out.push(e);
      else out.push(decodeValue(e, (st ??= { ctx, objs: [] })));
    }
  } catch (err) {
    throw beyondStack(err);
  }
  return out;
}

/**
 * JOURNAL_CORRUPT for a value nested deeper than the decoder's recursion
 * reaches (`err` is the stack overflow); other errors as they are. Not
 * refused by depth: records written before MAX_RECORD_NESTING existed may
 * nest deeper and are still read as far as the stack allows.
 */
function beyondStack(err: unknown): unknown {
  if (!(err instanceof RangeError) || !/call stack/i.test(err.message)) return err;
  // Not "damaged": a record this version wrote fails so too when the open runs deep in a
  // recursion, with little stack left (the review of the fix).
  return new PrevalenceError(
    'JOURNAL_CORRUPT',
    `a journal record holds a value nested more deeply than the call stack left allows to decode (this version writes at most ${MAX_RECORD_NESTING} levels; a hand-edited or earlier record may nest deeper). Nothing was changed: open the system from a shallower call than deep recursion, or run node with a larger --stack-size; if neither helps, the record was changed by hand: restore the data directory from a backup`,
    { cause: err },
  );
}

function corrupt(detail: string, cause?: unknown): PrevalenceError {
  return new PrevalenceError(
    'JOURNAL_CORRUPT',
    `a journal record holds a malformed value (${detail}): the journal was damaged or written by an incompatible version; restore the data directory from a backup`,
    { cause },
  );
}

function decodeValue(e: unknown, st: DecodeState): unknown {
  if (typeof e !== 'object' || e === null) return e;
  if (Array.isArray(e)) return decodeArray(e, st);
  const tag = (e as { $?: unknown }).$;
  if (tag === undefined) return decodePlain(e as Record<string, unknown>, st);
  return decodeTagged(e as Record<string, unknown>, tag, st);
}

function decodeArray(e: unknown[], st: DecodeState): unknown[] {
  const arr: unknown[] = [];
  st.objs.push(arr);
  for (let i = 0; i < e.length; i++) {
    const item = e[i];
    if (typeof item === 'object' && item !== null && (item as { $?: unknown }).$ === 'hole') {
      addHoles(arr, (item as { n?: unknown }).n);
    } else arr.push(decodeValue(item, st));
  }
  return arr;
}

/** Lengthens `arr` by `n` holes (one when `n` is absent), as `{"$":"hole","n":n}` says. */
function addHoles(arr: unknown[], n: unknown): void {
  const run = n === undefined ? 1 : n;
  if (typeof run !== 'number' || !Number.isInteger(run) || run < 1) throw corrupt('bad hole run');
  if (arr.length + run > 2 ** 32 - 1) throw corrupt('array too long');
  arr.length += run;
}

function decodePlain(e: Record<string, unknown>, st: DecodeState): object {
  const obj = {};
  st.objs.push(obj);
  fillProps(obj, e, PLAIN_UNSAFE, st);
  return obj;
}

function fillProps(
  obj: object,
  e: Record<string, unknown>,
  unsafe: ReadonlySet<string>,
  st: DecodeState,
): void {
  const keys = Object.keys(e);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = decodeValue(e[key], st);
    setOwn(obj, key.charCodeAt(0) === 36 ? key.slice(1) : key, value, unsafe);
  }
}

function decodeTagged(e: Record<string, unknown>, tag: unknown, st: DecodeState): unknown {
  switch (tag) {
    case 'undef':
      return undefined;
    case 'hole':
      throw corrupt('a hole outside an array');
    case 'num':
      return specialNumber(e.v);
    case 'big':
      return bigint(e.v);
    case 'ref':
      return reference(e.i, st);
    case 'path':
      return external(e as ExternalRef, st);
    case 'map':
      return decodeMap(e.e, st);
    case 'set':
      return decodeSet(e.e, st);
    case 'nobj':
      return decodeProps(Object.create(null) as object, e.v, st);
    case 'cls':
      return decodeInstance(e, st);
    default:
      return numbered(decodeLeaf(e, tag), st);
  }
}

function numbered<T>(value: T, st: DecodeState): T {
  st.objs.push(value);
  return value;
}

function specialNumber(v: unknown): number {
  switch (v) {
    case 'NaN':
      return NaN;
    case 'Infinity':
      return Infinity;
    case '-Infinity':
      return -Infinity;
    case '-0':
      return -0;
    default:
      throw corrupt(`unknown special number ${JSON.stringify(v)}`);
  }
}

function bigint(v: unknown): bigint {
  if (typeof v !== 'string' || !/^-?\d+$/.test(v)) throw corrupt('bad BigInt');
  return BigInt(v);
}

function reference(i: unknown, st: DecodeState): unknown {
  if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= st.objs.length) {
    throw corrupt(`reference to unknown object ${JSON.stringify(i)}`);
  }
  return st.objs[i];
}

function external(e: ExternalRef, st: DecodeState): unknown {
  const resolve = st.ctx.resolveExternal;
  if (resolve === undefined) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      'a journal record refers to an object of the state by path, but no resolveExternal was given to decode it: pass resolveExternal in the codec context',
    );
  }
  if (!Array.isArray(e.p) || !e.p.every(isPathStep)) {
    throw corrupt(`bad path ${JSON.stringify(e.p)?.slice(0, 200) ?? String(e.p)}`);
  }
  return resolve(e);
}

/** Whether `step` is a path step as docs/FORMAT.md lists them. */
function isPathStep(step: unknown): boolean {
  if (typeof step === 'string') return true;
  if (typeof step !== 'object' || step === null || Array.isArray(step)) return false;
  const keys = Object.keys(step);
  if (keys.length !== 1) return false;
  const value = (step as Record<string, unknown>)[keys[0]!];
  switch (keys[0]) {
    case 'mapKey':
      return (
        value === null ||
        typeof value === 'string' ||
        typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isFinite(value))
      );
    case 'setMember':
    case 'mapKeyAt':
    case 'mapValueAt':
      return Number.isSafeInteger(value) && (value as number) >= 0;
    default:
      return false;
  }
}

function decodeMap(entries: unknown, st: DecodeState): Map<unknown, unknown> {
  if (!Array.isArray(entries)) throw corrupt('Map without entries');
  const map = numbered(new Map<unknown, unknown>(), st);
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) throw corrupt('bad Map entry');
    const key = decodeValue(entry[0], st);
    map.set(key, decodeValue(entry[1], st));
  }
  return map;
}

function decodeSet(members: unknown, st: DecodeState): Set<unknown> {
  if (!Array.isArray(members)) throw corrupt('Set without members');
  const set = numbered(new Set<unknown>(), st);
  for (const member of members) set.add(decodeValue(member, st));
  return set;
}

function decodeProps(obj: object, props: unknown, st: DecodeState): object {
  if (typeof props !== 'object' || props === null || Array.isArray(props)) {
    throw corrupt('object without properties');
  }
  numbered(obj, st);
  fillProps(obj, props as Record<string, unknown>, unsafeKeys(Object.getPrototypeOf(obj)), st);
  return obj;
}

function decodeInstance(e: Record<string, unknown>, st: DecodeState): object {
  if (typeof e.c !== 'string') throw corrupt('class instance without a class name');
  const cls = st.ctx.registry.require(e.c);
  return decodeProps(Object.create(cls.prototype as object) as object, e.v, st);
}

function decodeLeaf(e: Record<string, unknown>, tag: unknown): object {
  switch (tag) {
    case 'date':
      if (e.v !== null && typeof e.v !== 'number') throw corrupt('bad Date');
      return makeDate(e.v);
    case 're':
      return regExp(e.s, e.f, e.l);
    case 'ta':
      return typedArray(e.t, e.v);
    case 'buf':
      return base64ToBuffer(text(e.v, 'Buffer'));
    case 'ab':
      return base64ToArrayBuffer(text(e.v, 'ArrayBuffer'));
    case 'dt':
      if (e.v !== null && typeof e.v !== 'number') throw corrupt('bad DateTime');
      if (e.v === null) return makeDateTime(null, e.r, e.x, undefined, e.z);
      return makeDateTime(e.v, e.z, e.x, dateTimeLocale(e.l));
    default:
      throw corrupt(`unknown tag ${JSON.stringify(tag)}`);
  }
}

/** A DateTime's locale settings as encoded (`"l":[locale,numbering,calendar]`), or undefined. */
function dateTimeLocale(l: unknown): DateTimeLocale | undefined {
  if (l === undefined) return undefined;
  const locale = Array.isArray(l) && l.length === 3 ? readLocale(l[0], l[1], l[2]) : undefined;
  if (locale === undefined) throw corrupt('bad DateTime locale');
  return locale;
}

/** A RegExp's lastIndex as encoded: a plain number or a `{"$":"num"}` node. */
function lastIndexValue(at: unknown): number {
  if (typeof at === 'number') return at;
  if (typeof at === 'object' && at !== null && (at as { $?: unknown }).$ === 'num') {
    return specialNumber((at as { v?: unknown }).v);
  }
  throw corrupt('bad RegExp lastIndex');
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string') throw corrupt(`bad ${what}`);
  return v;
}

function regExp(source: unknown, flags: unknown, lastIndex: unknown): RegExp {
  try {
    const re = new RegExp(text(source, 'RegExp'), text(flags, 'RegExp'));
    re.lastIndex = lastIndexValue(lastIndex ?? 0);
    return re;
  } catch (err) {
    if (err instanceof PrevalenceError) throw err;
    throw corrupt('bad RegExp');
  }
}

function typedArray(name: unknown, b64: unknown): object {
  const view = makeTypedArray(text(name, 'typed array'), text(b64, 'typed array'));
  if (view === undefined) throw corrupt(`bad typed array ${JSON.stringify(name)}`);
  return view;
}
