import { PrevalenceError } from '../errors';
import {
  BUILTIN_SUBCLASS_ADVICE,
  builtinBase,
  isBuiltinPrototype,
  isNativeConstructor,
} from './kinds';

/** True when `cls` is a built-in constructor itself (Map, Date, Number, ...), not a class of the user's. */
export function isBuiltinClass(cls: abstract new (...args: never[]) => unknown): boolean {
  return isBuiltinPrototype(cls.prototype) || isNativeConstructor(cls);
}

/**
 * Refuses a class that extends a built-in type (Map, Set, Array, Date, typed
 * arrays, RegExp, Error, Promise, ...): its instances keep their contents in
 * internal slots that own properties, and so snapshots, cannot capture.
 * Throws the `NOT_SERIALIZABLE` error that storing such an instance gives.
 */
export function refuseBuiltinSubclass(cls: abstract new (...args: never[]) => unknown): void {
  const proto: unknown = cls.prototype;
  if (typeof proto !== 'object' || proto === null) return;
  const base = builtinBase(proto);
  if (base === undefined) return;
  throw new PrevalenceError(
    'NOT_SERIALIZABLE',
    `class ${cls.name || '(anonymous)'} extends a built-in type (${base}): ${BUILTIN_SUBCLASS_ADVICE}`,
  );
}
