import { types } from 'node:util';
import { toRaw } from '../../lib/isolation/registry';

/**
 * A hostile program's index accessors: a getter and a setter at indexes
 * 0 to 7 of Array.prototype and Object.prototype, which record every
 * receiver and value they are given (in a Map: an array's push would run
 * them again). The setter defines the value as an own data property of its
 * receiver, so the code under test goes on as without them.
 */
export function withIndexAccessors(fn: () => void): unknown[] {
  const given = new Map<number, unknown>();
  const note = (v: unknown): void => void given.set(given.size, v);
  const protos: object[] = [Array.prototype, Object.prototype];
  for (const proto of protos) {
    for (let i = 0; i < 8; i++) {
      Object.defineProperty(proto, String(i), {
        configurable: true,
        get(this: unknown) {
          note(this);
          return undefined;
        },
        set(this: object, v: unknown) {
          note(this);
          note(v);
          Reflect.defineProperty(this, String(i), {
            value: v,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        },
      });
    }
  }
  try {
    fn();
  } finally {
    for (const proto of protos)
      for (let i = 0; i < 8; i++) Reflect.deleteProperty(proto, String(i));
  }
  return [...given.values()];
}

/** Every raw object reachable from the views `roots` (through own data properties, Map and Set entries). */
export function rawObjectsOf(...roots: unknown[]): Set<object> {
  const out = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || out.has(v) || types.isProxy(v)) return;
    out.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k);
        walk(x);
      }
    } else if (v instanceof Set) for (const x of v) walk(x);
    for (const key of Reflect.ownKeys(v)) {
      const desc = Reflect.getOwnPropertyDescriptor(v, key)!;
      if ('value' in desc) walk(desc.value);
    }
  };
  for (const root of roots) walk(toRaw(root));
  return out;
}

/**
 * The values among `given` that are, or hold within three steps of own data
 * properties (an undo entry's fields, a [key, descriptor] pair), one of the
 * raw objects `raw`. Proxies (views, tracking proxies) are not looked into.
 */
export function rawAmong(given: unknown[], raw: Set<object>): unknown[] {
  const holds = (v: unknown, depth: number, seen: Set<object>): boolean => {
    if (typeof v !== 'object' || v === null || types.isProxy(v)) return false;
    if (raw.has(v)) return true;
    if (depth === 3 || seen.has(v)) return false;
    seen.add(v);
    return Reflect.ownKeys(v).some((key) => {
      const desc = Reflect.getOwnPropertyDescriptor(v, key)!;
      return 'value' in desc && holds(desc.value, depth + 1, seen);
    });
  };
  return given.filter((v) => holds(v, 0, new Set()));
}
