'use strict';
/**
 * Opens stored pages in a fresh child process, as a restart does, and reports
 * the time until usable measured inside the child. A restart never runs in a
 * process that has already served other work, so neither does this: an open
 * measured in the benchmark's own process would pay for the garbage and the
 * mixed type feedback of every scenario before it.
 *
 * The child first opens a small data set of the same kind (the warm-up, so
 * the figure is not the JIT's compile time), collects, then times the open of
 * the real one; it checks the page count outside the timed part.
 */
const { execFileSync } = require('node:child_process');
const { gc } = require('./harness');

/** A peer's open: its adapter's `load(dir)` resolves to the page count once usable. */
function peerOpener(adapter) {
  return async (dir) => {
    const n = await require(`./peers/${adapter}`).load(dir);
    return { count: () => n, close: async () => {} };
  };
}

/** Every system's open: resolves to `{ count, close }` once the pages are usable. */
const OPENERS = {
  async prevalent(dir) {
    const { openWiki } = require('./domain');
    const wiki = openWiki(dir, { durability: 'none' });
    return { count: () => wiki.pageCount(), close: () => wiki.close() };
  },
  // Minimal loaders of the same files (plain-open.js): not systems, the yardsticks of an open.
  async 'minimal-replay'(dir) {
    const { count } = require('./plain-open').minimalReplay(dir);
    return { count: () => count, close: async () => {} };
  },
  async 'minimal-snapshot'(dir) {
    const { count } = require('./plain-open').minimalSnapshotLoad(dir);
    return { count: () => count, close: async () => {} };
  },
  nedb: peerOpener('nedb'),
  lokijs: peerOpener('lokijs'),
  lowdb: peerOpener('lowdb'),
};

/**
 * Opens `dir` with `kind`'s opener in a fresh process after a warm-up open of
 * `warmDir`; resolves to `{ seconds, value }` (the child's timing and the page
 * count), failing when the count is not `expected`.
 */
function openInChild(kind, dir, warmDir, expected) {
  const out = execFileSync(process.execPath, [__filename, '--child', kind, dir, warmDir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const r = JSON.parse(out.trim().split('\n').pop());
  if (r.count !== expected)
    throw new Error(`${kind} opened ${r.count} pages, expected ${expected}`);
  return { seconds: r.seconds, value: r.count };
}

/** A subject for the harness's `compare`: one fresh-process open per sample. */
function freshOpener(name, kind, dir, warmDir, expected) {
  return { name, ops: 1, selfTimed: true, run: () => openInChild(kind, dir, warmDir, expected) };
}

async function child(kind, dir, warmDir) {
  const open = OPENERS[kind];
  if (open === undefined) throw new Error(`unknown system ${kind}`);
  const warm = await open(warmDir);
  warm.count();
  await warm.close();
  gc();
  const start = process.hrtime.bigint();
  const opened = await open(dir);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const count = opened.count();
  await opened.close();
  process.stdout.write(`${JSON.stringify({ seconds, count })}\n`);
}

if (require.main === module && process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4], process.argv[5]).catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exit(1);
  });
}

module.exports = { openInChild, freshOpener };
