import { inspect, types, type InspectOptions } from 'node:util';
import { reaches } from '../isolation/paths';
import { aliasSystemObject } from './exporter';
import { forwardingPrototypes } from '../codec/kinds';

/**
 * The domain instance a program gives to initSystem, after the call.
 *
 * `const wiki = new Wiki(); const sys = initSystem(wiki, dir)` leaves the
 * program holding two objects. Were `wiki` the state itself, a call on it
 * (`wiki.createPage(…)`) would change the state without a journal record:
 * kept until the next restart, then silently gone. So the state is a copy
 * of the instance (same prototype, same own properties, the objects they
 * hold shared), and the instance itself is emptied and given a prototype
 * that forwards every read, call, `in` and assignment to the system object:
 * `wiki.createPage(…)` is an action, `wiki.pages` a read-only view,
 * `wiki.pages = …` a DIRECT_MUTATION, as through `sys`. Its own properties
 * are accessors of the state's fields (see mirrorFields). When the directory
 * already holds state, the instance is not used for it and is forwarded the
 * same way.
 *
 * Left as it is (the state itself, as before): an instance that cannot be
 * emptied (not extensible, a non-configurable own property, a Proxy), and
 * one its own state refers back to (`this.home = new Page(this)`), whose
 * copy would hold the instance instead of the copy.
 */
interface Alias {
  /** The system object it forwards to (the newest initSystem given it). */
  system: object;
  /** The state it stands for: given to initSystem again, it starts from this. */
  root: object;
}

const aliases = new WeakMap<object, Alias>();

/** The state an instance given to initSystem before stands for, or undefined. */
export function stateHandedOver(instance: object): object | undefined {
  return aliases.get(instance)?.root;
}

/** Whether `instance` can be emptied and given accessors (and so forwarded): extensible, every own property configurable. */
export function emptiable(instance: object): boolean {
  if (types.isProxy(instance) || !Object.isExtensible(instance)) return false;
  const descriptors = Object.getOwnPropertyDescriptors(instance);
  return Reflect.ownKeys(descriptors).every(
    (key) => (descriptors as Record<PropertyKey, PropertyDescriptor>)[key]!.configurable,
  );
}

/**
 * The object to keep as the first state of a new directory for `instance`:
 * a copy the program holds no reference to, or `instance` itself where it
 * cannot be forwarded (see above).
 */
export function firstStateFor<T extends object>(instance: T): T {
  if (!emptiable(instance)) return instance;
  const copy = Object.create(
    Object.getPrototypeOf(instance) as object | null,
    Object.getOwnPropertyDescriptors(instance),
  ) as T;
  try {
    return reaches(copy, instance) ? instance : copy;
  } catch {
    // A getter in the first state threw: the checks of the first state refuse it, naming it.
    return instance;
  }
}

/**
 * After a successful initSystem(instance): makes `instance` forward to the
 * system object `proxy` (whose state is `root`), or points an instance
 * forwarded before to its new system.
 */
export function handOver(instance: object, root: object, proxy: object): void {
  let alias = aliases.get(instance);
  if (alias !== undefined) {
    alias.system = proxy;
    alias.root = root;
  } else {
    // A restored state is made of new objects: it cannot hold the instance.
    if (instance === root || !emptiable(instance)) return;
    alias = { system: proxy, root };
    Object.setPrototypeOf(
      instance,
      forwarder(alias, Object.getPrototypeOf(instance) as object | null),
    );
    aliases.set(instance, alias);
  }
  mirrorFields(instance, alias);
  aliasSystemObject(instance, proxy, emptied);
}

function emptied(instance: object): void {
  for (const key of Reflect.ownKeys(instance)) Reflect.deleteProperty(instance, key);
}

/**
 * Gives `instance` an own accessor for each own property of the state's root
 * (enumerable as there; `_clock` too, not enumerable), reading through the
 * system object and refusing assignment as it does: `Object.keys`, `hasOwnProperty`
 * and deep comparisons (jest's toEqual) see the fields the instance had.
 * Fields an action adds later are read through the prototype, not listed.
 * Removed when the system closes, as the system object then lists none.
 */
function mirrorFields(instance: object, alias: Alias): void {
  emptied(instance);
  for (const key of Reflect.ownKeys(alias.root)) {
    const desc = Reflect.getOwnPropertyDescriptor(alias.root, key);
    Object.defineProperty(instance, key, {
      get: () => Reflect.get(alias.system, key) as unknown,
      set: (value: unknown) => {
        Reflect.set(alias.system, key, value);
      },
      enumerable: desc?.enumerable === true,
      configurable: true,
    });
  }
}

/**
 * The prototype of a handed-over instance: what is not found on the (empty)
 * instance is asked of the system object. Its own prototype answers as the
 * class's, so `instanceof` holds.
 */
function forwarder(alias: Alias, proto: object | null): object {
  // Logging and JSON show the state, as for the system object (not the accessors the instance lists).
  const inspectState = (_depth: number, options: InspectOptions): string =>
    inspect(alias.system, options);
  const stateForJson = (): object => alias.system;
  const forwarding = new Proxy(Object.create(null) as object, {
    get: (_t, key) => {
      const value = Reflect.get(alias.system, key) as unknown;
      if (value !== undefined) return value;
      if (key === inspect.custom) return inspectState;
      return key === 'toJSON' ? stateForJson : undefined;
    },
    // The system object refuses it (DIRECT_MUTATION), saying why.
    set: (_t, key, value) => Reflect.set(alias.system, key, value),
    has: (_t, key) => Reflect.has(alias.system, key),
    getPrototypeOf: () => proto,
  });
  forwardingPrototypes.add(forwarding);
  return forwarding;
}
