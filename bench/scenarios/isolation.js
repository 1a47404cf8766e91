'use strict';
/**
 * Isolation figures (issue 9):
 * - read cost in 'readonly', 'clone' and 'none' side by side, for a query
 *   returning one object and one returning many (1000) objects;
 * - the cost of passing a view back as an argument, located by navigation
 *   (the path recorded when the view was read) and by the fallback search
 *   (a view returned by an action has no recorded path), at two state sizes;
 * - `@abortOnException` rollback of an action that changed 3 fields, at two
 *   state sizes (the whole failing call is timed: an upper bound).
 * All systems use durability 'none', so only the isolation costs differ.
 */
const { compare, randomIndices } = require('../harness');
const { pages } = require('../data');
const { readLoop, indexLoop } = require('../loops');
const { openWiki, pageId } = require('../domain');

async function queries(cfg, ctx) {
  const n = cfg.pages;
  const snap = await ctx.datasets.snapshot(n);
  const { ids } = pages(n);
  const keys = Array.from(randomIndices(cfg.lookups, n, 9), (i) => ids[i]);
  const batches = [];
  const next = randomIndices(cfg.manyQueries * cfg.many, n, 11);
  for (let q = 0; q < cfg.manyQueries; q++) {
    batches.push(Array.from(next.subarray(q * cfg.many, (q + 1) * cfg.many), (i) => ids[i]));
  }
  const systems = {};
  const dirs = {};
  const subjects = [];
  for (const isolation of ['readonly', 'clone', 'none']) {
    const one = readLoop();
    const many = indexLoop();
    const manyCount = isolation === 'clone' ? cfg.cloneManyQueries : cfg.manyQueries;
    subjects.push(
      {
        name: `one object, ${isolation}`,
        ops: isolation === 'clone' ? cfg.cloneLookups : cfg.lookups,
        setup() {
          dirs[isolation] = ctx.datasets.copy(snap, `iso-${isolation}`);
          systems[isolation] = openWiki(dirs[isolation], {
            durability: 'none',
            isolation,
          });
        },
        run() {
          const wiki = systems[isolation];
          return one(
            (id) => wiki.getPage(id),
            isolation === 'clone' ? keys.slice(0, cfg.cloneLookups) : keys,
          );
        },
      },
      {
        name: `${cfg.many} objects, ${isolation}`,
        ops: manyCount,
        run() {
          const wiki = systems[isolation];
          return many((q) => {
            const list = wiki.getPages(batches[q]);
            return list[list.length - 1].id;
          }, manyCount);
        },
        async teardown() {
          await systems[isolation].close();
          delete systems[isolation];
          ctx.datasets.release(dirs[isolation]);
        },
      },
    );
  }
  return compare(subjects, {
    warmup: cfg.warmup,
    repeats: cfg.repeats,
    onSample: (name, round) => ctx.status(`isolation: ${name} (round ${round + 1})`),
  });
}

