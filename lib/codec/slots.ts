import { types } from 'node:util';

/**
 * The internal slots of built-ins the encodings and the undo log read: the
 * bytes of typed arrays, DataViews and ArrayBuffers, a Date's time, a
 * RegExp's source and flags, read with the built-in getters and methods. An
 * own property named `buffer`, `byteLength`, `getTime`, `source`, … (an
 * action may define one, non-enumerable, so it is not stored) does not answer
 * here: reading those names as properties let a subarray claim a buffer of
 * its own and be stored sharing bytes with its parent, which a snapshot then
 * split (a restart lost writes seen through both), and let a snapshot keep
 * another time, pattern or byte count than the object holds.
 */

type Getter = (this: unknown) => unknown;

function getterOf(proto: object, name: string): Getter {
  const get = Object.getOwnPropertyDescriptor(proto, name)?.get;
  if (get === undefined) throw new Error(`no built-in getter ${name}`);
  return get as Getter;
}

const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const typedLength = getterOf(TYPED_ARRAY, 'length');
const typedBuffer = getterOf(TYPED_ARRAY, 'buffer');
const typedByteOffset = getterOf(TYPED_ARRAY, 'byteOffset');
const typedByteLength = getterOf(TYPED_ARRAY, 'byteLength');
const dataViewBuffer = getterOf(DataView.prototype, 'buffer');
const dataViewByteOffset = getterOf(DataView.prototype, 'byteOffset');
const dataViewByteLength = getterOf(DataView.prototype, 'byteLength');
const arrayBufferByteLength = getterOf(ArrayBuffer.prototype, 'byteLength');
const sharedByteLength = getterOf(SharedArrayBuffer.prototype, 'byteLength');
// Node 20 has resizable ArrayBuffers; a runtime without them has no such getter.
const arrayBufferResizable = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'resizable')
  ?.get as Getter | undefined;

const dateGetTime = Date.prototype.getTime;
const regExpSource = getterOf(RegExp.prototype, 'source');
// The `flags` getter reads `global`, `sticky`, … as properties: each flag's own getter instead,
// in the order `flags` lists them (the runtime's flags only: `unicodeSets` is newer than Node 20).
const regExpFlagGetters: Array<[string, Getter]> = (
  [
    ['d', 'hasIndices'],
    ['g', 'global'],
    ['i', 'ignoreCase'],
    ['m', 'multiline'],
    ['s', 'dotAll'],
    ['u', 'unicode'],
    ['v', 'unicodeSets'],
    ['y', 'sticky'],
  ] as const
).flatMap(([letter, name]) => {
  const get = Object.getOwnPropertyDescriptor(RegExp.prototype, name)?.get;
  return get === undefined ? [] : [[letter, get as Getter]];
});

const dateSetTime = Date.prototype.setTime;
// The typed-array built-ins the undo log saves and rolls back bytes with (see bytesRange).
const Bytes = Uint8Array;
const apply = Reflect.apply;
const typedSet = (TYPED_ARRAY as { set: (source: ArrayLike<number>, offset?: number) => void }).set;
const regExpCompile = RegExp.prototype.compile;
const arrayBufferResize = (ArrayBuffer.prototype as { resize?: (n: number) => void }).resize;

/** Sets the time value of a Date. */
export function setTimeSlot(date: Date, time: number): void {
  dateSetTime.call(date, time);
}

/** Recompiles a RegExp in place with another pattern and flags. */
export function recompile(re: RegExp, source: string, flags: string): void {
  regExpCompile.call(re, source, flags);
}

/** Resizes a resizable ArrayBuffer. */
export function resizeBuffer(buffer: ArrayBuffer, length: number): void {
  arrayBufferResize?.call(buffer, length);
}

/** The time value of a Date (NaN when invalid). */
export function timeSlot(date: Date): number {
  return dateGetTime.call(date);
}

/** The pattern of a RegExp. */
export function sourceSlot(re: RegExp): string {
  return regExpSource.call(re) as string;
}

