'use strict';
/**
 * Scenario 4, snapshot: time to write the snapshot of N pages, its MB/s and
 * file size; LokiJS saving the same pages (one JSON file) for reference.
 */
const fs = require('node:fs');
const path = require('node:path');
const { compare, tempDir, removeDir } = require('../harness');
const { pages } = require('../data');
const { openWiki } = require('../domain');
const lokijs = require('../peers/lokijs');

async function run(cfg, ctx) {
  const n = cfg.pages;
  const dir = ctx.datasets.copy(await ctx.datasets.snapshot(n), 'snap');
  const root = tempDir('snapshot-', ctx.tmp);
  let wiki;
  let file;
  let loki;
  const subjects = [
    {
      name: 'prevalent takeSnapshot',
      ops: 1,
      setup() {
        wiki = openWiki(dir, { durability: 'none' });
      },
      run() {
        file = wiki.takeSnapshot();
        return file;
      },
      async teardown() {
        await wiki.close();
      },
    },
    {
      name: 'LokiJS saveDatabase',
      ops: 1,
      async setup() {
        const { ids, texts } = pages(n);
        loki = lokijs.open(path.join(root, 'loki'));
        for (let i = 0; i < ids.length; i++) loki.coll.insert({ id: ids[i], text: texts[i] });
      },
      run() {
        return new Promise((resolve, reject) =>
          loki.db.saveDatabase((err) => (err ? reject(err) : resolve(1))),
        );
      },
      async teardown() {
        await loki.close();
        loki = undefined;
      },
    },
  ];
  try {
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`snapshot: ${name} (round ${round + 1})`),
    });
    const bytes = fs.statSync(file).size;
    const lokiBytes = fs.statSync(path.join(root, 'loki', 'loki.db')).size;
    const snap = results['prevalent takeSnapshot'];
    const derived = {
      snapshotBytes: bytes,
      bytesPerPage: bytes / n,
      writeMBPerSecond: bytes / 1e6 / snap.secondsMedian,
      writeSecondsMedian: snap.secondsMedian,
      lokiBytes,
      lokiMBPerSecond: lokiBytes / 1e6 / results['LokiJS saveDatabase'].secondsMedian,
    };
    return { config: { pages: n, repeats: cfg.repeats }, results, derived };
  } finally {
    removeDir(root);
    removeDir(dir);
  }
}

module.exports = { name: 'snapshot', title: 'Snapshot: write time, MB/s, file size', run };
