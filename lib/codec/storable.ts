/**
 * What the encodings refuse in one object, checked where an action stores a
 * fresh value rather than at the next snapshot: an action that stores an
 * instance of an unregistered class, a function or an accessor fails at
 * once with NOT_SERIALIZABLE (and is rolled back), instead of being
 * journaled and leaving every later snapshot failing. The rules are the
 * encoders' own (tree.ts, graph.ts), applied to the object itself and to the
 * primitives it holds; the objects it holds are checked by the caller's walk.
 */
import type { ClassRegistry } from './registry';
import { ACCESSOR, failureError, Unstorable } from './failure';
import { refuseBuiltinExtras, refuseIndexedExtras, refuseSymbolKeys } from './extras';
import { builtinKind, describeUnstorable, registeredName } from './kinds';
import { propSegment } from './paths';

/** True when the encodings keep an object with prototype `proto` as itself (its contents aside). */
export function isStorableKind(value: object, proto: object | null, registry: ClassRegistry): boolean {
  if (builtinKind(value, proto) !== undefined) return true;
  return proto !== null && registeredName(proto, registry) !== undefined;
}

/**
 * Throws NOT_SERIALIZABLE, naming the place within `root` (called `where`),
 * when the encodings would refuse `value` itself: a kind they do not keep, a
 * symbol-keyed property, an enumerable named property of an array or a
 * built-in, an enumerable accessor, or a function or symbol held directly.
 */
export function checkStorable(
  value: unknown,
  root: unknown,
  where: string,
  registry: ClassRegistry,
): void {
  try {
    if (typeof value === 'object' && value !== null) refuseObject(value, registry);
    else refusePrimitive(value, registry);
  } catch (err) {
    if (err instanceof Unstorable) throw failureError(err, root, where);
    throw err;
  }
}

function refusePrimitive(value: unknown, registry: ClassRegistry): void {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new Unstorable(value, describeUnstorable(value, registry));
  }
}

function refuseObject(obj: object, registry: ClassRegistry): void {
  const proto = Object.getPrototypeOf(obj) as object | null;
  const kind = builtinKind(obj, proto);
  switch (kind) {
    case 'o':
    case 'n':
      return refuseProps(obj, registry);
    case 'a': {
      const arr = obj as unknown[];
      let present = 0;
      for (let i = 0; i < arr.length; i++) {
        const item = arr[i];
        if (item !== undefined || i in arr) present++;
        refusePrimitive(item, registry);
      }
      return refuseIndexedExtras(arr, present, 'a');
    }
    case 'm':
      refuseBuiltinExtras(obj, kind);
      for (const [k, v] of obj as Map<unknown, unknown>) {
        refusePrimitive(k, registry);
        refusePrimitive(v, registry);
      }
      return;
    case 's':
      refuseBuiltinExtras(obj, kind);
      for (const member of obj as Set<unknown>) refusePrimitive(member, registry);
      return;
    case 't':
    case 'b':
      return refuseIndexedExtras(
        obj as ArrayLike<unknown>,
        (obj as ArrayLike<unknown>).length,
        kind,
      );
    case 'dt':
      return;
    case undefined:
      if (proto !== null && registeredName(proto, registry) !== undefined) {
        return refuseProps(obj, registry);
      }
      throw new Unstorable(obj, describeUnstorable(obj, registry));
    default:
      return refuseBuiltinExtras(obj, kind);
  }
}

function refuseProps(obj: object, registry: ClassRegistry): void {
  refuseSymbolKeys(obj);
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const desc = Object.getOwnPropertyDescriptor(obj, key) as PropertyDescriptor;
    if (desc.writable === undefined) throw new Unstorable(undefined, ACCESSOR, obj, propSegment(key));
    refusePrimitive(desc.value, registry);
  }
}
