import { types } from 'node:util';
import type { DateTime } from 'luxon';
import {
  defaultLocale,
  defaultLocaleSetting,
  defaultWeekSettings,
  isLuxonDateTime,
  luxonDateTime,
} from '../luxon';
import { Unstorable } from './failure';
import { hasPrivateMembers } from '../clock/private-members';
import type { ClassRegistry } from './registry';
import { bufferBytes, timeSlot, viewedBytes } from './slots';

/**
 * Object kinds the codecs can store. Containers hold other values (`o` plain
 * object, `n` null-prototype object, `a` array, `m` Map, `s` Set, `c`
 * registered class instance); leaves hold only data (`d` Date, `r` RegExp,
 * `t` typed array, `b` Buffer, `ab` ArrayBuffer, `dt` luxon DateTime).
 */
export type ContainerKind = 'o' | 'n' | 'a' | 'm' | 's' | 'c';
/** See {@link ContainerKind}. */
export type LeafKind = 'd' | 'r' | 't' | 'b' | 'ab' | 'dt';
/** Any storable object kind. */
export type Kind = ContainerKind | LeafKind;

/** Any typed array prevalent can store. */
export type AnyTypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayClass = { new (buffer: ArrayBuffer): AnyTypedArray; BYTES_PER_ELEMENT: number };

const TYPED_ARRAYS: ReadonlyMap<string, TypedArrayClass> = new Map<string, TypedArrayClass>([
  ['Int8Array', Int8Array],
  ['Uint8Array', Uint8Array],
  ['Uint8ClampedArray', Uint8ClampedArray],
  ['Int16Array', Int16Array],
  ['Uint16Array', Uint16Array],
  ['Int32Array', Int32Array],
  ['Uint32Array', Uint32Array],
  ['Float32Array', Float32Array],
  ['Float64Array', Float64Array],
  ['BigInt64Array', BigInt64Array],
  ['BigUint64Array', BigUint64Array],
]);

const TYPED_NAME_BY_PROTO = new Map<object, string>(
  [...TYPED_ARRAYS].map(([name, cls]) => [cls.prototype as object, name]),
);

const KIND_BY_PROTO = new Map<object, Kind>([
  [Map.prototype, 'm'],
  [Set.prototype, 's'],
  [Date.prototype, 'd'],
  [RegExp.prototype, 'r'],
  [Buffer.prototype, 'b'],
  [ArrayBuffer.prototype, 'ab'],
  ...[...TYPED_NAME_BY_PROTO.keys()].map((proto): [object, Kind] => [proto, 't']),
]);

// Class instances whose chain reaches one of these carry internal slots (or are
// errors/promises) that own properties cannot capture.
const BUILTIN_PROTOS = new Set<object>([
  Array.prototype,
  Object.getPrototypeOf(Int8Array.prototype) as object,
  Error.prototype,
  Promise.prototype,
  WeakMap.prototype,
  WeakSet.prototype,
  WeakRef.prototype,
  Function.prototype,
  DataView.prototype,
  Number.prototype,
  String.prototype,
  Boolean.prototype,
  ...KIND_BY_PROTO.keys(),
]);

/** The advice every refusal of a subclass of a built-in type ends with. */
export const BUILTIN_SUBCLASS_ADVICE =
  'such subclasses cannot be stored; keep the built-in value in a property of a registered class instead';

/**
 * The kind of a built-in storable object, given `proto` = its prototype, or
 * undefined when it is something else (a class instance or unstorable).
 */
export function builtinKind(value: object, proto: object | null): Kind | undefined {
  if (proto === Object.prototype) return isPrototypeObject(value) ? undefined : 'o';
  // A built-in's prototype given to an ordinary object (Object.setPrototypeOf)
  // brings no internal slots: the encodings could not read it as one.
  if (proto === Array.prototype)
    return Array.isArray(value) || types.isProxy(value) ? 'a' : undefined;
  if (proto === null) return value === Object.prototype ? undefined : 'n';
  const kind = KIND_BY_PROTO.get(proto);
  // A view or tracking proxy answers for its target (util.types sees only the proxy).
  if (kind !== undefined) {
    return HAS_SLOTS[kind as SlotKind](value) || types.isProxy(value) ? kind : undefined;
  }
  // A Date's view or tracking object: a Date whose prototype is prevalent's own.
  if (dateMirrorPrototypes.has(proto)) return 'd';
  return isLuxonDateTime(value) ? 'dt' : undefined;
}

