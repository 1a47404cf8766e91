'use strict';
/**
 * Scenario 3, open: time until usable with N pages stored (a) only as a
 * journal (every page replayed as an action), (b) as a snapshot; next to
 * NeDB load, LokiJS load and lowdb read of the same pages, and minimal
 * loaders of the same files (plain-open.js: every line `JSON.parse`d and the
 * pages built, nothing checked). Also the replay rate (actions/s), the
 * snapshot load rate (MB/s) and both as ratios to the minimal loaders. Every open runs in a fresh process, as at a restart (fresh-open.js).
 */
const fs = require('node:fs');
const path = require('node:path');
const { compare, tempDir, removeDir, dirBytes } = require('../harness');
const { pages } = require('../data');
const { freshOpener } = require('../fresh-open');
const lowdb = require('../peers/lowdb');
const lokijs = require('../peers/lokijs');
const nedb = require('../peers/nedb');

/**
 * The size of the data set a fresh process opens first, to warm up (see
 * fresh-open.js): the same size up to 10k pages, so small opens are timed warm too.
 */
function warmSize(n) {
  return Math.min(n, 10000);
}

/** Writes `n` pages in every peer's file format under `root` (one directory per peer). */
async function writePeerFiles(root, n) {
  const { ids, texts } = pages(n);
  await nedb.writeFile(path.join(root, 'nedb'), ids, texts);
  await lokijs.writeFile(path.join(root, 'loki'), ids, texts);
  lowdb.writeFile(path.join(root, 'lowdb'), ids, texts);
}

const MINIMAL_REPLAY = 'minimal loader: journal lines JSON.parsed';
const MINIMAL_LOAD = 'minimal loader: snapshot lines JSON.parsed';
const MINIMAL_NOTE = 'pages built by code for their shape; nothing checked, no action run';

async function run(cfg, ctx) {
  const n = cfg.pages;
  const w = warmSize(n);
  const journalDir = await ctx.datasets.journal(n);
  const snapDir = await ctx.datasets.snapshot(n);
  const warmJournal = await ctx.datasets.journal(w);
  const warmSnap = await ctx.datasets.snapshot(w);
  const root = tempDir('open-', ctx.tmp);
  const data = path.join(root, 'data');
  const warm = path.join(root, 'warm');
  try {
    ctx.status('open: writing the peers files');
    await writePeerFiles(data, n);
    await writePeerFiles(warm, w);
    const peer = (name, kind, sub) =>
      freshOpener(name, kind, path.join(data, sub), path.join(warm, sub), n);
    const subjects = [
      freshOpener('prevalent journal replay', 'prevalent', journalDir, warmJournal, n),
      freshOpener('prevalent snapshot load', 'prevalent', snapDir, warmSnap, n),
      {
        ...freshOpener(MINIMAL_REPLAY, 'minimal-replay', journalDir, warmJournal, n),
        note: MINIMAL_NOTE,
      },
      {
        ...freshOpener(MINIMAL_LOAD, 'minimal-snapshot', snapDir, warmSnap, n),
        note: MINIMAL_NOTE,
      },
      peer('NeDB load', 'nedb', 'nedb'),
      peer('LokiJS load', 'lokijs', 'loki'),
      peer('lowdb read', 'lowdb', 'lowdb'),
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
      'NeDB datafile': fs.statSync(path.join(data, 'nedb', 'nedb.db')).size,
      'LokiJS file': fs.statSync(path.join(data, 'loki', 'loki.db')).size,
      'lowdb file': fs.statSync(path.join(data, 'lowdb', 'db.json')).size,
    };
    const replay = results['prevalent journal replay'];
    const load = results['prevalent snapshot load'];
    const replayMinimal = results[MINIMAL_REPLAY];
    const loadMinimal = results[MINIMAL_LOAD];
    const derived = {
      replayActionsPerSecond: n / replay.secondsMedian,
      replayMBPerSecond: journalBytes / 1e6 / replay.secondsMedian,
      replayMinimalActionsPerSecond: n / replayMinimal.secondsMedian,
      replayVsMinimal: replayMinimal.secondsMedian / replay.secondsMedian,
      snapshotLoadMBPerSecond: snapshotBytes / 1e6 / load.secondsMedian,
      snapshotLoadPagesPerSecond: n / load.secondsMedian,
      snapshotLoadMinimalMBPerSecond: snapshotBytes / 1e6 / loadMinimal.secondsMedian,
      snapshotLoadVsMinimal: loadMinimal.secondsMedian / load.secondsMedian,
    };
    return { config: { pages: n, repeats: cfg.repeats }, results, files, derived };
  } finally {
    removeDir(root);
  }
}

module.exports = { name: 'open', title: 'Open: time until usable', run, warmSize };
