'use strict';
/**
 * Scenario 2, read: random look-ups by id through a `@readonly` method in each
 * isolation mode, next to LokiJS's unique index, NeDB findOne, a prepared
 * SQLite SELECT and a plain Map.get (the limit). Same keys, same order.
 */
const { compare, randomIndices, tempDir, removeDir } = require('../harness');
const { pages } = require('../data');
const { readLoop } = require('../loops');
const prevalent = require('../peers/prevalent');
const mapPeer = require('../peers/map');
const bareProxy = require('../peers/bare-proxy');
const lokijs = require('../peers/lokijs');
const nedb = require('../peers/nedb');
const sqlite = require('../peers/sqlite');

function reader(name, count, keysAll, open, async = false) {
  const keys = keysAll.slice(0, count);
  const loop = readLoop(async);
  let h;
  return {
    name,
    ops: count,
    async setup() {
      h = await open();
    },
    run() {
      return loop(h.get, keys);
    },
    async teardown() {
      await h.close();
      h = undefined;
    },
  };
}

async function run(cfg, ctx) {
  const n = cfg.pages;
  const { ids, texts } = pages(n);
  const idx = randomIndices(cfg.lookups, n, 42);
  const keys = Array.from(idx, (i) => ids[i]);
  const root = tempDir('read-', ctx.tmp);
  const snap = await ctx.datasets.snapshot(n);
  // Systems restored from a snapshot (the state after a restart), each in a private copy.
  const wiki = (isolation) => () => {
    const dir = ctx.datasets.copy(snap, `read-${isolation}`);
    const h = prevalent.open(dir, { durability: 'none', isolation });
    const close = h.close;
    h.close = async () => {
      await close();
      ctx.datasets.release(dir);
    };
    return h;
  };
  // The same state built by actions in this process (no restart): objects made by `new Page`.
  const live = async () => {
    const dir = tempDir('read-live-', root);
    const h = prevalent.open(dir, { durability: 'none' });
    for (let i = 0; i < n; i++) h.insert(ids[i], texts[i]);
    return h;
  };
  const subjects = [
    reader('Map.get', cfg.lookups, keys, () => mapPeer.load(ids, texts)),
    reader('bare Proxy method call', cfg.lookups, keys, () => bareProxy.load(ids, texts)),
    reader('prevalent readonly', cfg.lookups, keys, wiki('readonly')),
    reader('prevalent none', cfg.lookups, keys, wiki('none')),
    reader('prevalent readonly, state built live', cfg.lookups, keys, live),
    reader('prevalent clone', cfg.cloneLookups, keys, wiki('clone')),
    reader('LokiJS by (unique index)', cfg.lookups, keys, () => lokijs.loadPages(ids, texts)),
    reader('SQLite prepared SELECT', cfg.lookups, keys, () => {
      const h = sqlite.open(root, { journal: 'wal', synchronous: 'off' });
      h.bulk(ids, texts);
      return h;
    }),
    reader('NeDB findOne', cfg.slowLookups, keys, () => nedb.loadPages(ids, texts), true),
  ];
  try {
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`read: ${name} (round ${round + 1})`),
    });
    return {
      config: {
        pages: n,
        lookups: cfg.lookups,
        cloneLookups: cfg.cloneLookups,
        slowLookups: cfg.slowLookups,
        repeats: cfg.repeats,
      },
      results,
    };
  } finally {
    removeDir(root);
  }
}

module.exports = { name: 'read', title: 'Read: random look-ups by id', run };
