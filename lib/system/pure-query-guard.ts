import { types } from 'node:util';
import { registrations, type ClassRegistry } from '../codec/registry';
import { isNativeCode } from '../isolation/kinds';
import { stateShape, storedPrototypes } from '../isolation/registry';
import { TYPED_PROTOTYPES } from '../isolation/undo-builtins';
import { LOOKUP_METHODS, pureReadOf, type PureRead } from './pure-query';

/**
 * When a pure read (see pure-query.ts) may run on the raw state. Its own
 * code changes nothing; the only other code a property read can run is a
 * getter, which would get the raw object as `this` instead of a read-only
 * view. So a pure read runs raw only when no getter it may reach could
 * change anything:
 *
 * - getters on the prototypes of the registered classes (the root's among
 *   them) and of the built-ins the state holds are the built-ins' own or
 *   pure reads themselves; a read of a name some other getter has (by name
 *   in the source, or by a parameter's value per call) goes the view's way,
 *   as does every read when a Proxy is on one of those prototype chains;
 * - no object of the state was ever given an own getter in this process
 *   (an action may add one in a non-enumerable property; see
 *   `stateShape`), as no source shows which objects have one.
 *
 * The look-up methods a pure read calls (`get`, `has`) must be the
 * built-ins' own: no such prototype, nor class reached through their
 * `constructor` (a static method), has another function (or an accessor)
 * of that name, and no action ever stored a function in the state (allowed
 * in a non-enumerable property), which could answer to the name. Not
 * looked at: an object a static field or a prototype's property holds.
 *
 * The prototypes scanned include those of what actions stored and initial
 * states held (see storedPrototypes): a non-enumerable property may hold
 * an unregistered class's instance.
 *
 * A read that loops or gathers a list (see PureRead.usesLists) gets copies
 * of its list arguments, made before any other check so that what a
 * getter element of one does is seen by them (see allows and #listRun).
 * A read that loops over a value of the state (PureRead.iteratesState)
 * runs whatever iteration that value has, with the raw object as `this`:
 * the built-ins' own iteration is required per call
 * (stateIterationIsBuiltIn), and no scanned prototype or class reached
 * through `constructor` may have a Symbol.iterator of the program's, nor
 * may a function have been stored (which could carry one).
 *
 * A getter added to a prototype after the guard looked (a monkey patch) is
 * not seen; registering a class or storing an object of a prototype not
 * stored before makes it look again.
 */
export class PureQueryGuard {
  #seen = -1;
  #seenStored = -1;
  /** How many times #impure was worked out. */
  #verdicts = 0;
  /** The last read whose names no impure getter has, and the #verdicts it was checked against. */
  #namesClear: PureRead | undefined;
  #namesClearAt = -1;
  /**
   * The keys of getters that are neither built-in nor pure reads, and of the
   * reads a view answers other than its object (see VIEW_ANSWERED);
   * undefined when a Proxy is on a prototype chain the guard looks at (it
   * may answer any key).
   */
  #impure: ReadonlySet<PropertyKey> | undefined = new Set();
  /** The look-up names some prototype or class answers with code of its own. */
  #impureCalls: ReadonlySet<string> = new Set();
  /** Whether Object.prototype had a property at an array index when the guard last looked (see hasIndexProperty). */
  #objectPrototypeIndexed = false;
  /** Whether #impure has a string key (it always has Symbol.toStringTag). */
  #impureStringKey = false;
  /** Whether #impure has a whole number's name (`'0'`: see isCounterKey), which a loop counter may read. */
  #impureIndexKey = false;
  /** Whether a prototype the guard scans has a Symbol.iterator of other than the built-ins' own (see #listRun). */
  #foreignIterator = false;

  constructor(private readonly registry: ClassRegistry) {}

