import { DateTime } from 'luxon';

/**
 * Bookkeeping shared by tracking proxies and read-only views. Everything
 * lives in module-level WeakMaps keyed by raw objects or proxies, so nothing
 * is ever stored on the user's objects and nothing keeps them alive.
 */

/** Tracking proxy → raw target. */
export const trackingToRaw = new WeakMap<object, object>();
/** Raw object → its tracking proxy (luxon DateTimes map to themselves). */
export const rawToTracking = new WeakMap<object, object>();
/** Read-only view → raw target. */
export const viewToRaw = new WeakMap<object, object>();
/** Raw object → its read-only view (luxon DateTimes map to themselves). */
export const rawToView = new WeakMap<object, object>();

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
  return typeof value === 'object' && value !== null && viewToRaw.has(value);
}

/** Raw target of a tracking proxy or of a view; any other value is returned as is. */
export function toRaw<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const raw = trackingToRaw.get(value) ?? viewToRaw.get(value);
  return (raw ?? value) as T;
}
