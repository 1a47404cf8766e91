'use strict';
/**
 * Scenario 1, write: create pages one call at a time. prevalent in each
 * durability mode next to the peers and the machine's limits (raw append of
 * the same record bytes; append + fdatasync per record), all in one run,
 * interleaved round by round. Every sample writes into a fresh store.
 *
 * The fsync-bound subjects (append + fdatasync, 'always', SQLite with
 * synchronous=FULL) are measured apart, in short alternating blocks on one
 * store each, because the shared disk's fsync latency changes within a
 * second; their ratios are medians of per-block ratios.
 */
const path = require('node:path');
const { compare, paired, blockRatio, tempDir, removeDir } = require('../harness');
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

/** A subject for {@link paired}: one store, block b writes pages [b * ops, (b + 1) * ops). */
function blockWriter(name, ops, data, open, note) {
  let h;
  let dir;
  return {
    name,
    ops,
    note: note ? `${note}; alternating blocks` : 'alternating blocks',
    async setup() {
      dir = tempDir('wb-', data.root);
      h = await open(dir);
    },
    block(b) {
      const { ids, texts } = data;
      const end = (b + 1) * ops;
      if (h.insertAt) {
        for (let i = b * ops; i < end; i++) h.insertAt(i);
        return ops;
      }
      let last;
      for (let i = b * ops; i < end; i++) last = h.insert(ids[i], texts[i]);
      return last;
    },
    async teardown() {
      await h.close();
      removeDir(dir);
    },
  };
}

async function run(cfg, ctx) {
  const { n, nSlow, nNedb, blocks, blockOps } = cfg;
  const blockTotal = (blocks + 2) * blockOps;
  const { ids, texts } = pages(Math.max(n, nSlow, nNedb, blockTotal));
  const data = { ids, texts, root: tempDir('write-', ctx.tmp) };
  const withRaw = (options) => (dir) => {
    const h = raw.open(dir, options);
    h.prepare(ids.slice(0, options.sync ? blockTotal : n), texts);
    return h;
  };
  const fsyncBound = [
    blockWriter(
      'append+fdatasync',
      blockOps,
      data,
      withRaw({ sync: true }),
      'limit: write()+fdatasync() per record',
    ),
    blockWriter('prevalent always', blockOps, data, (d) =>
      prevalent.open(d, { durability: 'always' }),
    ),
    blockWriter('SQLite WAL sync=FULL', blockOps, data, (d) =>
      sqlite.open(d, { journal: 'wal', synchronous: 'full' }),
    ),
    blockWriter(
      'SQLite DELETE sync=FULL',
      blockOps,
      data,
      (d) => sqlite.open(d, { journal: 'delete', synchronous: 'full' }),
      "SQLite's default journal",
    ),
  ];
  const subjects = [
    writer('raw append', n, data, withRaw({ sync: false }), 'limit: one write() per record'),
    writer('prevalent none', n, data, (d) => prevalent.open(d, { durability: 'none' })),
    writer('prevalent batch', n, data, (d) => prevalent.open(d, { durability: 'batch' })),
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
    writer('SQLite WAL sync=OFF', n, data, (d) =>
      sqlite.open(d, { journal: 'wal', synchronous: 'off' }),
    ),
  ];
  try {
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`write: ${name} (round ${round + 1})`),
    });
    const synced = await paired(fsyncBound, {
      blocks,
      onBlock: (b) => ctx.status(`write: fsync-bound subjects, block ${b + 1}`),
    });
    Object.assign(results, synced.figures);
    const ratio = (a, b) => blockRatio(synced, a, b);
    const pairedRatios = {
      'prevalent always / append+fdatasync': ratio('prevalent always', 'append+fdatasync'),
      'prevalent always / SQLite WAL sync=FULL': ratio('prevalent always', 'SQLite WAL sync=FULL'),
      'SQLite WAL sync=FULL / append+fdatasync': ratio('SQLite WAL sync=FULL', 'append+fdatasync'),
    };
    return {
      config: { n, nSlow, nNedb, blocks, blockOps, repeats: cfg.repeats },
      results,
      pairedRatios,
    };
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
