import { DateTime } from 'luxon';

/**
 * True for a luxon DateTime (of any copy of luxon). luxon's own
 * `DateTime.isDateTime` reads `isLuxonDateTime` through the prototype chain,
 * so an object whose prototype answers every key (a catch-all proxy) would
 * pass; a DateTime holds that flag as its own property, and its prototype is
 * the `DateTime.prototype` of some copy of luxon. The prototype test keeps
 * out data that merely carries the flag: a request body parsed from JSON
 * (`{"isLuxonDateTime": true}`), or a class instance it was assigned onto.
 */
export function isLuxonDateTime(value: unknown): value is DateTime {
  if (
    typeof value !== 'object' ||
    value === null ||
    (value as { isLuxonDateTime?: unknown }).isLuxonDateTime !== true ||
    !Object.prototype.hasOwnProperty.call(value, 'isLuxonDateTime')
  ) {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === (DateTime.prototype as object)) return true;
  if (proto === null) return false;
  const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as
    Record<string, unknown> | undefined;
  // By shape, not by name: a minified luxon renames the class.
  const method = (name: string): boolean =>
    typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function';
  return (
    typeof ctor === 'function' &&
    ctor['prototype'] === proto &&
    typeof ctor['fromMillis'] === 'function' &&
    typeof ctor['isDateTime'] === 'function' &&
    method('toMillis') &&
    method('setZone') &&
    method('toISO')
  );
}
