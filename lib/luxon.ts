import { DateTime } from 'luxon';

/**
 * True for a luxon DateTime (of any copy of luxon). luxon's own
 * `DateTime.isDateTime` reads `isLuxonDateTime` through the prototype chain,
 * so an object whose prototype answers every key (a catch-all proxy) would
 * pass; a DateTime holds that flag as its own property.
 */
export function isLuxonDateTime(value: unknown): value is DateTime {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isLuxonDateTime?: unknown }).isLuxonDateTime === true &&
    Object.prototype.hasOwnProperty.call(value, 'isLuxonDateTime')
  );
}
