/**
 * Tree encoding: a value as one JSON-compatible structure, used for journal
 * records (one human-readable JSON line per action).
 *
 * Strings, booleans, null and finite numbers other than -0 stay as they are;
 * arrays stay arrays; plain objects stay objects, with every key that starts
 * with `$` escaped by one more `$`. Everything else becomes a tagged object
 * whose first key is `"$"`: `{"$":"undef"}`, `{"$":"num","v":"NaN"}`, `{"$":"big","v":"12"}`,
 * `{"$":"date","v":ms}` (`null` when invalid), `{"$":"re","s":source,"f":flags}`,
 * `{"$":"map","e":[[k,v],…]}`, `{"$":"set","e":[…]}`, `{"$":"nobj","v":{…}}`,
 * `{"$":"ta","t":"Float64Array","v":base64}`, `{"$":"buf","v":base64}`,
 * `{"$":"ab","v":base64}`, `{"$":"dt","v":ms,"z":zone}`,
 * `{"$":"cls","c":"Page","v":{…}}`, and `{"$":"ref","i":n}` for an object
 * met before: objects are numbered from 0 in pre-order of first encounter.
 * Inside an array, `{"$":"hole"}` stands for one hole and `{"$":"hole","n":k}`
 * for a run of k > 1 holes.
 *
 * Symbol-keyed properties, and enumerable named properties of arrays and
 * built-ins, are refused (NOT_SERIALIZABLE), like accessors: dropping them
 * would lose the caller's data without a word.
 */
import { PrevalenceError } from '../errors';
import type { ClassRegistry } from './registry';
import {
  arrayBufferToBase64,
  builtinKind,
  dateMillis,
  dateTimeParts,
  unsupportedZone,
  describeUnstorable,
  isPrototypeObject,
  registeredName,
  typedArrayName,
  viewToBase64,
  holeRun,
  refuseOwnWeekSettings,
  type Kind,
} from './kinds';
import { MAX_RECORD_NESTING, NestedTooDeep, Unstorable, failureError, tooDeep } from './failure';
import {
  refuseBuiltinExtras,
  refuseCustomZone,
  refuseDetached,
  refuseIndexedExtras,
  refuseSymbolKeys,
  storedLastIndex,
  storedValue,
  refuseOverlongArray,
} from './extras';
import { flagsSlot, sourceSlot } from './slots';
import { eachEntry, eachMember } from './raw-iteration';
import type { DateTime } from 'luxon';

export { allPrimitive, decodeArgs, decodeTree } from './tree-decode';

/** A JSON-compatible value, as produced by {@link encodeTree}. */
export type Encoded = null | boolean | number | string | Encoded[] | { [key: string]: Encoded };

/** A `{"$":"path",…}` object produced by {@link TreeContext.external}. */
export type ExternalRef = { $: 'path'; [key: string]: unknown };

/** Returned by {@link TreeContext.external}: encode `target` (a copy of it) in place of the object. */
export class CopyInstead {
  constructor(readonly target: object) {}
}

/** What the tree codec needs besides the value. */
export interface TreeContext {
  /** Classes whose instances may be stored. */
  registry: ClassRegistry;
  /**
   * Called for every object before it is encoded; a `{"$":"path",…}` result
   * is emitted instead of the object, unnumbered; a CopyInstead has its
   * target encoded in the object's place.
   */
  external?: (obj: object) => Encoded | CopyInstead | undefined;
  /**
   * Told every object that is not data of a built-in kind (a class instance)
   * before it is encoded; may throw to refuse it (a closed system object), or
   * return an object to encode in its place (the system object an instance
   * given to initSystem stands for).
   */
  checkInstance?: (obj: object) => object | undefined;
  /** Turns a `{"$":"path",…}` object back into the object it stands for. */
  resolveExternal?: (tagged: ExternalRef) => unknown;
}

interface EncodeState {
  readonly ctx: TreeContext;
  seen: Map<object, number> | undefined;
  /** Objects open on the way down to the one being encoded. */
  depth: number;
  /** The most `depth` may reach: MAX_RECORD_NESTING for a journal record, else the stack's. */
  readonly maxDepth: number;
}

/**
 * Encodes `value` for a journal record. Throws NOT_SERIALIZABLE naming the
 * path of the first value that cannot be stored; `path` names `value` itself
 * in such messages (default: empty, the root).
 */
