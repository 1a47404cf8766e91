'use strict';
/**
 * Scenario 1, write: create pages one call at a time. prevalent in each
 * durability mode next to the peers and the machine's limits (raw append of
 * the same record bytes; append + fdatasync per record), all in one run,
 * interleaved round by round. Every sample writes into a fresh store.
 */
const path = require('node:path');
const { compare, tempDir, removeDir } = require('../harness');
const { pages } = require('../data');
const prevalent = require('../peers/prevalent');
const raw = require('../peers/raw');
const lowdb = require('../peers/lowdb');
const lokijs = require('../peers/lokijs');
const nedb = require('../peers/nedb');
const sqlite = require('../peers/sqlite');

/** A subject writing `n` pages into a fresh store opened by `open(dir)` before each sample. */
function writer(name, n, data, open, note) {
  let h;
  let dir;
  let k = 0;
  return {
    name,
    ops: n,
    note,
    async before() {
      dir = tempDir(`w-${k++}-`, data.root);
      h = await open(dir);
    },
    run() {
      const { ids, texts } = data;
      if (h.insertAt) {
        for (let i = 0; i < n; i++) h.insertAt(i);
        return n;
      }
      if (h.async) {
        return (async () => {
          for (let i = 0; i < n; i++) await h.insert(ids[i], texts[i]);
          return n;
        })();
      }
      let last;
      for (let i = 0; i < n; i++) last = h.insert(ids[i], texts[i]);
      return last;
    },
    async after() {
      await h.close();
      h = undefined;
      removeDir(dir);
    },
  };
}

async function run(cfg, ctx) {
  const { n, nSync, nSlow, nNedb } = cfg;
  const { ids, texts } = pages(Math.max(n, nSync, nSlow, nNedb));
  const data = { ids, texts, root: tempDir('write-', ctx.tmp) };
  const withRaw = (options) => (dir) => {
    const h = raw.open(dir, options);
    h.prepare(ids.slice(0, options.sync ? nSync : n), texts);
    return h;
  };
  const subjects = [
    writer('raw append', n, data, withRaw({ sync: false }), 'limit: one write() per record'),
    writer(
      'append+fdatasync',
      nSync,
      data,
      withRaw({ sync: true }),
      'limit: write()+fdatasync() per record',
    ),
    writer('prevalent none', n, data, (d) => prevalent.open(d, { durability: 'none' })),
    writer('prevalent batch', n, data, (d) => prevalent.open(d, { durability: 'batch' })),
    writer('prevalent always', nSync, data, (d) => prevalent.open(d, { durability: 'always' })),
    writer(
      'lowdb',
      nSlow,
      data,
      (d) => lowdb.open(d),
      `update+write per call, first ${nSlow} pages of an empty db`,
    ),
    writer('LokiJS insert', n, data, (d) => lokijs.open(d), 'in memory only'),
    writer(
      'LokiJS insert+save',
      nSlow,
      data,
      (d) => lokijs.open(d, { saveEach: true }),
      `saveDatabase per call, first ${nSlow} pages`,
    ),
    writer('NeDB insert', nNedb, data, (d) => nedb.open(d), 'append per insert, no fsync'),
    writer('SQLite WAL sync=FULL', nSync, data, (d) =>
      sqlite.open(d, { journal: 'wal', synchronous: 'full' }),
    ),
    writer('SQLite WAL sync=OFF', n, data, (d) =>
      sqlite.open(d, { journal: 'wal', synchronous: 'off' }),
    ),
    writer(
      'SQLite DELETE sync=FULL',
      nSync,
      data,
      (d) => sqlite.open(d, { journal: 'delete', synchronous: 'full' }),
      "SQLite's default journal",
    ),
  ];
  try {
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`write: ${name} (round ${round + 1})`),
    });
    return { config: { n, nSync, nSlow, nNedb, repeats: cfg.repeats }, results };
  } finally {
    removeDir(data.root);
  }
}

module.exports = {
  name: 'write',
  title: 'Write: create pages one call at a time',
  run,
  path: path.basename(__filename),
};
