'use strict';
/**
 * Durability figures (issue 3): actions per second in each durability mode
 * next to the machine's limits measured in the same run (plain appends;
 * append + fdatasync per record), `@unlocked` in 'always' mode, and group
 * commit: K concurrent clients each doing `action(); await sync()`, whose
 * acknowledged-durable rate should be far above one fdatasync per action.
 * fdatasync calls are counted through the file-system seam.
 */
const { compare, tempDir, removeDir } = require('../harness');
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

/**
 * A subject: `clients` concurrent callers share `ops` actions on a fresh
 * system with `durability`; `method` is the action; with `waitSync` each call
 * is followed by `await sync()` (acknowledged only once durable).
 */
function subject(
  name,
  ops,
  data,
  { durability, method = 'createPage', clients = 1, waitSync = false, note },
) {
  const counter = { fsyncs: 0 };
  let wiki;
  let dir;
  let k = 0;
  let fsyncsAtStart = 0;
  const perSample = [];
  return {
    name,
    ops,
    note,
    counter,
    perSample,
    before() {
      dir = tempDir(`d-${k++}-`, data.root);
      wiki = openWiki(dir, { durability, fileSystem: countingFs(counter) }, UnlockedWiki);
      fsyncsAtStart = counter.fsyncs;
    },
    run() {
      const { ids, texts } = data;
      if (!waitSync) {
        for (let i = 0; i < ops; i++) wiki[method](ids[i], texts[i]);
        return ops;
      }
      const per = Math.ceil(ops / clients);
      const client = async (c) => {
        const end = Math.min(ops, (c + 1) * per);
        for (let i = c * per; i < end; i++) {
          wiki[method](ids[i], texts[i]);
          await wiki.sync();
        }
      };
      return Promise.all(Array.from({ length: clients }, (_, c) => client(c))).then(() => ops);
    },
    async after() {
      perSample.push(counter.fsyncs - fsyncsAtStart);
      await wiki.close();
      removeDir(dir);
    },
  };
}

function limit(name, ops, data, sync) {
  let h;
  let dir;
  let k = 0;
  return {
    name,
    ops,
    note: sync ? 'limit: write()+fdatasync() per record' : 'limit: one write() per record',
    before() {
      dir = tempDir(`l-${k++}-`, data.root);
      h = raw.open(dir, { sync });
      h.prepare(data.ids.slice(0, ops), data.texts);
    },
    run() {
      for (let i = 0; i < ops; i++) h.insertAt(i);
      return ops;
    },
    after() {
      h.close();
      removeDir(dir);
    },
  };
}

async function run(cfg, ctx) {
  const { n, nSync, groupOps, clients } = cfg;
  const { ids, texts } = pages(Math.max(n, nSync, groupOps));
  const data = { ids, texts, root: tempDir('durability-', ctx.tmp) };
  const maxClients = clients[clients.length - 1];
  const subjects = [
    limit('raw append', n, data, false),
    limit('append+fdatasync', nSync, data, true),
    subject('none', n, data, { durability: 'none' }),
    subject('batch', n, data, { durability: 'batch' }),
    subject('always', nSync, data, { durability: 'always' }),
    subject('always @unlocked', n, data, {
      durability: 'always',
      method: 'createPageUnlocked',
      note: 'returns before the fsync',
    }),
  ];
  for (const c of clients) {
    subjects.push(
      subject(`batch, ${c} clients + sync()`, groupOps, data, {
        durability: 'batch',
        clients: c,
        waitSync: true,
      }),
    );
  }
  subjects.push(
    subject(`always @unlocked, ${maxClients} clients + sync()`, groupOps, data, {
      durability: 'always',
      method: 'createPageUnlocked',
      clients: maxClients,
      waitSync: true,
    }),
    subject(`none, ${maxClients} clients + sync()`, groupOps, data, {
      durability: 'none',
      clients: maxClients,
      waitSync: true,
    }),
    subject(`always, ${maxClients} clients + sync()`, Math.min(groupOps, nSync), data, {
      durability: 'always',
      clients: maxClients,
      waitSync: true,
      note: 'each call fsyncs itself: no group commit',
    }),
  );
  try {
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`durability: ${name} (round ${round + 1})`),
    });
    for (const s of subjects) {
      if (!s.perSample) continue;
      const samples = s.perSample.slice(cfg.warmup);
      const fsyncs = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
      results[s.name].fsyncsPerSample = fsyncs;
      results[s.name].actionsPerFsync = fsyncs > 0 ? s.ops / fsyncs : null;
    }
    const fsyncRate = results['append+fdatasync'].median;
    const derived = {};
    for (const c of clients)
      derived[`batch ${c} clients / fdatasync limit`] =
        results[`batch, ${c} clients + sync()`].median / fsyncRate;
    derived['always / fdatasync limit'] = results.always.median / fsyncRate;
    derived['none / raw append'] = results.none.median / results['raw append'].median;
    return {
      config: {
        n,
        nSync,
        groupOps,
        clients,
        repeats: cfg.repeats,
        fsyncsCounted: realFs !== undefined,
      },
      results,
      derived,
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