async function atSize(cfg, ctx, n) {
  const snap = await ctx.datasets.snapshot(n);
  const dir = ctx.datasets.copy(snap, 'passback');
  const wiki = openWiki(dir, { durability: 'none' });
  const half = Math.floor(n / 2);
  const navIds = Array.from(randomIndices(cfg.passes, half, 3), (i) => pageId(i));
  // Views to pass back by navigation: read through the @readonly query (path recorded).
  const navViews = navIds.map((id) => wiki.getPage(id));
  // Views returned by an action, never navigated (their path is recorded when the action reaches them).
  const searchIds = Array.from(
    randomIndices(8 * cfg.searches * (cfg.repeats + cfg.warmup), n - half, 5),
    (i) => pageId(half + i),
  );
  let searchAt = 0;
  let searchViews = [];
  const seen = new Set();
  const loopId = indexLoop();
  const loopNav = indexLoop();
  const loopSearch = indexLoop();
  const loopFail = indexLoop();
  const failIds = navIds;
  const subjects = [
    {
      name: 'action by id (baseline)',
      ops: cfg.passes,
      run: () => loopId((i) => wiki.touchById(navIds[i]), cfg.passes),
    },
    {
      name: 'view passed back, by navigation',
      ops: cfg.passes,
      run: () => loopNav((i) => wiki.touch(navViews[i]), cfg.passes),
    },
    {
      name: 'view passed back, by search',
      ops: cfg.searches,
      before() {
        searchViews = [];
        while (searchViews.length < cfg.searches) {
          const id = searchIds[searchAt++];
          if (id === undefined) throw new Error('ran out of fresh ids for the search');
          if (seen.has(id)) continue;
          seen.add(id);
          searchViews.push(wiki.pick(id));
        }
      },
      run: () => loopSearch((i) => wiki.touch(searchViews[i]), cfg.searches),
      after() {
        searchViews = [];
      },
    },
    {
      name: 'rollback of 3 fields (@abortOnException)',
      ops: cfg.rollbacks,
      run: () =>
        loopFail((i) => {
          try {
            wiki.failEdit(failIds[i % failIds.length]);
          } catch (err) {
            return err;
          }
          throw new Error('failEdit did not throw');
        }, cfg.rollbacks),
    },
  ];
  try {
    const r = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx.status(`isolation ${n}: ${name} (round ${round + 1})`),
    });
    const page = wiki.getPage(failIds[0]);
    if (page.text === 'edited' || page.by !== null)
      throw new Error('rollback did not restore the page');
    return { pages: n, ...r };
  } finally {
    await wiki.close();
    ctx.datasets.release(dir);
  }
}

async function run(cfg, ctx) {
  const q = await queries(cfg, ctx);
  const sizes = {};
  for (const n of cfg.sizes) sizes[n] = await atSize(cfg, ctx, n);
  const last = sizes[cfg.sizes[cfg.sizes.length - 1]];
  const first = sizes[cfg.sizes[0]];
  const us = (fig) => fig.usPerOp;
  const derived = {
    'one object: readonly / none (rate)':
      q['one object, readonly'].median / q['one object, none'].median,
    'one object: readonly / clone (rate)':
      q['one object, readonly'].median / q['one object, clone'].median,
    [`${cfg.many} objects: readonly / clone (rate)`]:
      q[`${cfg.many} objects, readonly`].median / q[`${cfg.many} objects, clone`].median,
    [`${cfg.many} objects: readonly / none (rate)`]:
      q[`${cfg.many} objects, readonly`].median / q[`${cfg.many} objects, none`].median,
  };
  for (const [n, s] of Object.entries(sizes)) {
    derived[`navigation pass-back cost at ${n} (us over baseline)`] =
      us(s['view passed back, by navigation']) - us(s['action by id (baseline)']);
    derived[`search pass-back at ${n} (ms per call)`] = us(s['view passed back, by search']) / 1000;
    derived[`rollback call at ${n} (us)`] = us(s['rollback of 3 fields (@abortOnException)']);
  }
  derived['navigation call time, largest / smallest size'] =
    us(last['view passed back, by navigation']) / us(first['view passed back, by navigation']);
  derived['rollback call time, largest / smallest size'] =
    us(last['rollback of 3 fields (@abortOnException)']) /
    us(first['rollback of 3 fields (@abortOnException)']);
  return {
    config: {
      pages: cfg.pages,
      lookups: cfg.lookups,
      many: cfg.many,
      manyQueries: cfg.manyQueries,
      sizes: cfg.sizes,
      passes: cfg.passes,
      searches: cfg.searches,
      rollbacks: cfg.rollbacks,
      repeats: cfg.repeats,
    },
    queries: q,
    sizes,
    derived,
  };
}

module.exports = {
  name: 'isolation',
  title: 'Isolation: read-only views, clones, passing views back, rollback (issue 9)',
  run,
};