export function encodeTree(value: unknown, ctx: TreeContext, path = ''): Encoded {
  const st: EncodeState = { ctx, seen: undefined, depth: 0, maxDepth: Infinity };
  try {
    return encodeValue(value, st);
  } catch (err) {
    throw encodingError(err, value, path, ctx);
  }
}

/**
 * Encodes the arguments of an action; shared references across arguments are
 * kept. Error paths start with `args[i]`.
 */
export function encodeArgs(args: ArrayLike<unknown>, ctx: TreeContext): Encoded[] {
  const out: Encoded[] = [];
  let st: EncodeState | undefined;
  let i = 0;
  try {
    for (; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'string' || typeof arg === 'boolean' || arg === null) out.push(arg);
      else if (typeof arg === 'number' && arg - arg === 0 && (arg !== 0 || 1 / arg > 0)) {
        out.push(arg);
      } else
        out.push(
          encodeValue(
            arg,
            (st ??= { ctx, seen: undefined, depth: 0, maxDepth: MAX_RECORD_NESTING }),
          ),
        );
    }
  } catch (err) {
    throw encodingError(err, args[i], `args[${i}]`, ctx);
  }
  return out;
}

/**
 * The error to throw for `err`, thrown while encoding `root` (or copying it:
 * copy.ts), named `path` in messages: NOT_SERIALIZABLE naming the place of
 * what cannot be stored (or saying it nests too deeply, or could not be
 * read), or `err` itself when it is no such failure.
 */
export function encodingError(
  err: unknown,
  root: unknown,
  path: string,
  ctx: TreeContext,
): unknown {
  if (err instanceof Unstorable) {
    const external = ctx.external;
    const skip = external && ((obj: object) => isReference(external(obj)));
    return failureError(err, root, path, skip);
  }
  if (err instanceof NestedTooDeep) return tooDeep(path, err);
  if (err instanceof RangeError && /call stack/i.test(err.message)) return tooDeep(path, err);
  // A Proxy of the program's own standing for a Map or a Date, say, whose
  // methods then refuse it: named like any other value that cannot be stored.
  if (err instanceof TypeError) {
    return new PrevalenceError(
      'NOT_SERIALIZABLE',
      `${path === '' ? 'the value' : path} could not be read to encode it (${err.message}): pass plain data, not a Proxy or an object given another type's prototype`,
      { cause: err },
    );
  }
  return err;
}

function encodeValue(value: unknown, st: EncodeState): Encoded {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return encodeNumber(value);
    case 'undefined':
      return { $: 'undef' };
    case 'bigint':
      return { $: 'big', v: value.toString() };
    case 'object':
      return value === null ? null : encodeObject(value, st);
    default:
      throw new Unstorable(value, describeUnstorable(value, st.ctx.registry));
  }
}

/** `{"$":"re","s":source,"f":flags}`, with `"l":lastIndex` unless it is 0. */
function regExpNode(re: RegExp): Encoded {
  const at = storedLastIndex(re);
  const node: Record<string, Encoded> = { $: 're', s: sourceSlot(re), f: flagsSlot(re) };
  if (!Object.is(at, 0)) node['l'] = encodeNumber(at);
  return node;
}

/** A number as the tree holds it: itself when finite and not -0, else `{"$":"num"}`. */
function encodeNumber(value: number): Encoded {
  // value - value is 0 only for finite numbers; 1 / -0 is -Infinity.
  return value - value === 0 && (value !== 0 || 1 / value > 0) ? value : specialNumber(value);
}

function specialNumber(value: number): Encoded {
  return { $: 'num', v: value === 0 ? '-0' : String(value) };
}

function isReference(replaced: Encoded | CopyInstead | undefined): replaced is Encoded {
  return replaced !== undefined && !(replaced instanceof CopyInstead);
}

function encodeObject(value: object, st: EncodeState): Encoded {
  if (st.depth >= st.maxDepth) throw new NestedTooDeep();
  st.depth++;
  try {
    return encodeObjectBody(value, st);
  } finally {
    st.depth--;
  }
}