type SlotKind = 'm' | 's' | 'd' | 'r' | 'b' | 'ab' | 't';

/** Whether a value with a built-in's prototype really is one (has its internal slots). */
const HAS_SLOTS: Readonly<Record<SlotKind, (value: object) => boolean>> = {
  m: (v) => types.isMap(v),
  s: (v) => types.isSet(v),
  d: (v) => types.isDate(v),
  r: (v) => types.isRegExp(v),
  b: (v) => types.isUint8Array(v),
  ab: (v) => types.isArrayBuffer(v),
  t: (v) => types.isTypedArray(v),
};

/**
 * The registered name of the class whose instances have prototype `proto`,
 * or undefined when that class is unregistered or extends a built-in type
 * (whose internal state own properties cannot capture).
 */
export function registeredName(proto: object, registry: ClassRegistry): string | undefined {
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  if (typeof ctor !== 'function' || ctor.prototype !== proto) return undefined;
  const name = registry.nameOf(ctor);
  return name === undefined || builtinBase(proto) !== undefined ? undefined : name;
}

/** True when `proto` is the prototype of a built-in type whose instances have internal slots. */
export function isBuiltinPrototype(proto: unknown): boolean {
  return BUILTIN_PROTOS.has(proto as object);
}

/**
 * The name of the built-in type (Map, Array, Error, ...) whose prototype is
 * `proto` or on its chain, or undefined when there is none.
 */
export function builtinBase(proto: object): string | undefined {
  for (let p: object | null = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (BUILTIN_PROTOS.has(p)) return (p as { constructor?: { name?: string } }).constructor?.name;
  }
  return undefined;
}

/** What an unstorable value is and what to do instead, for NOT_SERIALIZABLE messages. */
export function describeUnstorable(value: unknown, _registry?: ClassRegistry): string {
  if (typeof value === 'function') {
    const name = value.name ? ` (${value.name})` : '';
    // The usual way an arrow function gets into the state is a class field such as `onClick = () => …`.
    const arrow = ARROW_SOURCE.test(Function.prototype.toString.call(value))
      ? '; if it is a field holding an arrow function (`onClick = () => …` in a class), make it a method of the class'
      : '';
    return `a function${name}: functions cannot be stored; keep only data in the state and in arguments${arrow}`;
  }
  if (typeof value === 'symbol') {
    return `a symbol (${value.toString()}): symbols cannot be stored; use a string instead`;
  }
  if (typeof value !== 'object' || value === null) return `an unsupported value (${typeof value})`;
  return describeUnstorableObject(value);
}

// How an arrow function's source begins: its parameters, then `=>`.
const ARROW_SOURCE = /^(async\s*)?(\([^)]*\)|[\w$]+)\s*=>/;

/**
 * True for a class's or built-in's prototype (`Object.prototype`,
 * `Page.prototype`): reached from data through a key like `__proto__` or
 * `constructor`, it is not data, and its methods are not stored.
 */
export function isPrototypeObject(value: object): boolean {
  const ctor: unknown = Object.getOwnPropertyDescriptor(value, 'constructor')?.value;
  return typeof ctor === 'function' && (ctor as { prototype?: unknown }).prototype === value;
}

