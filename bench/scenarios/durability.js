'use strict';
/**
 * Durability figures (issue 3): actions per second in each durability mode
 * next to the machine's limits measured in the same run (plain appends;
 * append + fdatasync per record), `@unlocked` in 'always' mode, and group
 * commit: K concurrent clients each doing `action(); await sync()`, whose
 * acknowledged-durable rate should be far above one fdatasync per action.
 * fdatasync calls are counted through the file-system seam.
 *
 * Subjects that do not wait for the disk run round by round (compare); the
 * fsync-bound ones run in short alternating blocks (paired), since the
 * shared disk's fsync latency changes within a second, and their ratios to
 * append + fdatasync are medians of per-block ratios.
 */
const { compare, paired, blockRatio, tempDir, removeDir } = require('../harness');
const { pages } = require('../data');
const { openWiki, UnlockedWiki } = require('../domain');
const raw = require('../peers/raw');

let realFs;
try {
  realFs = require('../../dist/fs/seam').realFs;
} catch {
  realFs = undefined;
}

/** The real file system, counting fdatasync calls (sync and async). */
function countingFs(counter) {
  if (realFs === undefined) return undefined;
  return {
    ...realFs,
    fdatasyncSync(fd) {
      counter.fsyncs++;
      return realFs.fdatasyncSync(fd);
    },
    fdatasync(fd) {
      counter.fsyncs++;
      return realFs.fdatasync(fd);
    },
  };
}

/** Runs actions [from, to) on `wiki` from `clients` concurrent callers, each awaiting sync() after every call. */
function clientsRun(wiki, method, data, from, to, clients) {
  const per = Math.ceil((to - from) / clients);
  const client = async (c) => {
    const end = Math.min(to, from + (c + 1) * per);
    for (let i = from + c * per; i < end; i++) {
      wiki[method](data.ids[i], data.texts[i]);
      await wiki.sync();
    }
  };
  return Promise.all(Array.from({ length: clients }, (_, c) => client(c))).then(() => to - from);
}

/** A compare() subject: `ops` actions on a fresh system per sample, called one after the other. */
function sequential(name, ops, data, { durability, method = 'createPage', note }) {
  let wiki;
  let dir;
  let k = 0;
  return {
    name,
    ops,
    note,
    before() {
      dir = tempDir(`d-${k++}-`, data.root);
      wiki = openWiki(dir, { durability }, UnlockedWiki);
    },
    run() {
      for (let i = 0; i < ops; i++) wiki[method](data.ids[i], data.texts[i]);
      return ops;
    },
    async after() {
      await wiki.close();
      removeDir(dir);
    },
  };
}

/** A paired() subject on one system: block b runs actions [b * ops, (b + 1) * ops) from `clients` callers. */
function blocks(
  name,
  ops,
  data,
  { durability, method = 'createPage', clients = 1, waitSync = true, note },
) {
  const counter = { fsyncs: 0 };
  let wiki;
  let dir;
  let measured = 0;
  return {
    name,
    ops,
    note,
    counter,
    setup() {
      dir = tempDir('db-', data.root);
      wiki = openWiki(dir, { durability, fileSystem: countingFs(counter) }, UnlockedWiki);
    },
    block(b) {
      if (b === 2) measured = counter.fsyncs; // after the two warm-up blocks
      const from = b * ops;
      if (!waitSync) {
        for (let i = from; i < from + ops; i++) wiki[method](data.ids[i], data.texts[i]);
        return ops;
      }
      return clientsRun(wiki, method, data, from, from + ops, clients);
    },
    async teardown() {
      counter.measured = counter.fsyncs - measured;
      await wiki.close();
      removeDir(dir);
    },
  };
}