  /** Works out #impure and #impureCalls again when a class was registered or a new prototype stored. */
  #refresh(): void {
    if (this.#seen === registrations.count && this.#seenStored === storedPrototypes.size) return;
    const protos = prototypesOf(this.registry);
    const impure = protos === undefined ? undefined : impureGetterKeysOf(protos);
    this.#impure = impure;
    this.#impureStringKey = impure !== undefined && [...impure].some((k) => typeof k === 'string');
    this.#impureIndexKey = impure !== undefined && [...impure].some(isCounterKey);
    this.#impureCalls =
      protos === undefined ? LOOKUP_METHODS : impureLookupsOf(protos, this.registry);
    this.#objectPrototypeIndexed = hasIndexProperty(Object.prototype);
    this.#foreignIterator =
      protos === undefined ||
      hasForeignIterator(protos) ||
      hasIterableClass(classesOf(protos, this.registry));
    this.#seen = registrations.count;
    this.#seenStored = storedPrototypes.size;
    this.#verdicts++;
  }

  /**
   * The arguments pure read `read` may run on the raw state with, given
   * `args` (the call's), or undefined when it must run on the views: every
   * argument a primitive (an object could be a view, which the raw state
   * would not compare equal to, or run code of its own when read) but the
   * lists it reads, which must be arrays of primitives and are copied (see
   * #listRun); no getter key among the names it reads or the values it
   * reads by; no own getter in the state.
   */
  allows(read: PureRead, args: ArrayLike<unknown>): ArrayLike<unknown> | undefined {
    // The lists first: a getter element of one runs as it is copied, and may
    // patch a built-in, define an accessor, register a class or call an
    // action. Every check below sees what it did.
    const run = read.listParams.length === 0 ? args : listCopies(read, args);
    if (run === undefined) return undefined;
    if (stateShape.ownGetterSeen) return undefined;
    this.#refresh();
    if (read.calls.size !== 0 && !this.#lookupsAreBuiltIn(read)) return undefined;
    // Indexed loops here and below, not for…of nor includes: the program may have replaced the
    // array iterator or Array.prototype.includes, whose answers the checks would then take.
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      const primitive = typeof arg === 'object' ? arg === null : typeof arg !== 'function';
      if (!primitive && !isListParam(read, i)) return undefined;
    }
    const impure = this.#impure;
    if (impure === undefined) return undefined;
    // The names a read reads are its source's: checked once per read and verdict (a loop calls one query).
    if (read !== this.#namesClear || this.#namesClearAt !== this.#verdicts) {
      for (const name of read.names) if (impure.has(name)) return undefined;
      this.#namesClear = read;
      this.#namesClearAt = this.#verdicts;
    }
    const keyParams = read.keyParams;
    for (let k = 0; k < keyParams.length; k++) {
      const arg = args[keyParams[k] as number];
      if (impure.has(typeof arg === 'symbol' ? arg : String(arg))) return undefined;
    }
    return read.usesLists ? this.#listRun(read, run, impure) : args;
  }