function describeUnstorableObject(value: object): string {
  if (isPrototypeObject(value)) {
    const ctor = (value as { constructor: { name?: string } }).constructor;
    return `${ctor.name || 'a class'}.prototype, a prototype, not data (reached through a key such as "__proto__" or "constructor", perhaps one from a request): it cannot be stored; key dictionaries that take outside keys with a Map or an Object.create(null) object`;
  }
  if (types.isWeakMap(value) || types.isWeakSet(value) || value instanceof WeakRef) {
    const what = types.isWeakMap(value)
      ? 'WeakMap'
      : types.isWeakSet(value)
        ? 'WeakSet'
        : 'WeakRef';
    return `a ${what}: weak references cannot be stored; use a Map, a Set or an id instead`;
  }
  if (types.isPromise(value)) {
    return 'a Promise: promises cannot be stored; await the value before storing or passing it';
  }
  if (types.isNativeError(value) || value instanceof Error) {
    return `an Error (${(value as Error).name}): errors cannot be stored; store its message as a string instead`;
  }
  if (types.isBoxedPrimitive(value)) {
    const kind = constructorName(value);
    return `a ${kind} object wrapping a primitive: it cannot be stored; store the primitive value instead (its .valueOf())`;
  }
  if (types.isDataView(value)) {
    return 'a DataView: it cannot be stored; store the typed array or ArrayBuffer it views and make the DataView when you need it';
  }
  const luxon = luxonValueAdvice(value);
  if (luxon !== undefined) return luxon;
  const name = constructorName(value);
  const proto = Object.getPrototypeOf(value) as object;
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  const base = builtinBase(proto);
  if (base !== undefined && !isBuiltinPrototype(proto)) {
    return `an instance of class ${name}, which extends a built-in type (${base}): ${BUILTIN_SUBCLASS_ADVICE}`;
  }
  if (isOtherRealmsStorable(ctor)) {
    return `${article(name)} ${name} of another realm (made in a vm context, or by another global's ${name}): snapshots keep this realm's values, so it would come back as another object (its prototype and instanceof would change); copy it into this realm first (structuredClone(value), called here)`;
  }
  if (isBuiltinPrototype(proto) || (ctor !== Object && isNativeConstructor(ctor))) {
    if (name === '(anonymous)') {
      return 'an object of a built-in type with no name (such as process.env): it cannot be stored; store a plain copy of the data you need ({ ...value })';
    }
    return `${article(name)} ${name} (a built-in type that cannot be stored): keep only data in the state and in arguments (plain objects, arrays, Maps, Sets, Dates, typed arrays, registered classes)`;
  }
  if (hasPrivateMembers(ctor)) {
    return `an instance of class ${name}, which has #private members that snapshots cannot read: it cannot be stored, registered or not; store the data it holds instead (for a URL, its href)`;
  }
  if (forwardingPrototypes.has(proto)) return GIVEN_INSTANCE;
  if (typeof ctor !== 'function' || (ctor as { prototype?: unknown }).prototype !== proto) {
    // Object.create(obj): "class Object" (the constructor inherited from further up) misleads.
    return "an object whose prototype is another object, not a class's (made with Object.create(), or by a function whose prototype was replaced): snapshots keep plain objects and instances of registered classes; store a copy with its own properties ({ ...base, ...changes }), or register its function with @persistent() or options.classes if it is a class of yours";
  }
  return `an instance of unregistered class ${name}: register it with @persistent() or options.classes`;
}

/** This realm's constructors of the built-ins the encodings store, by name. */
const STORABLE_CONSTRUCTORS: ReadonlyMap<string, unknown> = new Map<string, unknown>([
  ['Object', Object],
  ['Array', Array],
  ['Map', Map],
  ['Set', Set],
  ['Date', Date],
  ['RegExp', RegExp],
  ['ArrayBuffer', ArrayBuffer],
  ...TYPED_ARRAYS,
]);

/**
 * True for the constructor of a storable built-in of another realm (a `vm`
 * context's `Array`): its values have that realm's prototypes, which the
 * encodings do not take for this realm's, and could not bring back.
 */
function isOtherRealmsStorable(ctor: unknown): boolean {
  if (!isNativeConstructor(ctor)) return false;
  const own = STORABLE_CONSTRUCTORS.get((ctor as { name: string }).name);
  return own !== undefined && own !== ctor;
}

/**
 * What to do with a luxon Duration or Interval (marked, as luxon marks its
 * values, by an own `isLuxonDuration`/`isLuxonInterval` read as data): not
 * "register it with @persistent()", which would fail on the luxon objects
 * inside it (its locale, its zone).
 */
function luxonValueAdvice(value: object): string | undefined {
  const marked = (flag: string): boolean =>
    Reflect.getOwnPropertyDescriptor(value, flag)?.value === true;
  if (marked('isLuxonDuration')) {
    return 'a luxon Duration: prevalent stores luxon DateTimes, not Durations; store it as data (duration.toISO(), or duration.toMillis()) and make the Duration again where you need it (Duration.fromISO, Duration.fromMillis)';
  }
  if (marked('isLuxonInterval')) {
    return 'a luxon Interval: prevalent stores luxon DateTimes, not Intervals; store its two ends (interval.start, interval.end) and make the Interval again where you need it (Interval.fromDateTimes)';
  }
  return undefined;
}