/** The flags of a RegExp. */
export function flagsSlot(re: RegExp): string {
  let flags = '';
  for (const [letter, get] of regExpFlagGetters) if (get.call(re) === true) flags += letter;
  return flags;
}

/** The element count of a typed array. */
export function lengthSlot(view: ArrayBufferView): number {
  return typedLength.call(view) as number;
}

/** The ArrayBuffer (or SharedArrayBuffer) a typed array or DataView views. */
export function bufferSlot(view: ArrayBufferView): ArrayBufferLike {
  return (types.isDataView(view) ? dataViewBuffer : typedBuffer).call(view) as ArrayBufferLike;
}

/** Where the bytes of a typed array or DataView start in its buffer. */
export function byteOffsetSlot(view: ArrayBufferView): number {
  return (types.isDataView(view) ? dataViewByteOffset : typedByteOffset).call(view) as number;
}

/** How many bytes a typed array or DataView covers, or an ArrayBuffer or SharedArrayBuffer holds. */
export function byteLengthSlot(obj: ArrayBufferView | ArrayBufferLike): number {
  if (types.isTypedArray(obj)) return typedByteLength.call(obj) as number;
  if (types.isDataView(obj)) return dataViewByteLength.call(obj) as number;
  if (types.isSharedArrayBuffer(obj)) return sharedByteLength.call(obj) as number;
  return arrayBufferByteLength.call(obj) as number;
}

/** The bytes a typed array or DataView covers, as a Uint8Array over the same memory. */
export function viewedBytes(view: ArrayBufferView): Uint8Array {
  return new Bytes(bufferSlot(view), byteOffsetSlot(view), byteLengthSlot(view));
}

/**
 * Bytes `from` to `to` of `bytes` (clamped as `subarray` clamps them), over
 * the same memory. Made by the Uint8Array constructor taken at load, not by
 * `subarray`, which asks the array's `constructor` (its species) to make
 * the result: a program replacing it would be handed the state's buffer.
 */
export function bytesRange(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const length = typedLength.call(bytes) as number;
  const start = Math.min(Math.max(from, 0), length);
  const end = Math.max(start, Math.min(to, length));
  return new Bytes(
    typedBuffer.call(bytes) as ArrayBufferLike,
    (typedByteOffset.call(bytes) as number) + start,
    end - start,
  );
}

/** All the bytes of a buffer, as a Uint8Array over the same memory. */
export function bufferBytes(buffer: ArrayBufferLike): Uint8Array {
  return new Bytes(buffer);
}

/** A fresh copy of `bytes` (as `slice()`, but by the built-ins taken at load: no species, no method lookup). */
export function copyOfBytes(bytes: Uint8Array): Uint8Array {
  const copy = new Bytes(typedLength.call(bytes) as number);
  apply(typedSet, copy, [bytes]);
  return copy;
}

/** Writes `source` over the start of `bytes` (as `bytes.set(source)`, by the built-in taken at load). */
export function writeBytes(bytes: Uint8Array, source: Uint8Array): void {
  apply(typedSet, bytes, [source]);
}

// Newer runtimes tell a detached ArrayBuffer by a getter; Node 20 has none.
const arrayBufferDetached = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'detached')
  ?.get as Getter | undefined;

/**
 * True for a detached ArrayBuffer, whose bytes were transferred away
 * (structuredClone or postMessage with `transfer`, `transfer()`): it reads
 * as empty, and no view can be made on it.
 */
export function isDetached(buffer: ArrayBufferLike): boolean {
  if (!types.isArrayBuffer(buffer)) return false;
  if (arrayBufferDetached !== undefined) return arrayBufferDetached.call(buffer) === true;
  if (arrayBufferByteLength.call(buffer) !== 0) return false;
  try {
    new Bytes(buffer);
    return false;
  } catch {
    return true;
  }
}

/** True for a resizable ArrayBuffer (a SharedArrayBuffer is growable, not resizable). */
export function isResizable(buffer: ArrayBufferLike): boolean {
  return (
    arrayBufferResizable !== undefined &&
    types.isArrayBuffer(buffer) &&
    arrayBufferResizable.call(buffer) === true
  );
}
