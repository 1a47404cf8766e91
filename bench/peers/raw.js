'use strict';
/**
 * The machine's limits: appending the bytes of prevalent's journal records
 * with one write call each, with and without an fdatasync per record. The
 * record bytes are built up front (same format as the journal: a header with
 * CRC-32 and length, then the action record), so only the I/O is timed.
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

/** The journal line prevalent writes for `createPage(id, text)` as action `seq`. */
function recordLine(seq, ts, id, text) {
  const rec =
    '{"args":' +
    JSON.stringify([id, text]) +
    ',"method":"createPage","seq":' +
    seq +
    ',"threw":false,"ts":' +
    ts +
    '}';
  const recBytes = Buffer.from(rec, 'utf8');
  const crc = (zlib.crc32 ? zlib.crc32(recBytes) : 0).toString(16).padStart(8, '0');
  return Buffer.concat([
    Buffer.from(`{"crc":"${crc}","len":${recBytes.length},"rec":`, 'latin1'),
    recBytes,
    Buffer.from('}\n', 'latin1'),
  ]);
}

/**
 * Opens an append-only file in `dir`; `insert(i)` appends the precomputed
 * record of page i (`prepare(ids, texts)` first). `sync: true` adds an
 * fdatasync after every write.
 */
function open(dir, { sync = false } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, sync ? 'raw-sync.jsonl' : 'raw.jsonl');
  const fd = fs.openSync(file, 'a');
  let lines = [];
  return {
    name: sync ? 'append+fdatasync' : 'raw append',
    async: false,
    prepare(ids, texts) {
      const ts = Date.now();
      lines = ids.map((id, i) => recordLine(i + 1, ts, id, texts[i]));
    },
    /** Appends the record of page number `i`. */
    insertAt(i) {
      fs.writeSync(fd, lines[i]);
      if (sync) fs.fdatasyncSync(fd);
    },
    close: () => fs.closeSync(fd),
    file,
  };
}

module.exports = { name: 'raw', open, recordLine };
