import { types } from 'node:util';

/**
 * The internal slots of typed arrays, DataViews and ArrayBuffers, read with
 * the built-in getters. An own property or a subclass getter named `buffer`,
 * `byteOffset`, `byteLength` or `resizable` (an action may define one) does
 * not answer here: reading those names as properties let a subarray claim a
 * buffer of its own and be stored sharing bytes with its parent, which a
 * snapshot then split (a restart lost writes seen through both).
 */

type Getter = (this: unknown) => unknown;

function getterOf(proto: object, name: string): Getter {
  const get = Object.getOwnPropertyDescriptor(proto, name)?.get;
  if (get === undefined) throw new Error(`no built-in getter ${name}`);
  return get as Getter;
}

const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
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
  return new Uint8Array(bufferSlot(view), byteOffsetSlot(view), byteLengthSlot(view));
}

/** True for a resizable ArrayBuffer (a SharedArrayBuffer is growable, not resizable). */
export function isResizable(buffer: ArrayBufferLike): boolean {
  return (
    arrayBufferResizable !== undefined &&
    types.isArrayBuffer(buffer) &&
    arrayBufferResizable.call(buffer) === true
  );
}
