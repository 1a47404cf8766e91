import { PrevalenceError } from '../errors';
import { hasFlag, METHOD_FLAGS } from '../flags';
import type { StorableClass } from '../codec/registry';
import { isBuiltinClass, refuseBuiltinSubclass } from '../codec/builtin-classes';
import { CONTROL_NAMES } from './proxy';
import { openRoots } from '../isolation/registry';

function invalid(message: string): PrevalenceError {
  return new PrevalenceError('INVALID_OPTION', message);
}

/**
 * The class of the domain object `initSystem` was given (an instance or the
 * class itself), checked before anything touches the disk: it must be a
 * class of the user's own, not a built-in one or a subclass of one, and no
 * member may carry the name of a system control, which would hide it.
 */
export function domainClassOf(domain: unknown): StorableClass {
  if (typeof domain === 'string') {
    throw invalid(
      `initSystem got the string ${JSON.stringify(domain)} where the domain object belongs: did you swap the arguments? Call initSystem(domain, basedir), the domain (an instance of your class, or the class itself) first`,
    );
  }
  const cls = typeof domain === 'function' ? domain : (domain as object | null)?.constructor;
  if (typeof cls !== 'function' || cls === Object || cls === Array || cls === Function) {
    throw invalid(
      'initSystem needs an instance of a class (or the class itself): its methods become the actions and queries',
    );
  }
  if (isBuiltinClass(cls as StorableClass)) {
    throw invalid(
      `initSystem needs an instance of a class of your own (or the class itself), not the built-in ${cls.name || 'type'}: write a domain class and keep the ${cls.name || 'built-in value'} in one of its properties`,
    );
  }
  refuseBuiltinSubclass(cls as StorableClass);
  refuseControlNames(cls as StorableClass, typeof domain === 'function' ? undefined : domain);
  return cls as StorableClass;
}

/**
 * `new cls()`, for a directory with no snapshot to start from. When the
 * constructor has parameters without defaults (`cls.length`), a throw from
 * it (reading a property of the missing argument) is wrapped in an
 * INVALID_OPTION saying how to pass the initial state, the throw its cause;
 * any other throw passes unchanged (a constructor's own check of its
 * configuration is the application's error).
 */
export function constructDomain<T>(cls: new () => T): T {
  try {
    return new cls();
  } catch (err) {
    if (err instanceof PrevalenceError || cls.length === 0) throw err;
    const name = cls.name || 'the domain class';
    throw new PrevalenceError(
      'INVALID_OPTION',
      `initSystem was given the class ${name}, so it called new ${name}() with no arguments to make the initial state (the data directory has no snapshot yet), and that threw (${describeThrown(err)}): give the constructor's parameters defaults, or pass an instance, initSystem(new ${name}(...), basedir)`,
      { cause: err },
    );
  }
}

/** A thrown value for a message: an Error's message, else its string form, or its tag when it has none. */
function describeThrown(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return Object.prototype.toString.call(err);
  }
}

/**
 * The instance `initSystem` made of the domain class it was given (for an
 * empty directory, or journals without a snapshot): checked as an instance
 * given would have been. A constructor may return another object, which
 * would be stored as the root of another class. Fields named like a control
 * are refused for a new directory only: journals an earlier version wrote
 * for such a class still open, as its snapshots do.
 */
export function checkConstructedDomain(
  cls: StorableClass,
  instance: unknown,
  empty: boolean,
): void {
  if (typeof instance !== 'object' || instance === null || !(instance instanceof cls)) {
    const name = cls.name || 'the domain class';
    throw invalid(
      `new ${name}() returned an object that is not a ${name} (its constructor returns another object): the root must be an instance of the class given; return nothing from the constructor, or pass the object itself to initSystem`,
    );
  }
  if (openRoots.has(instance)) {
    const name = cls.name || 'the domain class';
    throw invalid(
      `new ${name}() returned the state of a system that is open (its constructor returns a shared instance, a singleton?): each system needs a state of its own; return nothing from the constructor`,
    );
  }
  if (empty) refuseControlNames(cls, instance);
}

// The system proxy answers these names with its controls, so a domain member
// of the same name could never be reached through it.
function refuseControlNames(cls: StorableClass, instance: unknown): void {
  for (
    let proto: unknown = cls.prototype;
    typeof proto === 'object' && proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const key of Reflect.ownKeys(proto)) {
      if (CONTROL_NAMES.has(key)) throw shadowed(cls, 'a method', key, proto);
    }
  }
  if (typeof instance !== 'object' || instance === null) return;
  for (const key of Reflect.ownKeys(instance)) {
    if (CONTROL_NAMES.has(key)) throw shadowed(cls, 'a property', key, undefined);
  }
}

