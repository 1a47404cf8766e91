import type { ClassRegistry } from '../codec/registry';
import { builtinKind } from '../codec/kinds';
import { checkStorable, checkStorableProperty, isStorableKind } from '../codec/storable';
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
