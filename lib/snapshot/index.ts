/** Snapshot files: format, atomic streaming writer and streaming loader with fallback. */
export {
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  snapshotFileName,
  seqOfFileName,
  type HeaderInput,
  type SnapshotInfo,
} from './format';
export { WRITE_BUFFER_BYTES, writeSnapshot, type EmitLine, type WrittenSnapshot } from './writer';
export {
  READ_CHUNK_BYTES,
  listSnapshots,
  loadNewestSnapshot,
  readSnapshot,
  type LoadedSnapshot,
  type ProgressListener,
  type SnapshotConsumer,
  type SnapshotEntry,
} from './loader';
export { snapshotInfo } from './info';
