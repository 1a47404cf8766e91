/**
 * The journal: one JSON line per action, appended by {@link JournalWriter}
 * and read back, validated and repaired by {@link replayJournal}.
 */
export { crc32 } from './crc';
export type { JournalFile } from './files';
export { journalFileName, listJournalFiles } from './files';
export type { ReplayOptions, ReplayResult } from './reader';
export { replayJournal } from './reader';
export type { DecodeResult, JournalRecord } from './record';
export { decodeRecordAt, encodeRecordLine, parseRecordLine } from './record';
export type { Durability, JournalWriterOptions } from './writer';
export { JournalWriter } from './writer';
