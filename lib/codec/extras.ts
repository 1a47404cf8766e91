/**
 * Own properties the encodings cannot store, refused instead of dropped:
 * symbol-keyed properties on any object, and enumerable named (non-index)
 * properties on arrays and built-ins, whose encodings hold only their contents.
 * A value that lost them in a snapshot would differ after a restart from the
 * live one, which keeps them (and so does a replay of the journal).
 *
 * Each check is one call per object on the common path (a few tens of ns);
 * keys are listed only once something is found, to name it.
 */
import { inspect, types } from 'node:util';
import type { DateTime } from 'luxon';
import type { Kind } from './kinds';
import { bufferSlot, isDetached, isResizable } from './slots';
import { ACCESSOR, Unstorable } from './failure';
import { propSegment, symbolSegment } from './paths';

/** The `what` of a symbol-keyed property. */
export const SYMBOL_KEY =
  'a symbol-keyed property: only string-keyed properties can be stored; use a string key, or keep the value out of the state';

const KIND_NAMES: { [kind: string]: string } = {
  a: 'an Array (arrays are stored as their elements only)',
  m: 'a Map (Maps are stored as their entries only)',
  s: 'a Set (Sets are stored as their members only)',
  d: 'a Date (Dates are stored as their time only)',
  r: 'a RegExp (RegExps are stored as their source and flags only)',
  t: 'a typed array (typed arrays are stored as their bytes only)',
  b: 'a Buffer (Buffers are stored as their bytes only)',
  ab: 'an ArrayBuffer (ArrayBuffers are stored as their bytes only)',
};

/** The `what` of an enumerable named property of an object of `kind` (an array or a built-in). */
export function namedWhat(kind: Kind): string {
  return `a named property of ${KIND_NAMES[kind] ?? 'a built-in object'}: it cannot be stored; keep the value in a plain object or a registered class instance next to it`;
}

/**
 * The value of own enumerable property `key` of `obj` (one of its
 * `Object.keys`), as the encodings store it; an accessor is refused.
 */
export function storedValue(obj: object, key: string): unknown {
  const desc = Object.getOwnPropertyDescriptor(obj, key) as PropertyDescriptor;
  if (desc.writable === undefined) throw new Unstorable(undefined, ACCESSOR, obj, propSegment(key));
  return desc.value;
}

/** Refuses a symbol-keyed own property of `obj` (any kind). */
export function refuseSymbolKeys(obj: object): void {
  const symbols = Object.getOwnPropertySymbols(obj);
  if (symbols.length !== 0) {
    throw new Unstorable(undefined, SYMBOL_KEY, obj, symbolSegment(symbols[0] as symbol));
  }
}

/**
 * The longest array stored or passed: V8 keeps none longer but sparse ones
 * (dictionary elements), and every walk of prevalent's goes index by index,
 * holes included (about 20 ns each), so one of length 2 ** 32 - 1 took
 * minutes per walk and hung the call (hostile-input sweep).
 */
export const MAX_ARRAY_LENGTH = 2 ** 27;

/** What a refusal of an array longer than MAX_ARRAY_LENGTH says. */
export function overlongArray(length: number): string {
  return `an array of length ${length} (longer than ${MAX_ARRAY_LENGTH}): arrays are stored index by index, holes included, so it would take minutes to check, journal or snapshot; keep sparse data in a Map or an object keyed by index`;
}

/** Refuses an array longer than MAX_ARRAY_LENGTH, before any walk of its indices. */
export function refuseOverlongArray(arr: ArrayLike<unknown>): void {
  if (arr.length > MAX_ARRAY_LENGTH) throw new Unstorable(arr, overlongArray(arr.length));
}

/**
 * Refuses extra own properties of an array or a typed array (`kind` `a`,
 * `t` or `b`) with `present` elements (its length less its holes). One
 * Object.values call: it lists the elements and the enumerable named
 * properties without making a key string per index, as Object.keys would;
 * for a long typed array, one util.inspect call (see refuseNamedOfLong).
 */