function encodeObjectBody(value: object, st: EncodeState): Encoded {
  let obj = value;
  const external = st.ctx.external;
  if (external !== undefined) {
    const replaced = external(obj);
    if (replaced instanceof CopyInstead) obj = replaced.target;
    else if (replaced !== undefined) return replaced;
  }
  const seen = (st.seen ??= new Map<object, number>());
  const id = seen.get(obj);
  if (id !== undefined) return { $: 'ref', i: id };
  seen.set(obj, seen.size);
  const proto = Object.getPrototypeOf(obj) as object | null;
  const kind = builtinKind(obj, proto);
  switch (kind) {
    case 'o':
      return encodeProps(obj, st);
    case 'a':
      return encodeArray(obj as unknown[], st);
    case 'n':
      return { $: 'nobj', v: encodeProps(obj, st) };
    case 'm':
      refuseBuiltinExtras(obj, kind);
      return { $: 'map', e: encodeMap(obj as Map<unknown, unknown>, st) };
    case 's':
      refuseBuiltinExtras(obj, kind);
      return { $: 'set', e: encodeSet(obj as Set<unknown>, st) };
    default:
      return encodeOther(obj, kind, proto, st);
  }
}

function encodeOther(
  obj: object,
  kind: Kind | undefined,
  proto: object | null,
  st: EncodeState,
): Encoded {
  if (kind === 't' || kind === 'b') {
    refuseIndexedExtras(obj as ArrayLike<unknown>, (obj as ArrayLike<unknown>).length, kind);
  } else if (kind !== undefined && kind !== 'dt') refuseBuiltinExtras(obj, kind);
  if (kind === 't' || kind === 'b' || kind === 'ab') refuseDetached(obj, kind);
  switch (kind) {
    case 'd':
      return { $: 'date', v: dateMillis(obj as Date) };
    case 'r':
      return regExpNode(obj as RegExp);
    case 't':
      return { $: 'ta', t: typedArrayName(obj), v: viewToBase64(obj as ArrayBufferView) };
    case 'b':
      return { $: 'buf', v: viewToBase64(obj as Buffer) };
    case 'ab':
      return { $: 'ab', v: arrayBufferToBase64(obj as ArrayBuffer) };
    case 'dt':
      return encodeDateTime(obj as DateTime);
  }
  const instead = st.ctx.checkInstance?.(obj);
  if (instead !== undefined) {
    obj = instead;
    proto = Object.getPrototypeOf(instead) as object | null;
  }
  const name =
    proto === null || isPrototypeObject(obj) ? undefined : registeredName(proto, st.ctx.registry);
  if (name === undefined) throw new Unstorable(obj, describeUnstorable(obj, st.ctx.registry));
  return { $: 'cls', c: name, v: encodeProps(obj, st) };
}

function encodeDateTime(dt: DateTime): Encoded {
  refuseCustomZone(dt);
  refuseOwnWeekSettings(dt);
  const [ms, zoneOrReason, explanation, locale] = dateTimeParts(dt);
  if (ms !== null) {
    if (locale === undefined) return { $: 'dt', v: ms, z: zoneOrReason };
    return { $: 'dt', v: ms, z: zoneOrReason, l: locale };
  }
  const zone = unsupportedZone(dt);
  if (zone === null) return { $: 'dt', v: null, r: zoneOrReason, x: explanation };
  return { $: 'dt', v: null, r: zoneOrReason, x: explanation, z: zone };
}

function encodeProps(obj: object, st: EncodeState): { [key: string]: Encoded } {
  refuseSymbolKeys(obj);
  const out: { [key: string]: Encoded } = {};
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = encodeValue(storedValue(obj, key), st);
    if (key.charCodeAt(0) === 36) out['$' + key] = value;
    else if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else out[key] = value;
  }
  return out;
}

function encodeArray(arr: unknown[], st: EncodeState): Encoded[] {
  refuseOverlongArray(arr);
  const out: Encoded[] = [];
  const length = arr.length;
  let present = length;
  for (let i = 0; i < length; i++) {
    const value = arr[i];
    // Only an undefined element can be a hole, so dense arrays never ask `in`.
    if (value !== undefined || i in arr) out.push(encodeValue(value, st));
    else {
      const run = holeRun(arr, i);
      out.push(run === 1 ? { $: 'hole' } : { $: 'hole', n: run });
      present -= run;
      i += run - 1;
    }
  }
  refuseIndexedExtras(arr, present, 'a');
  return out;
}

function encodeMap(map: Map<unknown, unknown>, st: EncodeState): Encoded[] {
  const out: Encoded[] = [];
  // By the built-ins taken at load (see raw-iteration.ts): the map may be a raw state Map.
  eachEntry(map, (value, key) => {
    const k = encodeValue(key, st);
    out.push([k, encodeValue(value, st)]);
  });
  return out;
}

function encodeSet(set: Set<unknown>, st: EncodeState): Encoded[] {
  const out: Encoded[] = [];
  eachMember(set, (member) => {
    out.push(encodeValue(member, st));
  });
  return out;
}
