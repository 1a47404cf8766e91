/** The value codecs: tree encoding for journal records, graph encoding for snapshots, and strict comparison. */
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
