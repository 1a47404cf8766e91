import { types } from 'node:util';

/**
 * Which state arrays hold plain elements only: every element present is an
 * enumerable, writable, configurable data property (holes are allowed). On
 * such an array the built-in mutators run no code of the program's own
 * when they move elements, so an action's `shift()` or `splice()` can run on
 * the raw array (see array-mutators.ts) instead of element by element
 * through the tracking proxy.
 *
 * An array is looked at once (a descriptor per element) and remembered;
 * defineTracked forgets it when an action defines an element otherwise.
 * Elements of a state array change only through tracking proxies, which
 * call defineTracked, so the answer stays true while it is remembered.
 */
const plain = new WeakSet<unknown[]>();

/** Arrays longer than this are not looked at: their mutators take the element-by-element path. */
const MAX_LOOKED_AT = 1 << 24;

/** Whether `arr` is an ordinary array whose elements are plain data (see above). */
export function holdsPlainElements(arr: unknown[]): boolean {
  if (plain.has(arr)) return true;
  if (!Array.isArray(arr) || types.isProxy(arr) || Object.getPrototypeOf(arr) !== Array.prototype)
    return false;
  const length = arr.length;
  if (length > MAX_LOOKED_AT || !Object.isExtensible(arr)) return false;
  if (Reflect.getOwnPropertyDescriptor(arr, 'length')?.writable !== true) return false;
  for (let i = 0; i < length; i++) {
    const desc = Reflect.getOwnPropertyDescriptor(arr, i);
    if (desc === undefined) continue;
    if (!desc.enumerable || !desc.configurable || desc.writable !== true) return false;
  }
  plain.add(arr);
  return true;
}

/** Whether `arr` was found to hold plain elements and has not been changed otherwise since. */
export function knownPlainElements(arr: object): boolean {
  return plain.has(arr as unknown[]);
}

/**
 * Called by defineTracked after it defined element `key` of `arr` with
 * `desc` over `old`: forgets the array when the element is no longer plain.
 * Also called by the undo entries that put an element's descriptor back
 * (`desc` complete, `old` undefined): a rollback may restore a getter or a
 * read-only element the array held before a later check found it plain.
 */
export function noteElementDefined(
  arr: unknown[],
  desc: PropertyDescriptor,
  old: PropertyDescriptor | undefined,
): void {
  if (!plain.has(arr)) return;
  const accessor = 'get' in desc || 'set' in desc || (old !== undefined && !('value' in old));
  const kept = (field: 'writable' | 'enumerable' | 'configurable'): boolean =>
    (desc[field] ?? old?.[field]) === true;
  if (accessor || !kept('writable') || !kept('enumerable') || !kept('configurable')) {
    plain.delete(arr);
  }
}
