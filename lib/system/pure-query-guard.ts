import { registrations, type ClassRegistry } from '../codec/registry';
import { stateShape } from '../isolation/registry';
import { LOOKUP_METHODS, pureReadOf, type PureRead } from './pure-query';

/**
 * When a pure read (see pure-query.ts) may run on the raw state. Its own
 * code changes nothing; the only other code a property read can run is a
 * getter, which would get the raw object as `this` instead of a read-only
 * view. So a pure read runs raw only when no getter it may reach could
 * change anything:
 *
 * - getters on the prototypes of the registered classes (the root's among
 *   them) and of the built-ins the state holds are native or pure reads
 *   themselves; a read of a name some other getter has (by name in the
 *   source, or by a parameter's value per call) goes the view's way;
 * - no object of the state was ever given an own getter in this process
 *   (an action may add one in a non-enumerable property; see
 *   `stateShape`), as no source shows which objects have one.
 *
 * The look-up methods a pure read calls (`get`, `has`) must be the
 * built-ins': no such prototype has a method of that name of its own
 * making, and no action ever stored a function in the state (allowed in a
 * non-enumerable property), which could answer to the name.
 *
 * A getter added to a prototype after the system opened (a monkey patch) is
 * not seen; registering a class makes the guard look again.
 */
export class PureQueryGuard {
  #seen = -1;
  #impure: ReadonlySet<PropertyKey> = new Set();
  #impureCalls: ReadonlySet<string> = new Set();

  constructor(private readonly registry: ClassRegistry) {}

  /**
   * The keys of getters that are neither native nor pure reads, worked out
   * again when a class was registered since.
   */
  impureGetterKeys(): ReadonlySet<PropertyKey> {
    this.#refresh();
    return this.#impure;
  }

  #refresh(): void {
    if (this.#seen === registrations.count) return;
    const protos = prototypesOf(this.registry);
    this.#impure = impureGetterKeysOf(protos);
    this.#impureCalls = impureLookupsOf(protos);
    this.#seen = registrations.count;
  }

  /**
   * True when pure read `read` may run on the raw state with `args` (the
   * call's arguments): every argument a primitive (an object could be a
   * view, which the raw state would not compare equal to, or run code of
   * its own when read), no getter key among the names it reads or the
   * argument values it reads by, and no own getter in the state.
   */
  allows(read: PureRead, args: ArrayLike<unknown>): boolean {
    if (stateShape.ownGetterSeen) return false;
    if (read.calls.size !== 0 && !this.#lookupsAreBuiltIn(read)) return false;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      if (typeof arg === 'object' ? arg !== null : typeof arg === 'function') return false;
    }
    const impure = this.impureGetterKeys();
    if (impure.size === 0) return true;
    for (const name of read.names) if (impure.has(name)) return false;
    for (const index of read.keyParams) {
      const arg = args[index];
      if (impure.has(typeof arg === 'symbol' ? arg : String(arg))) return false;
    }
    return true;
  }

  #lookupsAreBuiltIn(read: PureRead): boolean {
    if (stateShape.ownFunctionSeen) return false;
    this.#refresh();
    for (const name of read.calls) if (this.#impureCalls.has(name)) return false;
    return true;
  }
}

/** How many pure reads ran on the raw state and gave their result (for tests). */
export const pureQueryStats = { rawRuns: 0 };

/**
 * The prototypes of the built-ins a state may hold, and of the primitives a
 * read may reach. Not Node's Buffer.prototype: its getters (`parent`,
 * `offset`) are JavaScript that only reads, and counting them would send
 * every read of a field named `parent` the views' way.
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

/** The built-ins' prototypes and the chains of the registered classes' (the root's among them). */
function prototypesOf(registry: ClassRegistry): ReadonlySet<object> {
  const protos = new Set<object>();
  const addChain = (start: object | null): void => {
    for (
      let p = start;
      p !== null && !protos.has(p);
      p = Object.getPrototypeOf(p) as object | null
    ) {
      protos.add(p);
    }
  };
  for (const proto of builtinPrototypes()) addChain(proto);
  for (const cls of registry.classes()) addChain(cls.prototype as object);
  return protos;
}

/** The look-up method names some prototype answers with code other than a built-in function. */
function impureLookupsOf(protos: ReadonlySet<object>): ReadonlySet<string> {
  const impure = new Set<string>();
  for (const proto of protos) {
    for (const name of LOOKUP_METHODS) {
      const desc = Reflect.getOwnPropertyDescriptor(proto, name);
      if (desc !== undefined && !('value' in desc && isNative(desc.value))) impure.add(name);
    }
  }
  return impure;
}

/** The keys of the getters on `protos` that are neither native nor pure reads (see PureQueryGuard). */
function impureGetterKeysOf(protos: ReadonlySet<object>): ReadonlySet<PropertyKey> {
  // Getters that are pure reads, with what they read; the others' keys are impure.
  const pure: Array<[PropertyKey, PureRead]> = [];
  const impure = new Set<PropertyKey>();
  for (const proto of protos) {
    for (const key of Reflect.ownKeys(proto)) {
      const get = Reflect.getOwnPropertyDescriptor(proto, key)?.get;
      if (get === undefined || isNative(get)) continue;
      const read = pureReadOf(get);
      // A getter that calls a look-up could reach a method of the domain's own: not counted pure.
      if (read === undefined || read.calls.size !== 0) impure.add(key);
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
 * True for a built-in function (or a bound one, which ignores the object it
 * is read from): its source is `[native code]`.
 */
function isNative(fn: unknown): boolean {
  if (typeof fn !== 'function') return false;
  try {
    return /\{\s*\[native code\]\s*\}\s*$/.test(Function.prototype.toString.call(fn));
  } catch {
    return false;
  }
}