  /**
   * The arguments of a pure read that loops or gathers a list (`run`: the
   * call's, each list a copy: see listCopies), or undefined. The built-ins
   * the read's own code calls must be the built-ins' (push, the array
   * iterator), no property may sit at an array index of the prototypes of
   * arrays (a list's push or a state array's hole would run an accessor
   * there, a read past a list's end would give a value there: a counter
   * reading a list stays below 2^32 - 1, see pure-query.ts), and no getter
   * the guard counts impure may have a whole number's name when a loop
   * counter reads by it. The built-ins are checked last: the element checks
   * call Set.prototype.has, which the program may have replaced.
   */
  #listRun(
    read: PureRead,
    run: ArrayLike<unknown>,
    impure: ReadonlySet<PropertyKey>,
  ): ArrayLike<unknown> | undefined {
    if (read.counterKeys && this.#impureIndexKey) return undefined;
    // Symbols always (impure always has Symbol.toStringTag, which a view answers); strings when
    // some impure key is one. A list read by a counter past its end gives `undefined`.
    const strings = this.#impureStringKey;
    const keyLists = read.keyLists;
    if (keyLists.length !== 0 && strings && impure.has('undefined')) return undefined;
    for (let k = 0; k < keyLists.length; k++) {
      // The copy: an array of the built-ins' kind with an own element at every index.
      const list = run[keyLists[k] as number] as unknown[];
      for (let i = 0; i < list.length; i++) {
        const element = list[i];
        if (
          typeof element === 'symbol' ? impure.has(element) : strings && impure.has(String(element))
        ) {
          return undefined;
        }
      }
    }
    if (read.pushes && ownValue(Array.prototype, 'push') !== BUILTIN_PUSH) return undefined;
    if (read.iterates && !arrayIterationIsBuiltIn()) return undefined;
    // A loop over a value of the state runs the iteration of whatever the value is, with the
    // raw object as `this`: every one a state object can have must be the built-ins' own.
    // A function an action stored (allowed in a non-enumerable property) may carry a
    // Symbol.iterator of its own, or be a class with a static one, which no scan sees (review 3).
    if (
      read.iteratesState &&
      (stateShape.ownFunctionSeen || this.#foreignIterator || !stateIterationIsBuiltIn())
    ) {
      return undefined;
    }
    if (arrayPrototypeIndexed() || this.#objectPrototypeIndexed) return undefined;
    // A Proxy (or other object) between them would answer a list's writes.
    if (Object.getPrototypeOf(Array.prototype) !== Object.prototype) return undefined;
    return run;
  }

  /** After #refresh: true when the look-ups `read` calls can only be the built-ins'. */
  #lookupsAreBuiltIn(read: PureRead): boolean {
    if (stateShape.ownFunctionSeen) return false;
    for (const name of read.calls) {
      if (this.#impureCalls.has(name) || !lookupHomesUnchanged(name)) return false;
    }
    return true;
  }
}

type Holder = Record<string, unknown>;
const MAP_PROTO = Map.prototype as unknown as Holder;
const SET_PROTO = Set.prototype as unknown as Holder;
const OBJECT_PROTO = Object.prototype as unknown as Holder;
const ARRAY_PROTO = Array.prototype as unknown as Holder;
// What the look-up names held when this module loaded on the prototypes whose look-ups a
// state's values reach most: Map's and Set's, and those every plain object, class instance
// and array inherits from (nothing there, unless something put it there before).
const MAP_GET = MAP_PROTO['get'];
const MAP_HAS = MAP_PROTO['has'];
const SET_GET = SET_PROTO['get'];
const SET_HAS = SET_PROTO['has'];
const OBJECT_GET = OBJECT_PROTO['get'];
const OBJECT_HAS = OBJECT_PROTO['has'];
const ARRAY_GET = ARRAY_PROTO['get'];
const ARRAY_HAS = ARRAY_PROTO['has'];

/**
 * Per call: whether look-up `name` (`get` or `has`: LOOKUP_METHODS) still reads, on those
 * prototypes, what they read at module load. A program replacing
 * Map.prototype.get (a logging wrapper) after the guard last looked would
 * otherwise be given the raw Map by the raw run. Plain reads, one load
 * each: a descriptor per prototype halved the rate of a one-object query
 * by `get` (measured); an accessor put there since is seen when the
 * guard next looks (see #refresh), as a getter is.
 */
function lookupHomesUnchanged(name: string): boolean {
  if (name === 'get') {
    return (
      MAP_PROTO['get'] === MAP_GET &&
      SET_PROTO['get'] === SET_GET &&
      OBJECT_PROTO['get'] === OBJECT_GET &&
      ARRAY_PROTO['get'] === ARRAY_GET
    );
  }
  return (
    MAP_PROTO['has'] === MAP_HAS &&
    SET_PROTO['has'] === SET_HAS &&
    OBJECT_PROTO['has'] === OBJECT_HAS &&
    ARRAY_PROTO['has'] === ARRAY_HAS
  );
}

/** Whether parameter `index` of `read` is a list (see listCopies). */
function isListParam(read: PureRead, index: number): boolean {
  const lists = read.listParams;
  for (let k = 0; k < lists.length; k++) if (lists[k] === index) return true;
  return false;
}

/** Array.prototype.push as it was when this module loaded. */
const BUILTIN_PUSH = Array.prototype.push;
/** Array.prototype[Symbol.iterator] and the array iterators' next(), as they were when this module loaded. */
const BUILTIN_VALUES = Array.prototype[Symbol.iterator];
const ARRAY_ITERATOR = Object.getPrototypeOf([][Symbol.iterator]()) as { next: unknown };
const BUILTIN_NEXT = ARRAY_ITERATOR.next;
/** %IteratorPrototype%, which the array iterators inherit from. */
const ITERATOR = Object.getPrototypeOf(ARRAY_ITERATOR) as object;

/** The iterators of Maps, Sets and strings, and what they were when this module loaded. */
const MAP_ITERATOR = Object.getPrototypeOf(new Map()[Symbol.iterator]()) as object;
const SET_ITERATOR = Object.getPrototypeOf(new Set()[Symbol.iterator]()) as object;
const STRING_ITERATOR = Object.getPrototypeOf(''[Symbol.iterator]()) as object;
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
/** Holder, key, and the built-in function it holds: what a loop over a state value may call. */
const BUILTIN_ITERATION: ReadonlyArray<readonly [object, PropertyKey, unknown]> = [
  Map.prototype,
  Set.prototype,
  String.prototype,
  TYPED_ARRAY,
  ITERATOR,
].map((holder) => [holder, Symbol.iterator, ownValue(holder, Symbol.iterator)] as const);
const BUILTIN_ITERATOR_NEXTS: ReadonlyArray<readonly [object, unknown]> = [
  MAP_ITERATOR,
  SET_ITERATOR,
  STRING_ITERATOR,
].map((holder) => [holder, ownValue(holder, 'next')] as const);
/** The Symbol.iterator functions of the built-ins, which the scanned prototypes may hold. */
const BUILTIN_ITERATORS: ReadonlySet<unknown> = new Set([
  BUILTIN_VALUES,
  ...BUILTIN_ITERATION.map(([, , fn]) => fn),
]);
/**
 * Built-in prototypes that have no Symbol.iterator of their own, but would
 * answer a loop over a value of theirs if the program gave them one: the
 * primitives' (a string's is checked as the built-in), the other storable
 * built-ins', each typed array's and Buffer's.
 */
const NOT_ITERABLE: readonly object[] = [
  Object.prototype,
  Function.prototype,
  Number.prototype,
  Boolean.prototype,
  Symbol.prototype,
  BigInt.prototype,
  Date.prototype,
  RegExp.prototype,
  Error.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  ...TYPED_PROTOTYPES,
];

/** The constructors of the built-in prototypes above and of the arrays', Maps', Sets', strings'. */
const BUILTIN_CONSTRUCTORS: readonly object[] = [
  ...new Set(
    [Array.prototype, Map.prototype, Set.prototype, String.prototype, TYPED_ARRAY, ...NOT_ITERABLE]
      .map((proto) => ownValue(proto, 'constructor'))
      .filter((ctor): ctor is object => typeof ctor === 'function'),
  ),
];

/**
 * Whether a loop over a value of the state (an array, Map, Set, typed
 * array or string) runs the built-ins' own iteration and nothing else,
 * whatever the value turns out to be: the arrays' (see
 * arrayIterationIsBuiltIn), the Maps', Sets', strings' and typed arrays'
 * Symbol.iterator and their iterators' next() as when this module loaded,
 * no `return()` on their chains, no Symbol.iterator on a built-in prototype
 * that has none, no property at an array index of Object.prototype.
 */
function stateIterationIsBuiltIn(): boolean {
  if (!arrayIterationIsBuiltIn()) return false;
  for (const [holder, key, fn] of BUILTIN_ITERATION) if (ownValue(holder, key) !== fn) return false;
  for (const [holder, next] of BUILTIN_ITERATOR_NEXTS)
    if (!iteratorIsBuiltIn(holder, next)) return false;
  for (const proto of NOT_ITERABLE) if (Object.hasOwn(proto, Symbol.iterator)) return false;
  // Nor on a built-in's constructor, which a read of `constructor` reaches (`Array`, `Map`, …).
  for (const ctor of BUILTIN_CONSTRUCTORS) if (Object.hasOwn(ctor, Symbol.iterator)) return false;
  // A hole of a state array is read from its prototypes: Array.prototype's are checked per
  // call already (by its length), Object.prototype's here too (the getter would get the raw
  // array), not only when the guard last looked.
  return !hasIndexProperty(Object.prototype);
}

/**
 * Whether one of `protos` has a Symbol.iterator other than a built-in's own
 * (an accessor counts), or a prototype other than a built-in's has one at
 * all, own or inherited: a built-in iterator a class holds or inherits
 * runs the class's own code with the raw object as `this`
 * (Array.prototype.values reads its `length`, the strings' iterator calls
 * its toString, %IteratorPrototype%'s returns it, and the loop calls its
 * next(): review).
 */
function hasForeignIterator(protos: ReadonlySet<object>): boolean {
  for (const proto of protos) {
    if (!BUILTIN_PROTOTYPES.has(proto) && Symbol.iterator in proto) return true;
    const desc = Reflect.getOwnPropertyDescriptor(proto, Symbol.iterator);
    if (desc !== undefined && !('value' in desc && BUILTIN_ITERATORS.has(desc.value))) return true;
  }
  return false;
}

/**
 * The value of `holder`'s own data property `key`, else undefined: read
 * without running a getter (a getter that gives the built-in would run
 * again as the read calls it, with the list as `this`).
 */
function ownValue(holder: object, key: PropertyKey): unknown {
  const desc = Reflect.getOwnPropertyDescriptor(holder, key);
  return desc !== undefined && 'value' in desc ? desc.value : undefined;
}

/**
 * Whether `for…of` over an array runs the built-ins' own iteration and
 * nothing else: no `return()` on the iterators' chain, which `break` or
 * `return` in the loop would call.
 */
function arrayIterationIsBuiltIn(): boolean {
  return (
    ownValue(Array.prototype, Symbol.iterator) === BUILTIN_VALUES &&
    iteratorIsBuiltIn(ARRAY_ITERATOR, BUILTIN_NEXT) &&
    Object.getPrototypeOf(ITERATOR) === Object.prototype &&
    !Object.hasOwn(ITERATOR, 'return') &&
    !Object.hasOwn(Object.prototype, 'return')
  );
}

/** Whether iterator prototype `holder` has `next` as its own, %IteratorPrototype% as its prototype and no `return()` of its own. */
function iteratorIsBuiltIn(holder: object, next: unknown): boolean {
  return (
    ownValue(holder, 'next') === next &&
    Object.getPrototypeOf(holder) === ITERATOR &&
    !Object.hasOwn(holder, 'return')
  );
}

/**
 * The call's arguments with each list parameter's array copied (see
 * isPrimitivesList and fillCopy), or undefined when one is no array of primitives. Its
 * elements are read once here (so a getter element of an argument runs
 * here, once, and not as the read goes), into an array of the built-ins'
 * own kind no code of the caller's can answer for.
 */
function listCopies(read: PureRead, args: ArrayLike<unknown>): unknown[] | undefined {
  // Checked again after (see #listRun): here so that a copy's writes run no setter of
  // Array.prototype's (one of Object.prototype's would be given the caller's own values).
  if (arrayPrototypeIndexed()) return undefined;
  // Copied by hand: Array.prototype.slice may have been replaced, and its answer is what runs,
  // where the checks read `args`.
  const run: unknown[] = [];
  for (let i = 0; i < args.length; i++) run[i] = args[i];
  // Not for…of: a replaced array iterator could skip a list, which would then run uncopied.
  const lists = read.listParams;
  // Every copy is made whole (an own element at each index) before any element is read: a
  // getter element may put a setter at an index of Array.prototype and take it away again,
  // and a write to a copy that ran it would hand it the copy to change after the checks.
  for (let k = 0; k < lists.length; k++) {
    const index = lists[k] as number;
    const value = args[index];
    if (!isPrimitivesList(value, read.iterates)) return undefined;
    run[index] = blankCopy(value.length);
  }
  for (let k = 0; k < lists.length; k++) {
    const index = lists[k] as number;
    if (!fillCopy(args[index], run[index] as unknown[], read.iterates)) return undefined;
  }
  return run;
}

/** The longest argument list a pure read copies: a longer one runs on the views. */
const MAX_LIST_COPY = 1 << 24;

/**
 * Whether `value` may be copied for a pure read: an array (not a Proxy, with
 * the built-in array prototype, and when `iterated` by `for…of` no iterator
 * of its own) of at most MAX_LIST_COPY elements. Runs no code of the
 * caller's, and throws for none (a revoked Proxy is told before
 * Array.isArray, which throws for one: the views read the list only if the
 * query does).
 */
function isPrimitivesList(value: unknown, iterated: boolean): value is unknown[] {
  if (types.isProxy(value) || !Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Array.prototype) return false;
  // for…of over the argument runs its own Symbol.iterator, which the copy has not.
  if (iterated && Object.prototype.hasOwnProperty.call(value, Symbol.iterator)) return false;
  return value.length <= MAX_LIST_COPY;
}

/** An array of `length` own `undefined` elements (written while no code of the caller's has run). */
function blankCopy(length: number): unknown[] {
  const copy: unknown[] = [];
  for (let i = 0; i < length; i++) copy[i] = undefined;
  return copy;
}

/**
 * Fills `copy` (see blankCopy) with the elements of `value`, each read once;
 * false when `value` is no longer a list to copy (an earlier getter element
 * may have changed it) or an element is an object or a function. The writes
 * are to own data properties: no setter runs.
 */
function fillCopy(value: unknown, copy: unknown[], iterated: boolean): boolean {
  if (!isPrimitivesList(value, iterated) || value.length !== copy.length) return false;
  const length = copy.length;
  try {
    for (let i = 0; i < length; i++) {
      const element: unknown = value[i];
      if (typeof element === 'object' ? element !== null : typeof element === 'function') {
        return false;
      }
      copy[i] = element;
    }
  } catch {
    // A getter element that throws: the views read it only if the query does.
    return false;
  }
  return true;
}

/**
 * Whether `key` is the name a loop counter (a whole number from 0: see
 * pure-query.ts) may have: `'0'`, `'17'`, and past the array indexes
 * (`'4294967295'`) too.
 */
function isCounterKey(key: PropertyKey): boolean {
  return typeof key === 'string' && /^(?:0|[1-9]\d*)$/.test(key);
}

/**
 * Whether Array.prototype has a property at an array index: an accessor
 * there would run for a list's push or a hole, and a value there is what a
 * list read past its end by a counter gives (a key the guard never
 * checked). Array.prototype is an array, whose `length` (a data property
 * no program can make a getter) is past every index it has: asked per
 * call, in constant time.
 */
function arrayPrototypeIndexed(): boolean {
  return (Array.prototype as unknown[]).length !== 0;
}

/**
 * The same of Object.prototype, which has no such length: listing its keys
 * costs about a microsecond, so it is asked when the guard looks at the
 * prototypes (see #refresh), like the getters.
 */
function hasIndexProperty(proto: object): boolean {
  for (const key of Reflect.ownKeys(proto)) if (isCounterKey(key)) return true;
  return false;
}

/** How many pure reads ran on the raw state and gave their result (for tests). */
export const pureQueryStats = { rawRuns: 0 };

/**
 * The prototypes of the built-ins a state may hold, and of the primitives a
 * read may reach. Not Node's Buffer.prototype, scanned only once a Buffer
 * is stored (see storedPrototypes), whose getters (`parent`, `offset`)
 * count as built-ins' (see builtinGetters).
 */
function builtinPrototypes(): object[] {
  const typed = Object.getPrototypeOf(Uint8Array.prototype) as object;
  return [
    Object.prototype,
    Array.prototype,
    Map.prototype,
    Set.prototype,
    Date.prototype,
    RegExp.prototype,
    ArrayBuffer.prototype,
    DataView.prototype,
    typed,
    Function.prototype,
    String.prototype,
    Number.prototype,
    Boolean.prototype,
    Symbol.prototype,
    BigInt.prototype,
    Error.prototype,
  ];
}

/**
 * Keys a view answers other than its raw object: a Date's or a RegExp's
 * view gives its tag ('Date', 'RegExp'), which Object.prototype.toString
 * cannot read from a proxy (see kinds.ts).
 */
const VIEW_ANSWERED: readonly PropertyKey[] = [Symbol.toStringTag];

/**
 * What the built-ins' own native getters read through their object (and so
 * may run a getter of): RegExp.prototype.flags reads the flag getters.
 */
const NATIVE_READS: ReadonlyMap<PropertyKey, readonly string[]> = new Map([
  [
    'flags',
    [
      'hasIndices',
      'global',
      'ignoreCase',
      'multiline',
      'dotAll',
      'unicode',
      'unicodeSets',
      'sticky',
    ],
  ],
]);

/**
 * The built-ins' prototypes and the chains of the registered classes' (the
 * root's among them); undefined when a Proxy is on one of those chains (its
 * traps run for any key it is asked, with the object read as the receiver).
 */
function prototypesOf(registry: ClassRegistry): ReadonlySet<object> | undefined {
  const protos = new Set<object>();
  let proxied = false;
  const addChain = (start: object | null): void => {
    for (
      let p = start;
      p !== null && !protos.has(p);
      p = Object.getPrototypeOf(p) as object | null
    ) {
      if (types.isProxy(p)) {
        proxied = true;
        return;
      }
      protos.add(p);
    }
  };
  for (const proto of builtinPrototypes()) addChain(proto);
  for (const cls of registry.classes()) addChain(cls.prototype as object);
  // What actions stored or initial states held, a non-enumerable property's unregistered class too.
  for (const proto of storedPrototypes) addChain(proto);
  return proxied ? undefined : protos;
}

/**
 * The look-up method names some prototype answers with other than the
 * built-ins' own functions (a method of the domain's own, an accessor, or
 * native code such as Array.prototype.pop put under the name).
 */
function impureLookupsOf(
  protos: ReadonlySet<object>,
  registry: ClassRegistry,
): ReadonlySet<string> {
  const impure = new Set<string>();
  const look = (holder: object): void => {
    for (const name of LOOKUP_METHODS) {
      const desc = Reflect.getOwnPropertyDescriptor(holder, name);
      if (desc !== undefined && !('value' in desc && BUILTIN_LOOKUPS.has(desc.value))) {
        impure.add(name);
      }
    }
  };
  for (const proto of protos) look(proto);
  // The classes (a read of `constructor` reaches one) and what they extend: a static
  // get() or has() would be called with the raw state objects a pure read passes it.
  const classes = classesOf(protos, registry);
  // A Proxy may answer any key: every look-up name counts.
  if (classes === undefined) for (const name of LOOKUP_METHODS) impure.add(name);
  else for (const c of classes) look(c);
  return impure;
}

/**
 * The classes a read of `constructor` reaches from the state (the
 * registered ones, and the `constructor` of every scanned prototype) and
 * what they extend, up to Object.prototype; undefined when a Proxy is on
 * one of those chains.
 */
function classesOf(
  protos: ReadonlySet<object>,
  registry: ClassRegistry,
): ReadonlySet<object> | undefined {
  const classes = new Set<object>();
  let proxied = false;
  const addClass = (fn: unknown): void => {
    for (
      let c = typeof fn === 'function' ? (fn as object) : null;
      c !== null && !classes.has(c);
      c = Object.getPrototypeOf(c) as object | null
    ) {
      if (types.isProxy(c)) {
        proxied = true;
        return;
      }
      classes.add(c);
    }
  };
  for (const cls of registry.classes()) addClass(cls);
  for (const proto of protos) {
    const desc = Reflect.getOwnPropertyDescriptor(proto, 'constructor');
    if (desc !== undefined && 'value' in desc) addClass(desc.value);
  }
  return proxied ? undefined : classes;
}

/**
 * Whether a class `classesOf` gives has a Symbol.iterator of its own (a
 * static one, or Function.prototype's or Object.prototype's, which they
 * extend): `for (const x of this.constructor)` would run it, and again
 * when the read then goes the views' way (review).
 */
function hasIterableClass(classes: ReadonlySet<object> | undefined): boolean {
  if (classes === undefined) return true;
  for (const c of classes) if (Object.hasOwn(c, Symbol.iterator)) return true;
  return false;
}

/** The keys of the getters on `protos` that are neither built-ins' nor pure reads (see PureQueryGuard). */
function impureGetterKeysOf(protos: ReadonlySet<object>): ReadonlySet<PropertyKey> {
  // Getters that are pure reads, with what they read; the others' keys are impure.
  const pure: Array<[PropertyKey, Pick<PureRead, 'names'>]> = [];
  const impure = new Set<PropertyKey>(VIEW_ANSWERED);
  for (const proto of protos) {
    for (const key of Reflect.ownKeys(proto)) {
      const get = Reflect.getOwnPropertyDescriptor(proto, key)?.get;
      if (get === undefined) continue;
      if (BUILTIN_GETTERS.has(get)) {
        const reads = NATIVE_READS.get(key);
        if (reads !== undefined) pure.push([key, { names: new Set(reads) }]);
        continue;
      }
      // Native code that is no built-in's getter (a bound function, or a
      // method such as Array.prototype.pop made a getter) may change its object.
      const read = isNativeCode(get) ? undefined : pureReadOf(get);
      // A getter that calls a look-up could reach a method of the domain's own, one that
      // loops or gathers a list would need the checks of a query's (see #listRun): not counted pure.
      if (read === undefined || read.calls.size !== 0 || read.usesLists) impure.add(key);
      else pure.push([key, read]);
    }
  }
  // A pure getter that reads an impure getter's name is impure too.
  for (let changed = true; changed;) {
    changed = false;
    for (const [key, read] of pure) {
      if (impure.has(key)) continue;
      for (const name of read.names) {
        if (impure.has(name)) {
          impure.add(key);
          changed = true;
          break;
        }
      }
    }
  }
  return impure;
}

/**
 * The built-ins' own native getters, as they were when this module loaded
 * (`Map.prototype.size`, `Object.prototype.__proto__`, …): they read their
 * object and change nothing.
 */
const BUILTIN_GETTERS: ReadonlySet<unknown> = builtinGetters();

/** The built-ins' own look-up methods (`Map.prototype.get`, `Set.prototype.has`, …), as they were when this module loaded. */
const BUILTIN_LOOKUPS: ReadonlySet<unknown> = builtinLookups();

/** The built-ins' prototypes (see builtinPrototypes and NOT_ITERABLE), whose iteration is checked per call. */
const BUILTIN_PROTOTYPES: ReadonlySet<object> = new Set([...builtinPrototypes(), ...NOT_ITERABLE]);

function builtinLookups(): Set<unknown> {
  const lookups = new Set<unknown>();
  for (const proto of builtinPrototypes()) {
    for (const name of LOOKUP_METHODS) {
      const desc = Reflect.getOwnPropertyDescriptor(proto, name);
      if (desc !== undefined && 'value' in desc && isNativeCode(desc.value))
        lookups.add(desc.value);
    }
  }
  return lookups;
}

function builtinGetters(): Set<unknown> {
  const getters = new Set<unknown>();
  // Node's Buffer.prototype.parent and .offset: JavaScript that reads `buffer` and
  // `byteOffset` (a stored Buffer's prototype is scanned: see storedPrototypes).
  for (const key of ['parent', 'offset']) {
    const get = Reflect.getOwnPropertyDescriptor(Buffer.prototype, key)?.get;
    if (get !== undefined) getters.add(get);
  }
  for (const proto of builtinPrototypes()) {
    for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
      for (const key of Reflect.ownKeys(p)) {
        const get = Reflect.getOwnPropertyDescriptor(p, key)?.get;
        if (get !== undefined && isNativeCode(get)) getters.add(get);
      }
    }
  }
  return getters;
}