/**
 * The prototypes initSystem gives the instances it was given, which forward
 * to the system object (lib/system/handed-over.ts): such an instance is
 * named as what it is when it cannot be stored.
 */
export const forwardingPrototypes = new WeakSet<object>();

/**
 * The prototypes of the views and tracking objects of Dates (real Dates, see
 * lib/isolation/date-mirrors.ts): such an object is a Date of the state,
 * as a view or tracking proxy of one is (see builtinKind).
 */
export const dateMirrorPrototypes = new WeakSet<object>();

/** What such an instance is, when refused. */
export const GIVEN_INSTANCE =
  'an instance given to initSystem: it holds no data of its own (it answers as its system object does), so a snapshot would keep nothing of it; store data read from that system while it is open (copyOf(system)) instead';

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

// What Function.prototype.toString gives for a function implemented natively.
const NATIVE_SOURCE = /^function\s*[\w$]*\s*\(\)\s*\{\s*\[native code\]\s*\}$/;

/** True for a constructor implemented by the engine (Map, SharedArrayBuffer, Intl.Collator, ...), not by the user. */
export function isNativeConstructor(ctor: unknown): boolean {
  return typeof ctor === 'function' && NATIVE_SOURCE.test(Function.prototype.toString.call(ctor));
}

function constructorName(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  const ctor: unknown = (proto as { constructor?: unknown } | null)?.constructor;
  if (typeof ctor === 'function' && ctor.name) return ctor.name;
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? '(anonymous)' : tag;
}

/** How many holes (missing elements) of `arr` follow one another from index `start`, a hole. */
export function holeRun(arr: readonly unknown[], start: number): number {
  let end = start + 1;
  while (end < arr.length && !(end in arr)) end++;
  return end - start;
}

/** The base64 text of the bytes `view` covers (not its whole underlying buffer). */
export function viewToBase64(view: ArrayBufferView): string {
  return Buffer.from(viewedBytes(view)).toString('base64');
}

/** The base64 text of all bytes of `buffer`. */
export function arrayBufferToBase64(buffer: ArrayBuffer): string {
  // Over its bytes: Buffer.from(buffer) reads `byteLength` as a property, which an own getter answers.
  return Buffer.from(bufferBytes(buffer)).toString('base64');
}

/** True for `{...}` and `Object.create(null)`: not an array, a class instance or a Map. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A Buffer of its own (not a slice of Node's shared pool, whose `.buffer`
 * reaches every other small Buffer made from the same pool chunk: a copy
 * handed out, or a restored state Buffer, must not lead to other bytes)
 * holding the bytes of base64 text `b64`.
 */
export function base64ToBuffer(b64: string): Buffer {
  const bytes = Buffer.from(b64, 'base64');
  // From 4 KiB on, Node gives a Buffer its own memory already.
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const own = Buffer.allocUnsafeSlow(bytes.length);
  own.set(bytes);
  return own;
}