// A `then` method makes the system object a thenable: `await` (or returning
// it from an async function) calls it as an action, with resolve and reject
// as arguments, and the caller never gets the system (found by the async
// review: the open then failed with a refusal naming neither).

/** The prototype on the domain class's chain that has a member named `then`, if any. */
export function thenOwner(cls: StorableClass): object | undefined {
  for (
    let proto: unknown = cls.prototype;
    typeof proto === 'object' && proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    if (Object.hasOwn(proto, 'then')) return proto;
  }
  return undefined;
}

/**
 * INVALID_OPTION for a new data directory whose domain class has a `then`
 * member (see thenOwner). Not for a directory holding state: initSystem
 * returns the system synchronously, so an earlier version opened it and
 * journaled calls of that `then`, which must still replay (warnThenable).
 */
export function thenable(cls: StorableClass, proto: object): PrevalenceError {
  return invalid(`${thenMember(cls, proto)}; rename it`);
}

/** The warning for a data directory holding state whose domain class has a `then` member. */
export function thenableWarning(cls: StorableClass, proto: object, dir: string): string {
  return `${thenMember(cls, proto)}. ${dir} holds state, so it opens as before; to rename the method, call takeSnapshot() with this code and close() first, as journal records naming then need it to replay`;
}

function thenMember(cls: StorableClass, proto: object): string {
  const owner = (proto as { constructor?: { name?: string } }).constructor?.name;
  const name = cls.name || 'the domain class';
  const where = owner && owner !== cls.name ? ` (inherited from ${owner})` : '';
  return `${name} has a method named then${where}, which makes the system object a thenable: \`await\`, or returning it from an async function, would call it as an action instead of handing the system over`;
}

function shadowed(cls: StorableClass, what: string, key: PropertyKey, proto: unknown) {
  const owner = (proto as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  const where = owner && owner !== cls.name ? ` (inherited from ${owner})` : '';
  const name = String(key);
  return invalid(
    `${cls.name || 'the domain class'} has ${what} named ${name}${where}, the name of the system's own ${name}(), which would hide it: it could never be called or read through the system; rename it`,
  );
}

/**
 * The warnings for methods of `cls` that override a decorated method of a
 * base class without its decorators: a decorator marks the function it is
 * on, so the override of a `@readonly` query runs as a journaled action, and
 * that of an `@abortOnException` action keeps what it changed before it
 * threw, with no word of it (found by the TypeScript review).
 */
export function droppedDecorators(cls: StorableClass): string[] {
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (
    let proto = cls.prototype as object | null;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || seen.has(key)) continue;
      seen.add(key);
      const method = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
      if (typeof method !== 'function') continue;
      const base = overridden(proto, key);
      if (base === undefined) continue;
      const lost = METHOD_FLAGS.filter((flag) => hasFlag(base.fn, flag) && !hasFlag(method, flag));
      if (lost.length === 0) continue;
      const owner = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'a class';
      const marks = lost.map((flag) => `@${flag}`).join(' and ');
      warnings.push(
        `${owner}.${key}() overrides ${base.owner}.${key}(), which is ${marks}, without ${lost.length === 1 ? 'it' : 'them'}: a decorator marks the function it is on and is not inherited, so the override runs ${lost.includes('readonly') ? 'as a journaled action' : `without ${marks}`}; put ${marks} on the override too (or leave the method out of the subclass)`,
      );
    }
  }
  return warnings;
}

/** The method `key` a prototype above `proto` defines, and its class's name. */
function overridden(proto: object, key: string): { fn: unknown; owner: string } | undefined {
  for (
    let above = Object.getPrototypeOf(proto) as object | null;
    above !== null && above !== Object.prototype;
    above = Object.getPrototypeOf(above) as object | null
  ) {
    const desc = Object.getOwnPropertyDescriptor(above, key);
    if (desc === undefined) continue;
    if (typeof desc.value !== 'function') return undefined;
    const owner =
      (above as { constructor?: { name?: string } }).constructor?.name ?? 'a base class';
    return { fn: desc.value, owner };
  }
  return undefined;
}
