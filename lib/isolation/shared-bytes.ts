import { PrevalenceError } from '../errors';
import { bufferOf } from './kinds';
import { byteLengthSlot, byteOffsetSlot } from '../codec/slots';

/**
 * Typed arrays, DataViews and ArrayBuffers that share bytes. The encodings
 * keep each one's own bytes, so two of them over the same bytes come back
 * from a snapshot with buffers of their own: a write through one that the
 * live process saw through the other would be missing after a restart, and
 * the replay of an action that read it would differ. So the state never
 * holds two that overlap; ranges that do not overlap (small Node Buffers
 * from one allocation pool) behave the same apart and pass.
 */

/** Told of a refusal: the object refused and the one whose bytes it shares. */
export type OnSharedBytes = (err: PrevalenceError, at: object, other: object) => void;

/** The refusal of an object whose bytes another one in the state shares (both given to onRefuse). */
export function refuseSharedBytes(at?: object, other?: object, onRefuse?: OnSharedBytes): never {
  const err = new PrevalenceError(
    'NOT_SERIALIZABLE',
    "a typed array or ArrayBuffer that shares bytes with another one in the state (a subarray(), a .buffer, or two typed arrays on one ArrayBuffer) cannot be stored: snapshots keep each one's bytes apart, so after a restart a write through one would no longer show through the other; store a copy (typedArray.slice(), buffer.slice(0)), or keep one and make the others from it when needed",
  );
  if (at !== undefined && other !== undefined) onRefuse?.(err, at, other);
  throw err;
}

/** True for a typed array, Buffer, DataView or ArrayBuffer. */
export function holdsBytes(value: object): boolean {
  return bufferOf(value) !== undefined;
}

/** The bytes `obj` covers in its buffer, as [start, end); empty for none. */
function rangeOf(obj: object): [number, number] {
  if (ArrayBuffer.isView(obj)) {
    const start = byteOffsetSlot(obj);
    return [start, start + byteLengthSlot(obj)];
  }
  return [0, byteLengthSlot(obj as ArrayBuffer)];
}

/**
 * The objects with bytes stored in one action (or found in an initial
 * state), by buffer: adding one that overlaps another throws
 * NOT_SERIALIZABLE. The same object added twice is one object, which the
 * graph encoding keeps as one.
 */
export class SharedBytes {
  readonly #byBuffer = new Map<object, Array<[object, number, number]>>();

  constructor(private readonly onRefuse?: OnSharedBytes) {}

  /** Adds `obj` (a typed array, DataView or ArrayBuffer); refuses it when its bytes overlap another's. */
  add(obj: object): void {
    const buffer = bufferOf(obj);
    if (buffer === undefined) return;
    const [start, end] = rangeOf(obj);
    if (start === end) return;
    const ranges = this.#byBuffer.get(buffer);
    if (ranges === undefined) {
      this.#byBuffer.set(buffer, [[obj, start, end]]);
      return;
    }
    for (const [other, s, e] of ranges) {
      if (other === obj) return;
      if (start < e && s < end) refuseSharedBytes(obj, other, this.onRefuse);
    }
    ranges.push([obj, start, end]);
  }
}

/**
 * True when `result`, got from a typed array, DataView or ArrayBuffer `raw`
 * of the state, covers some of its bytes and is another object (a
 * `subarray()`, Buffer `slice()`, `.buffer`): storing it would make two
 * objects of the state share bytes.
 */
export function sharesBytesWith(result: unknown, raw: object): boolean {
  if (typeof result !== 'object' || result === null || result === raw) return false;
  const buffer = bufferOf(raw);
  if (buffer === undefined || bufferOf(result) !== buffer) return false;
  const [start, end] = rangeOf(result);
  const [s, e] = rangeOf(raw);
  return start < end && start < e && s < end;
}

/**
 * Objects got from a state object's bytes (a `subarray()`, a Buffer
 * `slice()`, a `.buffer`), through a tracking proxy or a view, in any action
 * or query so far: storing one makes two objects share bytes. Never
 * emptied (weak): one taken in one action and stored in a later one, or
 * taken through a view a variable kept, is refused all the same.
 */
const derived = new WeakSet<object>();

/** Notes `result`, got from `raw` of the state, when it shares `raw`'s bytes. */
export function noteDerivedBytes(result: unknown, raw: object): void {
  if (sharesBytesWith(result, raw)) derived.add(result as object);
}

/** True for an object noted by noteDerivedBytes. */
export function isDerivedBytes(obj: object): boolean {
  return derived.has(obj);
}
