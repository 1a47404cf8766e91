/**
 * Restoring own properties onto decoded objects. Plain assignment is fast but
 * would run a setter (or fail on a read-only property) found on the prototype
 * chain, and `obj.__proto__ = x` would replace the prototype; keys that meet
 * such a property are defined instead.
 */

const cache = new WeakMap<object, ReadonlySet<string>>();
const NONE: ReadonlySet<string> = new Set<string>();

/**
 * Names that must not be assigned on an object with prototype `proto`:
 * accessors and read-only properties anywhere on the chain, except
 * `__proto__`, which {@link setOwn} always defines. Cached per prototype,
 * assuming prototypes are not reshaped after their first use.
 */
export function unsafeKeys(proto: object | null): ReadonlySet<string> {
  if (proto === null) return NONE;
  let keys = cache.get(proto);
  if (keys === undefined) {
    keys = collectUnsafe(proto);
    cache.set(proto, keys);
  }
  return keys;
}

function collectUnsafe(proto: object): ReadonlySet<string> {
  const keys = new Set<string>();
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, name);
      if (d !== undefined && d.writable !== true && name !== '__proto__') keys.add(name);
    }
  }
  return keys.size === 0 ? NONE : keys;
}

/** Sets own enumerable data property `key` of `target`, honouring {@link unsafeKeys}. */
export function setOwn(
  target: object,
  key: string,
  value: unknown,
  unsafe: ReadonlySet<string>,
): void {
  if (key === '__proto__' || (unsafe.size !== 0 && unsafe.has(key))) {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    (target as Record<string, unknown>)[key] = value;
  }
}

/** Object.prototype's unsafe keys, used for plain objects. */
export const PLAIN_UNSAFE: ReadonlySet<string> = unsafeKeys(Object.prototype);
