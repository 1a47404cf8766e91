/**
 * The value codecs: tree encoding for journal records, graph encoding for
 * snapshots and state digests, and the strict comparison used to check them.
 *
 * What round-trips exactly: strings, booleans, null, all numbers (NaN,
 * ±Infinity, -0), undefined, BigInt, Date (also invalid), RegExp (source and
 * flags), Map and Set (in order), arrays, plain and null-prototype objects,
 * every typed array, Buffer (back as Buffer), ArrayBuffer, luxon DateTime
 * (millis and zone name), instances of registered classes (prototype restored,
 * constructor not run), and shared references and cycles.
 *
 * Only own enumerable string-keyed data properties are stored; symbol keys and
 * non-enumerable properties are skipped. Known limits, by design:
 * - array holes come back as `undefined`; extra named properties on arrays,
 *   Maps, Sets, Dates and other built-ins are not stored;
 * - restored properties are plain writable/enumerable/configurable ones
 *   (frozen or read-only objects come back unfrozen); `#private` fields,
 *   RegExp `lastIndex` and DateTime locale settings are not stored;
 * - a typed array stores only the bytes it views, so views sharing one
 *   ArrayBuffer come back with separate buffers.
 */
export { ClassRegistry, globalRegistry, type StorableClass } from './registry';
export {
  encodeTree,
  decodeTree,
  encodeArgs,
  decodeArgs,
  type Encoded,
  type ExternalRef,
  type TreeContext,
} from './tree';
export { encodeGraph, GraphDecoder, type GraphStats } from './graph';
export { firstDifference } from './equal';
