import { DateTime as RequiredDateTime, Settings as RequiredSettings } from 'luxon';
import type { DateTime } from 'luxon';

// luxon gives ES-module importers its ES build and require() its CommonJS
// build: two copies in one process, each with its own Settings.defaultZone
// and its own DateTime class. The ES-module entry of prevalent (index.mjs)
// hands over the ES build's DateTime, so that what an ES-module application
// sets on its luxon (the default zone) reaches the DateTimes prevalent makes
// (the clock's, restored ones), and they are instances of its DateTime.
let dateTimeClass: typeof DateTime = RequiredDateTime;
let settings: { defaultLocale?: unknown; defaultWeekSettings?: unknown } = RequiredSettings;

/** The locale a DateTime made without one gets now: luxon's Settings.defaultLocale, else the machine's. */
export function defaultLocale(): string {
  const chosen = settings.defaultLocale;
  if (typeof chosen === 'string' && chosen !== '') return chosen;
  // What luxon takes as the system locale (it keeps it for the process's life too).
  machineLocale ??= new Intl.DateTimeFormat().resolvedOptions().locale;
  return machineLocale;
}

let machineLocale: string | undefined;

/** luxon's Settings.defaultLocale as set (undefined, null or '' when none is). */
export function defaultLocaleSetting(): unknown {
  return settings.defaultLocale;
}

/** luxon's Settings.defaultWeekSettings (luxon 3.5+; null or undefined when none is set). */
export function defaultWeekSettings(): unknown {
  return settings.defaultWeekSettings;
}

/** luxon's DateTime class that prevalent makes DateTimes with (see useLuxon). */
export function luxonDateTime(): typeof DateTime {
  return dateTimeClass;
}

/**
 * Makes prevalent create DateTimes with `luxon`'s DateTime class and read
 * its Settings (a luxon module namespace): called by the ES-module entry with
 * luxon's ES build, and heeded when the process's entry is an ES module.
 */
export function useLuxon(luxon: { DateTime?: unknown; Settings?: unknown }): void {
  // A process whose entry is CommonJS uses luxon's CommonJS build, also when some module of it
  // imports prevalent: switching then would take its Settings away (the review of this fix).
  if (require.main !== undefined) return;
  const candidate = luxon.DateTime as typeof DateTime | undefined;
  if (typeof candidate?.fromMillis !== 'function') return;
  dateTimeClass = candidate;
  if (typeof luxon.Settings === 'function') settings = luxon.Settings as typeof settings;
}

/**
 * True for a luxon DateTime (of any copy of luxon). luxon's own
 * `DateTime.isDateTime` reads `isLuxonDateTime` through the prototype chain,
 * so an object whose prototype answers every key (a catch-all proxy) would
 * pass; a DateTime holds that flag as its own data property (read as such,
 * so no getter runs), and its prototype is
 * the `DateTime.prototype` of some copy of luxon. The prototype test keeps
 * out data that merely carries the flag: a request body parsed from JSON
 * (`{"isLuxonDateTime": true}`), or a class instance it was assigned onto.
 */
export function isLuxonDateTime(value: unknown): value is DateTime {
  // The own property only: a getter of that name on a class's prototype
  // would run with `value`, perhaps a raw state object, as `this`.
  if (
    typeof value !== 'object' ||
    value === null ||
    // hasOwnProperty first: most objects asked have no such property, and it is
    // cheaper than reading a descriptor (measured: 9 against 13 ns).
    !Object.prototype.hasOwnProperty.call(value, 'isLuxonDateTime') ||
    Object.getOwnPropertyDescriptor(value, 'isLuxonDateTime')?.value !== true
  ) {
    return false;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === (dateTimeClass.prototype as object)) return true;
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