export function refuseIndexedExtras(arr: ArrayLike<unknown>, present: number, kind: Kind): void {
  if (kind !== 'a' && present > LISTED_ELEMENTS) refuseNamedOfLong(arr, present, kind);
  else if (Object.values(arr).length !== present) refuseNamed(arr, kind, arr.length);
  refuseSymbolKeys(arr);
}

/**
 * A typed array or Buffer longer than this is not checked by Object.values,
 * which makes an array of all its elements (8 bytes and more each, and V8
 * makes none longer than about 2 ** 27: a Buffer of 450 MiB could not be
 * stored at all), but by {@link refuseNamedOfLong}.
 */
const LISTED_ELEMENTS = 2 ** 20;

/** How util.inspect shows a typed array's own enumerable named properties, and none of its elements. */
const NAMED_ONLY = Object.freeze({
  showHidden: false,
  depth: 0,
  maxArrayLength: 0,
  maxStringLength: 0,
  customInspect: false,
  getters: false,
  breakLength: Infinity,
  compact: true,
  sorted: false,
  colors: false,
});

/**
 * Refuses an enumerable named property of typed array `arr` of `length`
 * elements, found without listing its indices: util.inspect lists an
 * array's own non-index keys alone (Node's getOwnNonIndexProperties), after
 * `... <length> more items` when it shows no element.
 */
