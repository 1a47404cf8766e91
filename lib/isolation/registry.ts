import { DateTime } from 'luxon';

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

/** The raw target when `value` is a read-only view, else undefined. */
export function viewTarget(value: object): object | undefined {
  let raw: unknown;
  try {
    raw = (value as Record<symbol, unknown>)[VIEW_TARGET];
  } catch {
    return undefined; // a revoked or throwing foreign proxy is no view
  }
  // A foreign proxy may answer any key: only the view registered for that raw object counts.
  if (typeof raw !== 'object' || raw === null) return undefined;
  return rawToView.get(raw) === value ? raw : undefined;
}

/** True for values that are never wrapped: primitives, functions and luxon DateTimes (immutable). */
export function isPassThrough(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return DateTime.isDateTime(value);
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
