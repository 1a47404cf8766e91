'use strict';
/**
 * Scenario 3, open: time until usable with N pages stored (a) only as a
 * journal (every page replayed as an action), (b) as a snapshot; next to
 * NeDB load, LokiJS load and lowdb read of the same pages. Also the replay
 * rate (actions/s) and the snapshot load rate (MB/s).
 */
const fs = require('node:fs');
const path = require('node:path');
const { compare, tempDir, removeDir, dirBytes, gc } = require('../harness');
const { pages } = require('../data');
const { openWiki } = require('../domain');
const lowdb = require('../peers/lowdb');
const lokijs = require('../peers/lokijs');
const nedb = require('../peers/nedb');

/** Opens a prevalent directory: the timed part is initSystem until it returns (usable). */
function opener(name, dir, check) {
  let wiki;
  return {
    name,
    ops: 1,
    run() {
      wiki = openWiki(dir, { durability: 'none' });
      return wiki;
    },
    async after() {
      check(wiki);
      await wiki.close();
      wiki = undefined;
      gc();
    },
  };
}

function loader(name, load, n) {
  return {
    name,
    ops: 1,
    async run() {
      const count = await load();
      if (count !== n) throw new Error(`${name} loaded ${count} pages, expected ${n}`);
      return count;
    },
    after: () => gc(),
  };
}

async function run(cfg, ctx) {
  const n = cfg.pages;
  const journalDir = await ctx.datasets.journal(n);
  const snapDir = await ctx.datasets.snapshot(n);
  const root = tempDir('open-', ctx.tmp);
  const last = `p${n - 1}`;
  const check = (wiki) => {
    if (wiki.getPage(last) === undefined) throw new Error(`page ${last} missing after open`);
  };
  try {
    {
      const { ids, texts } = pages(n);
      ctx.status('open: writing the peers files');
      await nedb.writeFile(path.join(root, 'nedb'), ids, texts);
      await lokijs.writeFile(path.join(root, 'loki'), ids, texts);
      lowdb.writeFile(path.join(root, 'lowdb'), ids, texts);
    }
    gc();
    const subjects = [
      opener('prevalent journal replay', journalDir, check),
      opener('prevalent snapshot load', snapDir, check),
      loader('NeDB load', () => nedb.load(path.join(root, 'nedb')), n),
      loader('LokiJS load', () => lokijs.load(path.join(root, 'loki')), n),
      loader('lowdb read', () => lowdb.load(path.join(root, 'lowdb')), n),
    ];
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`open: ${name} (round ${round + 1})`),
    });
    const journalBytes = dirBytes(journalDir, /^journal-/);
    const snapshotBytes = dirBytes(snapDir, /\.snap$/);
    const files = {
      'prevalent journal': journalBytes,
      'prevalent snapshot': snapshotBytes,
      'NeDB datafile': fs.statSync(path.join(root, 'nedb', 'nedb.db')).size,
      'LokiJS file': fs.statSync(path.join(root, 'loki', 'loki.db')).size,
      'lowdb file': fs.statSync(path.join(root, 'lowdb', 'db.json')).size,
    };
    const replay = results['prevalent journal replay'];
    const load = results['prevalent snapshot load'];
    const derived = {
      replayActionsPerSecond: n / replay.secondsMedian,
      replayMBPerSecond: journalBytes / 1e6 / replay.secondsMedian,
      snapshotLoadMBPerSecond: snapshotBytes / 1e6 / load.secondsMedian,
      snapshotLoadPagesPerSecond: n / load.secondsMedian,
    };
    return { config: { pages: n, repeats: cfg.repeats }, results, files, derived };
  } finally {
    removeDir(root);
  }
}

module.exports = { name: 'open', title: 'Open: time until usable', run };
