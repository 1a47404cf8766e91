'use strict';
/**
 * Scenario 6, cost growth: write rate, read rate and open time at several
 * state sizes (e.g. 10k, 100k, 1M pages), to show which costs grow with the
 * state. Writes and reads should not; open (journal replay, snapshot load)
 * should grow linearly. Reads are also given as a ratio to Map.get at the
 * same size, since any look-up slows down once the state leaves the CPU caches.
 * Opens run in fresh processes (fresh-open.js), like the open scenario's.
 */
const { compare, randomIndices } = require('../harness');
const { pages } = require('../data');
const { readLoop, indexLoop } = require('../loops');
const { openWiki, pageId, pageText } = require('../domain');
const mapPeer = require('../peers/map');
const { freshOpener } = require('../fresh-open');
const { warmSize } = require('./open');

async function atSize(cfg, ctx, n) {
  const snap = await ctx.datasets.snapshot(n);
  const journal = await ctx.datasets.journal(n);
  const { ids } = pages(n);
  const keys = Array.from(randomIndices(cfg.lookups, n, 7), (i) => ids[i]);
  const dir = ctx.datasets.copy(snap, 'growth');
  let wiki;
  let map;
  let next = n;
  const writeLoop = indexLoop();
  const readPrevalent = readLoop();
  const readMap = readLoop();
  const subjects = [
    {
      name: 'write',
      ops: cfg.writes,
      setup() {
        wiki = openWiki(dir, { durability: 'none' });
      },
      run() {
        const base = next;
        next += cfg.writes;
        return writeLoop((i) => wiki.createPage(pageId(base + i), pageText(base + i)), cfg.writes);
      },
    },
    {
      name: 'read readonly',
      ops: cfg.lookups,
      run: () => readPrevalent((id) => wiki.getPage(id), keys),
      async teardown() {
        await wiki.close();
        wiki = undefined;
        ctx.datasets.release(dir);
      },
    },
    {
      name: 'read Map.get',
      ops: cfg.lookups,
      setup() {
        const { texts } = pages(n);
        map = mapPeer.load(ids, texts);
      },
      run: () => readMap(map.get, keys),
      teardown() {
        map = undefined;
      },
    },
  ];
  const rates = await compare(subjects, {
    warmup: cfg.warmup,
    repeats: cfg.repeats,
    onSample: (name, round) => ctx.status(`growth ${n}: ${name} (round ${round + 1})`),
  });
  const reuse =
    ctx.results.open && ctx.results.open.config.pages === n ? ctx.results.open.results : undefined;
  let opens;
  if (reuse) {
    opens = {
      'open journal': { ...reuse['prevalent journal replay'], reused: 'open scenario' },
      'open snapshot': { ...reuse['prevalent snapshot load'], reused: 'open scenario' },
    };
  } else {
    const warmJournal = await ctx.datasets.journal(warmSize(n));
    const warmSnap = await ctx.datasets.snapshot(warmSize(n));
    opens = await compare(
      [
        freshOpener('open journal', 'prevalent', journal, warmJournal, n),
        freshOpener('open snapshot', 'prevalent', snap, warmSnap, n),
      ],
      {
        warmup: 0,
        repeats: n >= 1e6 ? Math.min(cfg.repeats, 2) : cfg.repeats,
        onSample: (name, round) => ctx.status(`growth ${n}: ${name} (round ${round + 1})`),
      },
    );
  }
  const readRatio = rates['read readonly'].median / rates['read Map.get'].median;
  return { pages: n, ...rates, ...opens, readRatioToMap: readRatio };
}

async function run(cfg, ctx) {
  const sizes = {};
  for (const n of cfg.sizes) sizes[n] = await atSize(cfg, ctx, n);
  const first = sizes[cfg.sizes[0]];
  const lastN = cfg.sizes[cfg.sizes.length - 1];
  const last = sizes[lastN];
  const derived = {
    writeRateLastOverFirst: last.write.median / first.write.median,
    readRatioLastOverFirst: last.readRatioToMap / first.readRatioToMap,
    readRateLastOverFirst: last['read readonly'].median / first['read readonly'].median,
    mapRateLastOverFirst: last['read Map.get'].median / first['read Map.get'].median,
    openJournalPerPageLastOverFirst:
      last['open journal'].secondsMedian /
      lastN /
      (first['open journal'].secondsMedian / cfg.sizes[0]),
    openSnapshotPerPageLastOverFirst:
      last['open snapshot'].secondsMedian /
      lastN /
      (first['open snapshot'].secondsMedian / cfg.sizes[0]),
  };
  return {
    config: { sizes: cfg.sizes, writes: cfg.writes, lookups: cfg.lookups, repeats: cfg.repeats },
    sizes,
    derived,
  };
}

module.exports = { name: 'growth', title: 'Cost growth with the size of the state', run };
