'use strict';
/**
 * Scenario 5, memory: heap bytes per page with N pages held through
 * prevalent, vs the plain object graph (the same BenchWiki and Page objects
 * without prevalent). Each variant runs in its own child process started
 * with --expose-gc; the heap is measured after full collections, minus the
 * heap of the same process before the pages existed.
 *
 * Variants: `plain`; `prevalent` (pages created by actions); `prevalent+views`
 * (then every page read once through the @readonly query, which caches one
 * read-only view per page); `prevalent restored` (opened from a snapshot).
 */
const { execFileSync } = require('node:child_process');

const VARIANTS = ['plain', 'prevalent', 'prevalent+views', 'prevalent restored'];

async function run(cfg, ctx) {
  const n = cfg.pages;
  const snap = await ctx.datasets.snapshot(n);
  const results = {};
  for (const variant of VARIANTS) {
    ctx.status(`memory: ${variant}`);
    const dir = variant === 'prevalent restored' ? ctx.datasets.copy(snap, 'mem') : ctx.tmp;
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', __filename, '--child', variant, String(n), dir],
      { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    if (dir !== ctx.tmp) ctx.datasets.release(dir);
    const r = JSON.parse(out.trim().split('\n').pop());
    results[variant] = {
      name: variant,
      unit: 'bytes/page',
      median: r.bytes / n,
      heapBytes: r.bytes,
      externalBytes: r.external,
      seconds: r.seconds,
    };
  }
  const plain = results.plain.median;
  const derived = {};
  for (const v of VARIANTS) derived[`${v} / plain`] = results[v].median / plain;
  return { config: { pages: n }, results, derived };
}

// ---- child ---------------------------------------------------------------

function heap() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage();
}

async function child(variant, n, dir) {
  const path = require('node:path');
  const fs = require('node:fs');
  const { BenchWiki, Page, openWiki, pageId, pageText } = require('../domain');
  const keep = [];
  const start = process.hrtime.bigint();
  let wiki;
  let target = variant === 'prevalent restored' ? dir : fs.mkdtempSync(path.join(dir, 'mem-'));
  const before = heap();
  if (variant === 'plain') {
    const w = new BenchWiki();
    for (let i = 0; i < n; i++) {
      const id = pageId(i);
      w.pages[id] = new Page(id, pageText(i));
    }
    keep.push(w);
  } else if (variant === 'prevalent restored') {
    wiki = openWiki(target, { durability: 'none' });
  } else {
    wiki = openWiki(target, { durability: 'none' });
    for (let i = 0; i < n; i++) wiki.createPage(pageId(i), pageText(i));
    if (variant === 'prevalent+views') {
      let hits = 0;
      for (let i = 0; i < n; i++) if (wiki.getPage(pageId(i)) !== undefined) hits++;
      if (hits !== n) throw new Error('missing pages');
    }
  }
  const after = heap();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (wiki) {
    keep.push(wiki.getPage(pageId(n - 1)));
    await wiki.close();
  }
  if (variant !== 'prevalent restored') fs.rmSync(target, { recursive: true, force: true });
  target = undefined;
  process.stdout.write(
    JSON.stringify({
      bytes: after.heapUsed - before.heapUsed,
      external: after.external - before.external,
      seconds,
      kept: keep.length,
    }) + '\n',
  );
}

if (require.main === module && process.argv[2] === '--child') {
  child(process.argv[3], Number(process.argv[4]), process.argv[5]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

module.exports = { name: 'memory', title: 'Memory: heap bytes per page', run };
