import { types } from 'node:util';

/**
 * How a raw state object is handled. `plain` covers plain and null-prototype
 * objects, arrays and class instances: the proxy traps alone see every
 * change. The other kinds keep their data in internal slots, so their
 * built-in methods must run on the raw object.
 */
export type Kind = 'plain' | 'map' | 'set' | 'date' | 'typed' | 'dataview' | 'arraybuffer' | 'regexp';

/** Classifies a raw object (checked once, when its proxy or view is created). */
export function kindOf(raw: object): Kind {
  if (Array.isArray(raw)) return 'plain';
  if (types.isMap(raw)) return 'map';
  if (types.isSet(raw)) return 'set';
  if (types.isDate(raw)) return 'date';
  if (types.isTypedArray(raw)) return 'typed';
  if (types.isDataView(raw)) return 'dataview';
  if (types.isAnyArrayBuffer(raw)) return 'arraybuffer';
  if (types.isRegExp(raw)) return 'regexp';
  return 'plain';
}

/** True for a canonical array index ("0", "1", … below 2^32 - 1); such keys are always ordered first, ascending. */
export function isArrayIndex(key: PropertyKey): key is string {
  if (typeof key !== 'string') return false;
  const n = Number(key);
  return n >>> 0 === n && n !== 4294967295 && String(n) === key;
}

/** True for a string key that a typed array treats as an element index (valid or not). */
export function isNumericKey(key: PropertyKey): key is string {
  return typeof key === 'string' && (key === '-0' || String(Number(key)) === key);
}

/** The underlying ArrayBuffer of a typed array or DataView, the buffer itself, or undefined. */
export function bufferOf(raw: object): object | undefined {
  if (ArrayBuffer.isView(raw)) return raw.buffer;
  if (types.isAnyArrayBuffer(raw)) return raw;
  return undefined;
}

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

/** The prototypes whose built-in members need the raw object as `this`, nearest first. */
export const builtinHomes: Record<Exclude<Kind, 'plain'>, object[]> = {
  map: [Map.prototype],
  set: [Set.prototype],
  date: [Date.prototype],
  typed: [Buffer.prototype, typedArrayPrototype],
  dataview: [DataView.prototype],
  arraybuffer: [ArrayBuffer.prototype, SharedArrayBuffer.prototype],
  regexp: [RegExp.prototype],
};

/** One built-in member: a getter evaluated on the raw object, or a shared method wrapper. */
export interface BuiltinEntry {
  readonly home: object;
  readonly getter: (() => unknown) | undefined;
  readonly wrapper: ((...args: unknown[]) => unknown) | undefined;
}

/** Builds a wrapper for the built-in method `original` named `name` of a kind. */
export type WrapperFactory = (
  name: PropertyKey,
  original: (...args: unknown[]) => unknown,
) => (...args: unknown[]) => unknown;

/** Built-in members of one kind by key; usually one entry per key, more when prototypes overlap (Buffer). */
export type BuiltinTable = Map<PropertyKey, BuiltinEntry[]>;

/** Builds the member table of a kind once, at module load; wrappers are shared by all proxies of the kind. */
export function buildTable(homes: object[], factory: WrapperFactory): BuiltinTable {
  const table: BuiltinTable = new Map();
  for (const home of homes) {
    for (const key of Reflect.ownKeys(home)) {
      if (key === 'constructor') continue;
      const desc = Reflect.getOwnPropertyDescriptor(home, key);
      const entry = toEntry(home, key, desc, factory);
      if (entry === undefined) continue;
      const list = table.get(key) ?? [];
      list.push(entry);
      table.set(key, list);
    }
  }
  return table;
}

function toEntry(
  home: object,
  key: PropertyKey,
  desc: PropertyDescriptor | undefined,
  factory: WrapperFactory,
): BuiltinEntry | undefined {
  if (desc === undefined) return undefined;
  if (desc.get !== undefined) return { home, getter: desc.get, wrapper: undefined };
  if (typeof desc.value !== 'function') return undefined;
  return { home, getter: undefined, wrapper: factory(key, desc.value) };
}

/**
 * The built-in member `key` resolves to on `target`, or undefined when the
 * key is not built in or a subclass or own property shadows it (then the
 * ordinary property read applies, with the proxy as receiver).
 */
export function findBuiltin(
  table: BuiltinTable,
  target: object,
  key: PropertyKey,
): BuiltinEntry | undefined {
  const entries = table.get(key);
  if (entries === undefined) return undefined;
  let o: object | null = target;
  while (o !== null) {
    for (const entry of entries) if (entry.home === o) return entry;
    if (Object.prototype.hasOwnProperty.call(o, key)) return undefined;
    o = Object.getPrototypeOf(o) as object | null;
  }
  return undefined;
}
