import type { ClassRegistry } from '../codec/registry';
import { checkStorable, checkStorableProperty, isStorableKind } from '../codec/storable';
import type { Storability } from '../isolation/undo';

/** The store-time check of a system's undo log: the snapshot encoding's rules, with its registered classes. */
export function storabilityFor(registry: ClassRegistry): Storability {
  // Prototypes found storable: a class stays registered once it is, so only
  // yes is remembered; one lookup per stored class instance afterwards.
  const storable = new WeakSet<object>();
  return {
    kind(value, proto) {
      if (proto === null || storable.has(proto)) return true;
      if (!isStorableKind(value, proto, registry)) return false;
      storable.add(proto);
      return true;
    },
    check: (value, where, skip, checked) => checkStorable(value, where, registry, skip, checked),
    property: checkStorableProperty,
  };
}
