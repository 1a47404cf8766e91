import { setTimeSlot, timeSlot } from '../codec/slots';
import { dateMirrorPrototypes } from '../codec/kinds';
import type { BuiltinEntry, BuiltinTable } from './kinds';

/**
 * The read-only view of a Date and its tracking object inside an action are
 * real Dates ("mirrors"), not Proxies like those of every other object. A
 * Proxy has no [[DateValue]] slot, and what reads that slot cannot be
 * trapped: `new Date(proxy)` fell back to the Date's string and dropped the
 * milliseconds (live and in replay alike, so nothing noticed), and
 * `Date.prototype.getTime.call(proxy)`, `util.types.isDate(proxy)` and
 * `structuredClone(proxy)` threw or answered false. A mirror is made with
 * its raw Date's time and set to it again (with the built-in setTime taken
 * at load) whenever that time changes: by an action's setter call (see
 * tracking-builtins.ts) and by the rollback of one (DateEntry). It is the
 * raw Date's only other holder of a time, and no code of the state's runs
 * on it: what it answers comes from the raw Date.
 *
 * Its members come from a prototype of prevalent's own between the mirror
 * and the raw Date's prototype, one per raw prototype and kind of mirror
 * (view or tracking), rather than from own properties of each mirror: a
 * mirror then costs one Date and no properties, and keeps what code checks
 * of a Date: `instanceof Date` (and of a subclass), `constructor === Date`,
 * `Object.prototype.toString` → `[object Date]` and `util.types.isDate`
 * (from the slot), `Object.keys` and jest's `toEqual` (no own keys),
 * `util.inspect` and JSON (the built-ins through the slot or the members),
 * luxon's `DateTime.fromJSDate` (the tag and `valueOf`). Only
 * `Object.getPrototypeOf(view) === Date.prototype` tells it apart. That
 * prototype holds, under each key that resolves to a built-in member of
 * Date.prototype on the raw Date's prototype chain (a subclass's own
 * methods are left to the chain), a function that runs the kind's wrapper
 * of that member: setters refused on a view and applied to the raw Date by
 * a tracking object, reads run on the raw Date. A built-in called on the
 * mirror directly (`Date.prototype.setTime.call(view, 0)`) changes only the
 * mirror, never the state.
 *
 * That prototype is a Proxy over those members (see MirrorKind): a mirror
 * has no own properties, so every property read or assignment on it that
 * no own property answers goes to its prototype's traps, with the mirror
 * as receiver, and they do what a proxy view's or tracking proxy's traps
 * do: refuse a view's use inside an action, or a tracking object's in
 * another system's; hand out the members; read the raw Date's own
 * properties (a non-enumerable helper an action defined) with the mirror
 * as `this`; refuse an assignment on a view (READONLY_VIOLATION) and make
 * one on a tracking object on the raw Date, recorded (and refused when a
 * snapshot could not keep it). Mirrors are not extensible, so
 * `Object.defineProperty` on one, which no trap sees, throws TypeError
 * instead of changing an object that is not the state; `key in mirror`
 * sees the members, not the raw Date's own properties.
 */

const DateOfLoad = Date;
const construct = Reflect.construct;
const preventExtensions = Object.preventExtensions;
const defineProperty = Object.defineProperty;
const create = Object.create as (proto: object) => object;
const getPrototypeOf = Object.getPrototypeOf as (obj: object) => object;

/** Raw Date → its mirrors (its view, its tracking objects), set to its time whenever it changes. */
const mirrorsOf = new WeakMap<object, Date[]>();

/**
 * How a kind of mirror wraps a built-in member: the descriptor its prototype
 * gets under `key` (the kind's wrapper of the member).
 */
export type MirrorMember = (key: PropertyKey, entry: BuiltinEntry) => PropertyDescriptor;

/** One kind of mirror (views or tracking objects): its prototypes, by the raw Date's prototype. */
export class MirrorKind {
  /** Raw Date's prototype → the constructor whose `prototype` mirrors get. */
  readonly #constructors = new WeakMap<object, () => void>();

  constructor(
    private readonly table: BuiltinTable,
    private readonly member: MirrorMember,
    private readonly handler: ProxyHandler<object>,
  ) {}

  /** A new mirror of `raw` (the table has registered raw's prototypes). */
  make(raw: Date): Date {
    const proto = getPrototypeOf(raw);
    const ctor = this.#constructors.get(proto) ?? this.#constructorFor(proto);
    const mirror = construct(DateOfLoad, [timeSlot(raw)], ctor) as Date;
    preventExtensions(mirror);
    const list = mirrorsOf.get(raw);
    if (list === undefined) mirrorsOf.set(raw, [mirror]);
    else list.push(mirror);
    return mirror;
  }

  #constructorFor(proto: object): () => void {
    const members = create(proto);
    for (const [key, entry] of this.table.membersFrom(proto)) {
      defineProperty(members, key, { ...this.member(key, entry), configurable: true });
    }
    // V8's Object.prototype.toString answers `[object Object]` for an object with a Proxy on its
    // prototype chain unless the chain gives a tag: the tag a Date's proxy view answered before
    // (see slotTags in kinds.ts), where the raw Date's chain has none of its own.
    if (!(Symbol.toStringTag in proto)) {
      defineProperty(members, Symbol.toStringTag, { value: 'Date', configurable: true });
    }
    // A plain function as the new.target of Reflect.construct: only its `prototype` is read.
    const ctor = function DateMirror(): void {};
    ctor.prototype = new Proxy(members, this.handler);
    // What asks an object's kind by its prototype (the store-time checks) sees a Date.
    dateMirrorPrototypes.add(ctor.prototype as object);
    this.#constructors.set(proto, ctor);
    return ctor;
  }
}

/**
 * Lets go of `mirror` (a tracking object of the raw Date `raw`, at the end
 * of its action): it is no longer set to raw's time. True when its time
 * differs from raw's: a built-in setter was borrowed onto it
 * (`Date.prototype.setTime.call(mirror, t)`), which changed it and not the
 * state.
 */
export function releaseMirror(raw: Date, mirror: Date): boolean {
  const list = mirrorsOf.get(raw);
  const at = list === undefined ? -1 : list.indexOf(mirror);
  if (at >= 0) list!.splice(at, 1);
  return !Object.is(timeSlot(mirror), timeSlot(raw));
}

/** Sets the mirrors of the raw Date `raw` to its time (after a change of it). */
export function syncMirrors(raw: object): void {
  const list = mirrorsOf.get(raw);
  if (list === undefined) return;
  const time = timeSlot(raw as Date);
  for (let i = 0; i < list.length; i++) setTimeSlot(list[i]!, time);
}