function limit(name, ops, data, sync, blocky) {
  let h;
  let dir;
  let k = 0;
  const open = (count) => {
    dir = tempDir(`l-${k++}-`, data.root);
    h = raw.open(dir, { sync });
    h.prepare(data.ids.slice(0, count), data.texts);
  };
  const close = () => {
    h.close();
    removeDir(dir);
  };
  const note = sync ? 'limit: write()+fdatasync() per record' : 'limit: one write() per record';
  if (blocky) {
    return {
      name,
      ops,
      note,
      setup: () => open(data.ids.length),
      block(b) {
        for (let i = b * ops; i < (b + 1) * ops; i++) h.insertAt(i);
        return ops;
      },
      teardown: close,
    };
  }
  return {
    name,
    ops,
    note,
    before: () => open(ops),
    run() {
      for (let i = 0; i < ops; i++) h.insertAt(i);
      return ops;
    },
    after: close,
  };
}

async function run(cfg, ctx) {
  const { n, blockOps, groupOps, clients } = cfg;
  const maxClients = clients[clients.length - 1];
  const total = Math.max(n, (cfg.blocks + 2) * Math.max(blockOps, groupOps));
  const { ids, texts } = pages(total);
  const data = { ids, texts, root: tempDir('durability-', ctx.tmp) };
  const unsynced = [
    limit('raw append', n, data, false),
    sequential('none', n, data, { durability: 'none' }),
    sequential('batch', n, data, { durability: 'batch' }),
    sequential('always @unlocked', n, data, {
      durability: 'always',
      method: 'createPageUnlocked',
      note: 'returns before the fsync',
    }),
  ];
  const synced = [
    limit('append+fdatasync', blockOps, data, true, true),
    blocks('always', blockOps, data, { durability: 'always', waitSync: false }),
    ...clients.map((c) =>
      blocks(`batch, ${c} clients + sync()`, c === 1 ? blockOps : groupOps, data, {
        durability: 'batch',
        clients: c,
      }),
    ),
    blocks(`always @unlocked, ${maxClients} clients + sync()`, groupOps, data, {
      durability: 'always',
      method: 'createPageUnlocked',
      clients: maxClients,
    }),
    blocks(`none, ${maxClients} clients + sync()`, groupOps, data, {
      durability: 'none',
      clients: maxClients,
    }),
    blocks(`always, ${maxClients} clients + sync()`, blockOps, data, {
      durability: 'always',
      clients: maxClients,
      note: 'each call fsyncs itself: no group commit',
    }),
  ];
  try {
    const results = await compare(unsynced, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`durability: ${name} (round ${round + 1})`),
    });
    const p = await paired(synced, {
      blocks: cfg.blocks,
      onBlock: (b) => ctx.status(`durability: fsync-bound subjects, block ${b + 1}`),
    });
    Object.assign(results, p.figures);
    for (const s of synced) {
      if (!s.counter) continue;
      const fsyncs = s.counter.measured / cfg.blocks;
      results[s.name].fsyncsPerBlock = fsyncs;
      results[s.name].actionsPerFsync = fsyncs > 0 ? s.ops / fsyncs : null;
    }
    const derived = {};
    const vsLimit = (name) => blockRatio(p, name, 'append+fdatasync');
    derived['always / append+fdatasync'] = vsLimit('always').median;
    for (const c of clients) {
      derived[`batch, ${c} clients + sync() / append+fdatasync`] = vsLimit(
        `batch, ${c} clients + sync()`,
      ).median;
    }
    derived[`always @unlocked, ${maxClients} clients + sync() / append+fdatasync`] = vsLimit(
      `always @unlocked, ${maxClients} clients + sync()`,
    ).median;
    derived[`none, ${maxClients} clients + sync() / append+fdatasync`] = vsLimit(
      `none, ${maxClients} clients + sync()`,
    ).median;
    derived['none / raw append'] = results.none.median / results['raw append'].median;
    return {
      config: {
        n,
        blockOps,
        groupOps,
        blocks: cfg.blocks,
        clients,
        repeats: cfg.repeats,
        fsyncsCounted: realFs !== undefined,
      },
      results,
      derived,
      alwaysVsLimit: vsLimit('always'),
    };
  } finally {
    removeDir(data.root);
  }
}

module.exports = {
  name: 'durability',
  title: 'Durability modes, limits and group commit (issue 3)',
  run,
};
