import { ClassRegistry } from '../codec/registry';
import { builtinKind, isNativeConstructor } from '../codec/kinds';
import {
  checkStorable,
  checkStorableProperty,
  isStorableKind,
  unregisteredClassIn,
} from '../codec/storable';
import { PrevalenceError } from '../errors';
import type { Storability } from '../isolation/undo';

/** The store-time check of a system's undo log: the snapshot encoding's rules, with its registered classes. */
export function storabilityFor(registry: ClassRegistry): Storability {
  // Prototypes of registered classes: a class stays registered once it is,
  // so only yes is remembered; one lookup per stored class instance
  // afterwards. A built-in's prototype is not: it answers for each value
  // (Object.create(Date.prototype) has no Date inside).
  const registered = new WeakSet<object>();
  return {
    kind(value, proto) {
      if (proto === null || registered.has(proto)) return true;
      if (builtinKind(value, proto) !== undefined) return true;
      if (!isStorableKind(value, proto, registry)) return false;
      registered.add(proto);
      return true;
    },
    check: (value, where, skip, checked) => checkStorable(value, where, registry, skip, checked),
    property: checkStorableProperty,
  };
}

/**
 * The store-time check a replay of records other code may have written runs
 * (see UndoLog.replayStoreCheck): as storabilityFor's, but an instance of a
 * class `registry` does not know passes, so that the restore names it with
 * UNKNOWN_CLASS (refuseUnregisteredClass), as it does for records of this code.
 */
export function replayStorabilityFor(registry: ClassRegistry): Storability {
  return storabilityFor(new AnyClassRegistry(registry));
}

/** A registry that names every class: the ones `parent` knows by their names, the others by their own. */
class AnyClassRegistry extends ClassRegistry {
  override nameOf(cls: unknown): string | undefined {
    const known = super.nameOf(cls);
    // A built-in's constructor (Intl.NumberFormat, FinalizationRegistry) stays unknown: refused.
    if (known !== undefined || typeof cls !== 'function' || isNativeConstructor(cls)) return known;
    return (cls as { name?: string }).name || 'anonymous';
  }
}

/**
 * UNKNOWN_CLASS when the restored `state` holds, where snapshots look, an
 * instance of a class `registry` does not register. The journal records
 * calls, not classes: a class the live run registered and this open does not
 * shows only in what the replayed actions made, and without it no snapshot
 * could keep the state. Asked only when a replayed action stored an object
 * of a kind snapshots do not keep (UndoLog.replayKindTest), or when the
 * state was rebuilt from journals without a snapshot, so an open pays for
 * this walk of the whole state only then.
 */
export function refuseUnregisteredClass(
  state: object,
  registry: ClassRegistry,
  /** What to do once the class is registered. */
  then = 'open again',
): void {
  const found = unregisteredClassIn(state, registry);
  if (found === undefined) return;
  const { name, path } = found;
  const where = path === '' ? 'in it' : `at ${path}`;
  throw new PrevalenceError(
    'UNKNOWN_CLASS',
    `class "${name}" is not registered, and the state rebuilt from the journal holds an instance of it ${where} (the journal records calls, not classes): decorate the class with @persistent() or pass it in options.classes, then ${then}`,
  );
}
