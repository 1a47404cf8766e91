import { createHash } from 'node:crypto';
import type { ClassRegistry, StorableClass } from '../codec/registry';
import { hasFlag, METHOD_FLAGS } from '../flags';

/**
 * A digest of the code actions run: the source of the root class and of
 * every registered class, their base classes and the functions on their
 * prototypes (with their decorators), each under its stored name. Snapshots carry it (FORMAT.md,
 * `code`), so an open can tell whether the journal after the snapshot was
 * written by other code (a deploy without the snapshot README asks for):
 * its replay then runs the store-time checks a live call runs, as the
 * records' promise that their actions passed them was made by other code.
 * Helper functions outside the classes are not in it.
 */
export function codePrintOf(root: StorableClass, registry: ClassRegistry): string {
  const hash = createHash('sha256');
  const parts = [...registry.classes()].map((cls) => [registry.nameOf(cls) ?? '', cls] as const);
  parts.push(['\0root', root]);
  parts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, cls] of parts) {
    hash.update(`${name}\0`);
    for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype;) {
      hash.update(sourceOf(c));
      const proto: unknown = (c as { prototype?: unknown }).prototype;
      if (typeof proto === 'object' && proto !== null) printPrototype(hash, proto);
      c = Object.getPrototypeOf(c);
    }
  }
  return hash.digest('hex').slice(0, 16);
}

/** The functions on `proto` itself (a class compiled for ES5 keeps its methods there only). */
function printPrototype(hash: ReturnType<typeof createHash>, proto: object): void {
  for (const key of Reflect.ownKeys(proto)) {
    const desc = Reflect.getOwnPropertyDescriptor(proto, key);
    if (desc === undefined) continue;
    for (const fn of [desc.value, desc.get, desc.set]) {
      if (typeof fn !== 'function') continue;
      const flags = METHOD_FLAGS.filter((flag) => hasFlag(fn, flag)).join(',');
      hash.update(`${String(key)}\0${flags}\0${sourceOf(fn)}\0`);
    }
  }
}

function sourceOf(fn: unknown): string {
  try {
    return Function.prototype.toString.call(fn);
  } catch {
    // A Proxy of a class: its source cannot be read, so it always reads as changed.
    return String(Math.random());
  }
}
