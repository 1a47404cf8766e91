import { types } from 'node:util';
import { isLuxonDateTime } from '../luxon';
import type { UndoLog } from './undo';

/**
 * Bookkeeping shared by tracking proxies and read-only views. Everything
 * lives in module-level WeakMaps keyed by raw objects or proxies, or in the
 * views' own handlers, so nothing is ever stored on the user's objects and
 * nothing keeps them alive.
 */

/** Tracking proxy → raw target. */
export const trackingToRaw = new WeakMap<object, object>();
/** Raw object → its tracking proxy (luxon DateTimes map to themselves). */
export const rawToTracking = new WeakMap<object, object>();
/**
 * Raw object → the undo log of the system whose state it is in (the owner of
 * its tracking proxy), for proxies made with a known owner. Children made
 * outside an action take their parent's owner from here.
 */
export const rawOwner = new WeakMap<object, UndoLog>();
/** Raw roots of the open systems (kept by the system; read here to tell another system's objects). */
export const openRoots = new WeakSet<object>();
/**
 * What this process has seen of the states it holds. `ownGetterSeen`: an
 * action gave an object of a state an own getter or setter (allowed in a
 * non-enumerable property, which snapshots do not keep). A query that runs
 * on the raw state (see system/pure-query-guard.ts) could run such a getter
 * with the raw object as `this`, so from then on queries run on views.
 * `ownFunctionSeen`: an action stored a function (allowed there too), which
 * could answer to a look-up method's name such a query calls.
 */
export const stateShape = { ownGetterSeen: false, ownFunctionSeen: false };

/** Notes an own property of a state object, as `desc` describes it, in `stateShape`. */
export function noteOwnSlot(desc: PropertyDescriptor): void {
  if (!('value' in desc)) stateShape.ownGetterSeen = true;
  else if (typeof desc.value === 'function') stateShape.ownFunctionSeen = true;
}

/** Turns the pure reads off for the process: what the state holds can no longer be told cheaply. */
export function turnPureReadsOff(): void {
  stateShape.ownGetterSeen = true;
  stateShape.ownFunctionSeen = true;
}
/**
 * The prototypes, other than Object.prototype and Array.prototype, of the
 * objects actions stored and initial states held: the pure-read guard scans
 * their chains for getters and look-up methods as it scans the registered
 * classes'. A non-enumerable property may hold what snapshots cannot keep,
 * such as an instance of an unregistered class or an object made with
 * `Object.create(proto)`, whose getters would otherwise run unseen on the
 * raw state. Past MAX_STORED_PROTOTYPES, `stateShape` turns the pure reads
 * off instead (see noteStoredPrototype in unwrap.ts).
 */
export const storedPrototypes = new Set<object>();
export const MAX_STORED_PROTOTYPES = 256;
/** Raw object → its read-only view (luxon DateTimes map to themselves). */
export const rawToView = new WeakMap<object, object>();

/**
 * Asked of a read-only view (its get trap answers): the raw target. A view
 * answers for itself rather than through a view → raw WeakMap, which would
 * cost every cached view another table entry.
 */
export const VIEW_TARGET: unique symbol = Symbol('prevalent.viewTarget');

/** Asked of a read-only view: its handler, which records where its object was found (paths.ts). */
export const VIEW_LINK: unique symbol = Symbol('prevalent.viewLink');

// A view's get trap puts its answer here and the read itself yields
// undefined, so code that learns the symbols (a foreign proxy sees them as
// keys) still cannot get from a view to the raw state.
let answered: unknown;

/** Called by a view's get trap for VIEW_TARGET or VIEW_LINK: hands `answer` to askView. */
export function answerView(answer: object): undefined {
  answered = answer;
  return undefined;
}

/**
 * The view of a Date (a real Date, see date-mirrors.ts) → its link (which
 * paths.ts reads as a proxy view's handler), holding its raw Date. Only
 * Dates are looked up here: the views of every other object answer for
 * themselves.
 */
export const dateViewLinks = new WeakMap<object, { readonly raw: object }>();

/** Asks `value`, when it is a proxy, for VIEW_TARGET or VIEW_LINK; undefined when nothing answered. */
function askView(value: object, key: typeof VIEW_TARGET | typeof VIEW_LINK): unknown {
  // A view is a proxy, or a Date: ordinary objects are not asked, so no getter of theirs runs.
  if (!types.isProxy(value)) return types.isDate(value) ? askDateView(value, key) : undefined;
  answered = undefined;
  try {
    Reflect.get(value, key);
  } catch {
    answered = undefined; // a revoked or throwing foreign proxy is no view
  }
  const answer = answered;
  answered = undefined;
  return answer;
}

/** askView for a real Date: the side table answers. */
function askDateView(value: object, key: typeof VIEW_TARGET | typeof VIEW_LINK): unknown {
  const link = dateViewLinks.get(value);
  if (link === undefined) return undefined;
  return key === VIEW_TARGET ? link.raw : link;
}

// The view whose built-in method (Map#get, …) was just handed out, and its
// raw object: the method's wrapper asks for the raw object at once, and this
// answers it without a second trap. Cleared when used.
let methodView: object | undefined;
let methodRaw: object | undefined;

/** Called by a view's get trap as it hands out a built-in method of `view` (whose raw object is `raw`). */
export function noteMethodOfView(view: object, raw: object): void {
  methodView = view;
  methodRaw = raw;
}

/**
 * Forgets the view whose built-in method was handed out last (called when an
 * action ends and when a system closes): a method read but never called must
 * not keep its object, perhaps a large Map the state dropped, alive.
 */
export function forgetMethodOfView(): void {
  methodView = methodRaw = undefined;
}

/** The raw target when `value` is a read-only view, else undefined. */
export function viewTarget(value: object): object | undefined {
  if (value === methodView) {
    const known = methodRaw;
    methodView = methodRaw = undefined;
    return known;
  }
  const raw = askView(value, VIEW_TARGET);
  // A foreign proxy wrapping a view reaches the view's trap: only the view
  // registered for that raw object counts.
  if (typeof raw !== 'object' || raw === null) return undefined;
  return rawToView.get(raw) === value ? raw : undefined;
}

/** The handler of `view` (a value of rawToView), which holds its link (see paths.ts). */
export function viewHandler(view: object): unknown {
  return askView(view, VIEW_LINK);
}

/** True for values that are never wrapped: primitives, functions and luxon DateTimes (immutable). */
export function isPassThrough(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return isLuxonDateTime(value);
}

/** True when `value` is a tracking proxy. */
export function isTracking(value: unknown): boolean {
  return typeof value === 'object' && value !== null && trackingToRaw.has(value);
}

/** True when `value` is a read-only view. */
export function isView(value: unknown): boolean {
  return typeof value === 'object' && value !== null && viewTarget(value) !== undefined;
}

/** Raw target of a tracking proxy or of a view; any other value is returned as is. */
export function toRaw<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const raw = trackingToRaw.get(value) ?? viewTarget(value);
  return (raw ?? value) as T;
}