/** A fresh ArrayBuffer holding the bytes of base64 text `b64`. */
export function base64ToArrayBuffer(b64: string): ArrayBuffer {
  const bytes = Buffer.from(b64, 'base64');
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** The constructor name of typed array `view` (its prototype must be a standard one). */
export function typedArrayName(view: object): string {
  return TYPED_NAME_BY_PROTO.get(Object.getPrototypeOf(view) as object) as string;
}

/** A typed array of type `name` over the bytes of `b64`, or undefined when they do not fit. */
export function makeTypedArray(name: string, b64: string): AnyTypedArray | undefined {
  return TYPED_ARRAYS.has(name) ? typedArrayOver(name, base64ToArrayBuffer(b64)) : undefined;
}

/** A typed array of type `name` over all of `buffer`, or undefined when its bytes do not fit. */
export function typedArrayOver(name: string, buffer: ArrayBuffer): AnyTypedArray | undefined {
  const cls = TYPED_ARRAYS.get(name);
  if (cls === undefined) return undefined;
  return buffer.byteLength % cls.BYTES_PER_ELEMENT === 0 ? new cls(buffer) : undefined;
}

/**
 * A fresh ArrayBuffer holding a copy of `bytes`. With the two below, what the
 * tree encoding's base64 round trip gives, without the text: the bytes are
 * read as viewToBase64 and arrayBufferToBase64 read them.
 */
function bufferOf(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** A typed array of the type of `view` (a standard one) over a copy of the bytes it views. */
export function copyTypedArray(view: ArrayBufferView): AnyTypedArray {
  const cls = TYPED_ARRAYS.get(typedArrayName(view)) as TypedArrayClass;
  return new cls(bufferOf(viewedBytes(view)));
}

/** A Buffer holding a copy of the bytes `view` covers. */
export function copyBuffer(view: ArrayBufferView): Buffer {
  // Never pooled (see base64ToBuffer); every byte is written by set().
  const bytes = viewedBytes(view);
  const own = Buffer.allocUnsafeSlow(bytes.length);
  own.set(bytes);
  return own;
}

/** A fresh fixed-size ArrayBuffer holding a copy of all bytes of `buffer`. */
export function copyArrayBuffer(buffer: ArrayBuffer): ArrayBuffer {
  return bufferOf(bufferBytes(buffer));
}

/** Millis of a Date, with `null` for an invalid Date (JSON has no NaN). */
export function dateMillis(date: Date): number | null {
  const ms = timeSlot(date);
  return ms === ms ? ms : null;
}

/** A Date from {@link dateMillis} output. */
export function makeDate(ms: number | null): Date {
  return new Date(ms === null ? NaN : ms);
}

/**
 * The zone of a DateTime as stored: "system" for the machine's own zone
 * (what `DateTime.fromMillis(ms)`, and so the clock's `now()`, gives; replay
 * gives it too, so a restore from a snapshot must), else the zone's name.
 */
export function storedZone(dt: DateTime): string | null {
  return dt.zone.type === 'system' ? 'system' : dt.zoneName;
}

/**
 * The locale settings of a DateTime as stored: its locale unless it is the
 * default one (luxon's Settings.defaultLocale, else the machine's: what a
 * DateTime made without one has, as the clock's do; a replay where the
 * default differs gives that one, so a restore must) and was not given
 * explicitly (see givenLocale), its
 * numbering system and output calendar when it has them (`setLocale`,
 * `reconfigure`, a default set in luxon's `Settings`). Undefined when there
 * is none of them: a DateTime formats as it did after a restore.
 */
export type DateTimeLocale = [
  locale: string | null,
  numbering: string | null,
  calendar: string | null,
];

/**
 * True when `dt`'s locale was given when it was made (`setLocale`, `{ locale }`), not taken from
 * luxon's Settings.defaultLocale or the machine: kept even when it is the machine's, which a
 * restart on another machine (another LANG) would not give it.
 */
function givenLocale(dt: DateTime): boolean {
  const given = (dt as unknown as { loc?: { specifiedLocale?: unknown } }).loc?.specifiedLocale;
  return typeof given === 'string' && given !== '' && given !== defaultLocaleSetting();
}

/** See {@link DateTimeLocale}. */
export function storedLocale(dt: DateTime): DateTimeLocale | undefined {
  const locale =
    typeof dt.locale === 'string' && (dt.locale !== defaultLocale() || givenLocale(dt))
      ? dt.locale
      : null;
  const numbering = typeof dt.numberingSystem === 'string' ? dt.numberingSystem : null;
  const calendar = typeof dt.outputCalendar === 'string' ? dt.outputCalendar : null;
  return locale === null && numbering === null && calendar === null
    ? undefined
    : [locale, numbering, calendar];
}

/**
 * Refuses a DateTime with week settings of its own (`{ weekSettings }`, luxon
 * 3.5+) other than luxon's default ones: the encodings keep its instant, zone
 * and locale, not them, so a restart would give it the default week and
 * every later action computing local weeks from it would diverge.
 */
export function refuseOwnWeekSettings(dt: DateTime): void {
  if (!hasOwnWeekSettings(dt)) return;
  const own = weekSettingsOf(dt);
  throw new Unstorable(
    dt,
    `a luxon DateTime with week settings of its own (weekSettings ${describeWeekSettings(own)}): prevalent keeps a DateTime's instant, zone and locale, not its week settings, so after a restart it would have the default ones and its local weeks (localWeekNumber, startOf('week', { useLocaleWeeks: true })) would differ; store it without them and give them where weeks are computed (DateTime.fromMillis(dt.toMillis(), { zone: dt.zone, weekSettings })), or set luxon's Settings.defaultWeekSettings before initSystem`,
  );
}

/** True for a DateTime whose week settings are not luxon's default ones (see refuseOwnWeekSettings). */
export function hasOwnWeekSettings(dt: DateTime): boolean {
  const own = weekSettingsOf(dt);
  return own !== null && own !== undefined && !sameWeekSettings(own, defaultWeekSettings());
}

function weekSettingsOf(dt: DateTime): unknown {
  return (dt as unknown as { loc?: { weekSettings?: unknown } }).loc?.weekSettings;
}

function sameWeekSettings(a: unknown, b: unknown): boolean {
  if (b === null || b === undefined) return false;
  const x = a as { firstDay?: unknown; minimalDays?: unknown; weekend?: unknown };
  const y = b as { firstDay?: unknown; minimalDays?: unknown; weekend?: unknown };
  return (
    x.firstDay === y.firstDay &&
    x.minimalDays === y.minimalDays &&
    Array.isArray(x.weekend) &&
    Array.isArray(y.weekend) &&
    x.weekend.length === y.weekend.length &&
    x.weekend.every((day, i) => day === (y.weekend as unknown[])[i])
  );
}

function describeWeekSettings(ws: unknown): string {
  try {
    return JSON.stringify(ws) ?? String(ws);
  } catch {
    return 'that cannot be shown';
  }
}

/**
 * The stored parts of a luxon DateTime: millis, zone (see storedZone) and
 * locale settings (see storedLocale), or the invalid reason.
 */
export function dateTimeParts(
  dt: DateTime,
): [number | null, string | null, string | null, DateTimeLocale | undefined] {
  if (!dt.isValid) return [null, dt.invalidReason, dt.invalidExplanation, undefined];
  return [dt.toMillis(), storedZone(dt), null, storedLocale(dt)];
}

/**
 * The zone of an invalid DateTime made with a zone luxon does not support
 * (`DateTime.fromMillis(ms, { zone: 'Nowhere/City' })`), which it keeps
 * (`dt.zone.name`); null for any other DateTime (an invalid one otherwise has
 * the default zone, as one made again by {@link makeDateTime} has).
 */
export function unsupportedZone(dt: DateTime): string | null {
  return !dt.isValid && !dt.zone.isValid ? dt.zone.name : null;
}

/** The locale settings stored after a DateTime's millis and zone, or undefined when malformed. */
export function readLocale(
  locale: unknown,
  numbering: unknown,
  calendar: unknown,
): DateTimeLocale | undefined {
  const ok = (v: unknown): v is string | null => v === null || typeof v === 'string';
  return ok(locale) && ok(numbering) && ok(calendar) ? [locale, numbering, calendar] : undefined;
}

/** A luxon DateTime from {@link dateTimeParts} output. */
export function makeDateTime(
  ms: unknown,
  zoneOrReason: unknown,
  explanation: unknown,
  locale?: DateTimeLocale,
  /** An invalid one's unsupported zone (see {@link unsupportedZone}). */
  zone?: unknown,
): DateTime {
  if (typeof ms === 'number') {
    const zone = typeof zoneOrReason === 'string' ? zoneOrReason : 'UTC';
    if (locale === undefined) return luxonDateTime().fromMillis(ms, { zone });
    const [l, numberingSystem, outputCalendar] = locale;
    return luxonDateTime().fromMillis(ms, {
      zone,
      ...(l === null ? {} : { locale: l }),
      ...(numberingSystem === null ? {} : { numberingSystem }),
      ...(outputCalendar === null ? {} : { outputCalendar }),
    });
  }
  const reason = typeof zoneOrReason === 'string' ? zoneOrReason : 'unknown';
  const why = typeof explanation === 'string' ? explanation : undefined;
  if (typeof zone === 'string') {
    // Made again with its zone, it keeps it; unless this luxon supports that zone now.
    const again = luxonDateTime().fromMillis(0, { zone });
    if (!again.isValid && again.invalidReason === reason && again.invalidExplanation === why) {
      return again;
    }
  }
  return luxonDateTime().invalid(reason, why);
}
