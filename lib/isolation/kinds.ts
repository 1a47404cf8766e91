import { types } from 'node:util';
import { bufferSlot } from '../codec/slots';

/**
 * How a raw state object is handled. `plain` covers plain and null-prototype
 * objects, arrays and class instances: the proxy traps alone see every
 * change. The other kinds keep their data in internal slots, so their
 * built-in methods must run on the raw object.
 */
export type Kind =
  'plain' | 'map' | 'set' | 'date' | 'typed' | 'dataview' | 'arraybuffer' | 'regexp';

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
  if (ArrayBuffer.isView(raw)) return bufferSlot(raw);
  if (types.isAnyArrayBuffer(raw)) return raw;
  return undefined;
}

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

/** Constructor names of the built-in prototypes whose members need the raw object as `this`. */
const homeNames: Record<Exclude<Kind, 'plain'>, string[]> = {
  map: ['Map'],
  set: ['Set'],
  date: ['Date'],
  typed: ['TypedArray'],
  dataview: ['DataView'],
  arraybuffer: ['ArrayBuffer', 'SharedArrayBuffer'],
  regexp: ['RegExp'],
};

const nativeCode = /\{\s*\[native code\]\s*\}\s*$/;

/** True for native code (a built-in function or a bound one): its source is `[native code]`. */
export function isNativeCode(fn: unknown): boolean {
  try {
    return nativeCode.test(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
}

function isBuiltinHome(kind: Exclude<Kind, 'plain'>, proto: object): boolean {
  if (kind === 'typed' && proto === Buffer.prototype) return true;
  if (!Object.prototype.hasOwnProperty.call(proto, 'constructor')) return false;
  const ctor: unknown = (proto as { constructor: unknown }).constructor;
  return typeof ctor === 'function' && homeNames[kind].includes(ctor.name) && isNativeCode(ctor);
}

const BUILTIN_KINDS = Object.keys(homeNames) as Array<Exclude<Kind, 'plain'>>;

/**
 * This realm's built-in homes as they were when this module loaded: the
 * members views and tracking proxies call with the raw object as `this`.
 * What the program puts there later is its own code, which must never be
 * handed a raw state object: a method it adds (a polyfill) is left to the
 * ordinary property read, with the proxy as `this`; one it replaces (a
 * logging wrapper of Map.prototype.get) is not called through a proxy, as
 * the table keeps the built-in. Another realm's homes (a vm context's) are
 * taken as they are when first seen.
 */
const MEMBERS_AT_LOAD: ReadonlyMap<object, Members> = new Map(
  [
    Map.prototype,
    Set.prototype,
    Date.prototype,
    Object.getPrototypeOf(Uint8Array.prototype) as object,
    Buffer.prototype,
    DataView.prototype,
    ArrayBuffer.prototype,
    SharedArrayBuffer.prototype,
    RegExp.prototype,
  ].map((home) => [home, membersOf(home)]),
);

type Members = ReadonlyArray<readonly [PropertyKey, PropertyDescriptor | undefined]>;

/**
 * The own members of `home` as they are now that are the engine's own: a
 * method or getter written in JavaScript there (a polyfill, a wrapper the
 * program put in before prevalent loaded) is the program's code, left to
 * the ordinary property read like one put there later. Node's
 * Buffer.prototype is JavaScript, and taken whole.
 */
function membersOf(home: object): Members {
  const all = home === Buffer.prototype;
  return Reflect.ownKeys(home).map((key) => {
    const desc = Reflect.getOwnPropertyDescriptor(home, key);
    const code = desc === undefined ? undefined : (desc.get ?? desc.value);
    const own = all || typeof code !== 'function' || isNativeCode(code);
    return [key, own ? desc : undefined];
  });
}

/** Prototypes whose chains hold no built-in type's prototype (see handlerKindOf). */
const plainChains = new WeakSet<object>();

/** True when no prototype on the chain from `proto` up is a built-in type's own (Map.prototype, Date.prototype, …). */
function chainIsPlain(proto: object): boolean {
  for (let o: object | null = proto; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (BUILTIN_KINDS.some((kind) => isBuiltinHome(kind, o as object))) return false;
  }
  return true;
}

/**
 * The kind that decides which proxy handler an object gets: kindOf, with the
 * answer 'plain' remembered per prototype for plain objects and ordinary
 * class instances, the objects most views and tracking proxies are made for
 * (kindOf's seven tests were a sixth of a one-object query). An object whose
 * prototype chain holds no built-in type's prototype is 'plain' to a proxy
 * whatever internal slots it has (one made by `Reflect.construct(Map, [], C)`):
 * no method on its chain reaches them, and a built-in method borrowed and
 * called on the proxy throws TypeError. Walks that must see a Map's or a
 * Set's entries use kindOf.
 */
export function handlerKindOf(raw: object): Kind {
  if (Array.isArray(raw)) return 'plain';
  const proto = Object.getPrototypeOf(raw) as object | null;
  if (proto === null || proto === Object.prototype || plainChains.has(proto)) return 'plain';
  const kind = kindOf(raw);
  if (kind === 'plain' && chainIsPlain(proto)) plainChains.add(proto);
  return kind;
}

/**
 * The built-in members of one kind, by key, with one shared wrapper per
 * method. Built-in prototypes are found from the objects themselves (and
 * registered the first time), since an object may come from another realm
 * (vm contexts, test runners) with its own Map.prototype and so on.
 */
/**
 * The toString tag a proxy of a Date or RegExp answers when its object has
 * none: `Object.prototype.toString` reads an internal slot a proxy lacks, so
 * without it checks such as jest's `toEqual` or lodash's `isDate` took the
 * proxy for a plain object (Map, Set and typed arrays have the tag on their
 * prototypes already).
 */
const slotTags: Partial<Record<Exclude<Kind, 'plain'>, string>> = {
  date: 'Date',
  regexp: 'RegExp',
};

export class BuiltinTable {
  readonly #entries = new Map<PropertyKey, BuiltinEntry[]>();
  readonly #seen = new WeakSet<object>();
  readonly #tag: BuiltinEntry | undefined;

  constructor(
    private readonly kind: Exclude<Kind, 'plain'>,
    private readonly factory: WrapperFactory,
  ) {
    const tag = slotTags[kind];
    this.#tag =
      tag === undefined
        ? undefined
        : { home: Object.prototype, getter: () => tag, wrapper: undefined };
  }

  /** Registers the built-in prototypes on the chain of `raw` (cheap once they are known). */
  register(raw: object): void {
    for (
      let o = Object.getPrototypeOf(raw) as object | null;
      o !== null;
      o = Object.getPrototypeOf(o)
    ) {
      if (this.#seen.has(o)) continue;
      this.#seen.add(o);
      if (isBuiltinHome(this.kind, o)) this.#addHome(o);
    }
  }

  #addHome(home: object): void {
    // Indexed, no destructuring: the program may have replaced the iterators since.
    const members = MEMBERS_AT_LOAD.get(home) ?? membersOf(home);
    for (let i = 0; i < members.length; i++) {
      const member = members[i]!;
      const key = member[0];
      if (key === 'constructor') continue;
      const entry = toEntry(home, key, member[1], this.factory);
      if (entry === undefined) continue;
      const list = this.#entries.get(key) ?? [];
      list.push(entry);
      this.#entries.set(key, list);
    }
  }

  /**
   * The built-in member `key` resolves to on `target`, or undefined when the
   * key is not built in or a subclass or own property shadows it (then the
   * ordinary property read applies, with the proxy as receiver).
   */
  find(target: object, key: PropertyKey): BuiltinEntry | undefined {
    const entries = this.#entries.get(key);
    if (entries === undefined) {
      return key === Symbol.toStringTag && this.#tag !== undefined && !hasOnChain(target, key)
        ? this.#tag
        : undefined;
    }
    for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
      for (const entry of entries) if (entry.home === o) return entry;
      if (Object.prototype.hasOwnProperty.call(o, key)) return undefined;
    }
    return undefined;
  }

  /**
   * Every built-in member `from` (a prototype whose chain was registered)
   * resolves to, by key: what find answers for each known key (see
   * date-mirrors.ts).
   */
  membersFrom(from: object): Array<[PropertyKey, BuiltinEntry]> {
    const found: Array<[PropertyKey, BuiltinEntry]> = [];
    for (const key of this.#entries.keys()) {
      const entry = this.find(from, key);
      if (entry !== undefined) found.push([key, entry]);
    }
    return found;
  }
}

function hasOnChain(target: object, key: PropertyKey): boolean {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return true;
  }
  return false;
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

/** A kind whose built-in members need the raw object as `this`. */
export type BuiltinKind = Exclude<Kind, 'plain'>;

/** One {@link BuiltinTable} per built-in kind, with wrappers made by `factoryFor(kind)`. */
export function builtinTables(
  factoryFor: (kind: BuiltinKind) => WrapperFactory,
): Record<BuiltinKind, BuiltinTable> {
  const table = (kind: BuiltinKind) => new BuiltinTable(kind, factoryFor(kind));
  return {
    map: table('map'),
    set: table('set'),
    date: table('date'),
    typed: table('typed'),
    dataview: table('dataview'),
    arraybuffer: table('arraybuffer'),
    regexp: table('regexp'),
  };
}