function refuseNamedOfLong(arr: ArrayLike<unknown>, length: number, kind: Kind): void {
  const shown = inspect(arr, NAMED_ONLY);
  const bare = `... ${length} more items`;
  if (shown.endsWith(`[ ${bare} ]`)) return;
  // The first named property, as shown (quoted when it is no identifier).
  const after = shown.slice(shown.indexOf(bare) + bare.length + 2);
  const key = after.slice(0, after.indexOf(': ')).replace(/^(['"`])(.*)\1$/, '$2');
  throw new Unstorable(undefined, namedWhat(kind), arr, propSegment(key));
}

/**
 * The `lastIndex` of a RegExp, which snapshots, arguments and copies keep (a
 * global or sticky RegExp's next `exec()` or `test()` starts there: a restart
 * that set it back to 0 changed what a later action found). A value other
 * than a number is refused: it would have to be stored as a value of its own.
 */
export function storedLastIndex(re: RegExp): number {
  const at: unknown = Reflect.getOwnPropertyDescriptor(re, 'lastIndex')?.value;
  if (typeof at !== 'number') {
    throw new Unstorable(
      re,
      `a RegExp whose lastIndex is ${at === null ? 'null' : typeof at}, not a number: set it to a number (it is where the next exec() or test() of a global or sticky RegExp starts)`,
    );
  }
  return at;
}

/** Refuses extra own properties of a Map, Set, Date, RegExp or ArrayBuffer. */
export function refuseBuiltinExtras(obj: object, kind: Kind): void {
  if (Object.keys(obj).length !== 0) refuseNamed(obj, kind, 0);
  refuseSymbolKeys(obj);
}

/** Throws for the first enumerable own key of `obj` that is not an index below `length`. */
function refuseNamed(obj: object, kind: Kind, length: number): void {
  for (const key of Object.keys(obj)) {
    const index = Number(key);
    if (Number.isInteger(index) && index >= 0 && index < length && String(index) === key) continue;
    throw new Unstorable(undefined, namedWhat(kind), obj, propSegment(key));
  }
}

/** The `what` of a resizable ArrayBuffer. */
const RESIZABLE_BUFFER =
  'a resizable ArrayBuffer (made with maxByteLength): the encodings keep only its bytes, so it would come back fixed-size; store a fixed-size copy (buffer.slice(0)), and store a new one to change its size';

/** The `what` of a typed array or Buffer viewing a resizable ArrayBuffer. */
const RESIZABLE_VIEW =
  'a typed array on a resizable ArrayBuffer: the encodings keep only the bytes it views, so it would come back fixed-size on a buffer of its own; store a fixed-size copy (typedArray.slice())';

/** The `what` of a detached ArrayBuffer. */
const DETACHED_BUFFER =
  'a detached ArrayBuffer (its bytes were transferred away: structuredClone or postMessage with transfer, or transfer()): it holds no bytes a snapshot could keep, and would come back as an empty ArrayBuffer that is not detached; store a copy made before the transfer, or none';

/** The `what` of a typed array or Buffer viewing a detached ArrayBuffer. */
const DETACHED_VIEW =
  'a typed array on a detached ArrayBuffer (its bytes were transferred away: structuredClone or postMessage with transfer, or transfer()): it holds no bytes a snapshot could keep; store a copy made before the transfer (typedArray.slice()), or none';

/**
 * Refuses a detached ArrayBuffer (`kind` `ab`) and a typed array or Buffer
 * (`t`, `b`) viewing one: the encodings could not read their bytes (a view
 * cannot be made on it), and what they came back as would not be detached.
 */
export function refuseDetached(obj: object, kind: Kind): void {
  if (kind === 'ab') {
    if (isDetached(obj as ArrayBufferLike)) throw new Unstorable(obj, DETACHED_BUFFER);
  } else if (isDetached(bufferSlot(obj as ArrayBufferView))) {
    throw new Unstorable(obj, DETACHED_VIEW);
  }
}

/** The `what` of a typed array or Buffer viewing a SharedArrayBuffer. */
const SHARED_VIEW =
  'a typed array on a SharedArrayBuffer: other threads holding that buffer write its bytes outside any action, and the encodings keep only the bytes it views, so it would come back on an ordinary ArrayBuffer of its own; store a copy (typedArray.slice())';

/**
 * Refuses an ArrayBuffer (`kind` `ab`), typed array or Buffer (`t`, `b`)
 * whose buffer the encodings do not bring back as it is: a resizable one
 * (stored as bytes, it would come back fixed-size, and a length-tracking
 * view would stop tracking), a detached one (see refuseDetached), and a
 * SharedArrayBuffer under a view (a SharedArrayBuffer itself is no storable
 * kind).
 */
export function refuseUnkeptBuffer(obj: object, kind: Kind): void {
  refuseDetached(obj, kind);
  if (kind === 'ab') {
    if (isResizable(obj as ArrayBufferLike)) throw new Unstorable(obj, RESIZABLE_BUFFER);
    return;
  }
  const buffer = bufferSlot(obj as ArrayBufferView);
  if (isResizable(buffer)) throw new Unstorable(obj, RESIZABLE_VIEW);
  if (types.isSharedArrayBuffer(buffer)) throw new Unstorable(obj, SHARED_VIEW);
}

/** The types of the zones luxon makes again from a stored name: the machine's, IANA, fixed offsets. */
const NAMED_ZONE_TYPES: ReadonlySet<string> = new Set(['system', 'iana', 'fixed']);

/** True for a valid luxon DateTime in a zone of the program's own (see refuseCustomZone). */
export function hasCustomZone(dt: DateTime): boolean {
  return dt.isValid && !NAMED_ZONE_TYPES.has(dt.zone.type);
}

/**
 * Refuses a valid luxon DateTime in a zone of the program's own (a `Zone`
 * subclass): the encodings keep a zone by its name, which luxon would make
 * into another zone, or into none (an invalid DateTime, "unsupported zone").
 */
export function refuseCustomZone(dt: DateTime): void {
  if (!hasCustomZone(dt)) return;
  throw new Unstorable(
    dt,
    `a luxon DateTime in a custom zone (${dt.zone.name}, of type ${dt.zone.type}): snapshots keep a zone by its name, from which luxon would not make this zone again; store it in an IANA zone or a fixed offset (dt.toUTC(), dt.setZone('Europe/Paris')) and keep what the zone needs next to it`,
  );
}
