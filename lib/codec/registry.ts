import { PrevalenceError } from '../errors';

/** A constructor prevalent may store instances of. */
export type StorableClass = abstract new (...args: any[]) => object;

/**
 * Counts registrations that added a class anywhere in the process: what was
 * worked out from the registered classes (see pure-query-guard.ts) is
 * stale when it changed.
 */
export const registrations: { count: number } = shared(
  Symbol.for('prevalent.registrations.v1'),
  () => ({ count: 0 }),
);

/** What the process-wide registry holds: one for every copy of prevalent loaded (see globalRegistry). */
interface RegisteredClasses {
  byName: Map<string, StorableClass>;
  byClass: Map<StorableClass, string>;
}

/** The object kept on `globalThis` under `key`, made by `make` for the first copy that asks. */
function shared<T>(key: symbol, make: () => T): T {
  const global = globalThis as { [key: symbol]: T | undefined };
  return (global[key] ??= make());
}

/**
 * Maps stored class names to constructors and back. A system's registry sits
 * on top of the process-wide one that `@persistent` fills, and adds the root
 * class and `options.classes`.
 */
export class ClassRegistry {
  readonly #byName: Map<string, StorableClass>;
  readonly #byClass: Map<StorableClass, string>;

  constructor(
    private readonly parent?: ClassRegistry,
    classes: RegisteredClasses = { byName: new Map(), byClass: new Map() },
  ) {
    this.#byName = classes.byName;
    this.#byClass = classes.byClass;
  }

  /**
   * Registers `cls` under `name` (default: the class's own name). Re-registering
   * the same pair is a no-op. A class the parent registry already names (its
   * `@persistent` name) is still written under that name; `name` is then only
   * read, for data stored under it before.
   */
  register(cls: StorableClass, name: string = cls.name): void {
    if (!name) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        'an anonymous class cannot be registered without a name: use @persistent("Name")',
      );
    }
    const existing = this.#byName.get(name) ?? this.parent?.byName(name);
    if (existing !== undefined && existing !== cls) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        `two different classes are registered under the name "${name}": give one of them another name with @persistent("OtherName")`,
      );
    }
    if (existing === undefined) registrations.count++;
    this.#byName.set(name, cls);
    // A class the parent (@persistent) already names keeps that name for
    // writing; this one only reads: data an earlier version stored under it.
    if (this.parent?.nameOf(cls) === undefined) this.#byClass.set(cls, name);
  }

  /** The stored name of `cls`, or undefined when it is not registered. */
  nameOf(cls: unknown): string | undefined {
    return this.#byClass.get(cls as StorableClass) ?? this.parent?.nameOf(cls);
  }

  /** Every class registered here or in the parent registry, each once. */
  classes(): Set<StorableClass> {
    const all = this.parent?.classes() ?? new Set<StorableClass>();
    for (const cls of this.#byName.values()) all.add(cls);
    return all;
  }

  /** The class registered under `name`, or undefined. */
  byName(name: string): StorableClass | undefined {
    return this.#byName.get(name) ?? this.parent?.byName(name);
  }

  /** The class registered under `name`; throws `UNKNOWN_CLASS` naming it otherwise. */
  require(name: string): StorableClass {
    const cls = this.byName(name);
    if (cls === undefined) {
      throw new PrevalenceError(
        'UNKNOWN_CLASS',
        `stored data contains an instance of class "${name}", which is not registered: decorate it with @persistent() or pass it in options.classes before opening (a class renamed since keeps its stored name with @persistent('${name}')${mangled(name) ? "; a short name like this one may be a minifier's, which changes with every build: give each stored class a fixed @persistent('Name')" : ''})`,
      );
    }
    return cls;
  }
}

/** True for a class name a minifier may have made (one or two characters). */
function mangled(name: string): boolean {
  return name.length <= 2;
}

/**
 * The process-wide registry that `@persistent` writes to. Its classes are
 * kept on `globalThis` under a registered symbol, shared by every copy of
 * prevalent loaded in the process (two installs, in a monorepo or an npm tree
 * that did not dedupe): a domain package registering its classes with its own
 * copy had them refused as unregistered by the application's. The shape (two
 * Maps) stays the same in every version of prevalent that uses this symbol.
 */
export const globalRegistry = new ClassRegistry(
  undefined,
  shared<RegisteredClasses>(Symbol.for('prevalent.persistentClasses.v1'), () => ({
    byName: new Map(),
    byClass: new Map(),
  })),
);
