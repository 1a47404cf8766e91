'use strict';
/**
 * Scans: a `@readonly` query that loops over a list of the state
 * (`for (const p of this.pageList) if (p.by === author) out.push(p)`), one
 * author in ten, in the default isolation (where such a query runs on the
 * raw state: README, "How it works") and in 'none', and the same source
 * made to run on the read-only views (its first statement `void [].length`
 * is no pure read), which is what the default isolation cost before. Once
 * gathering the pages (views handed out), once their ids (primitives).
 * A domain of its own: the other scenarios' wiki keeps its pages in an
 * object, which a loop cannot go over.
 */
const { compare, tempDir, removeDir } = require('../harness');
const { indexLoop } = require('../loops');
const { prevalent, Page, pageId, pageText } = require('../domain');

const AUTHORS = 10;

class ShelfWiki {
  constructor() {
    this.pageList = [];
  }

  /** Action: one page by `by`. */
  add(id, text, by) {
    const page = new Page(id, text);
    page.by = by;
    this.pageList.push(page);
  }

  /** @readonly: the pages of one author (a loop over the state). */
  byAuthor(author) {
    const out = [];
    for (const p of this.pageList) if (p.by === author) out.push(p);
    return out;
  }

  /** @readonly: the same on the read-only views (the first statement is no pure read). */
  byAuthorOnViews(author) {
    void [].length;
    const out = [];
    for (const p of this.pageList) if (p.by === author) out.push(p);
    return out;
  }

  /** @readonly: the ids of one author's pages. */
  idsByAuthor(author) {
    const out = [];
    for (const p of this.pageList) if (p.by === author) out.push(p.id);
    return out;
  }

  /** @readonly: the same on the read-only views. */
  idsByAuthorOnViews(author) {
    void [].length;
    const out = [];
    for (const p of this.pageList) if (p.by === author) out.push(p.id);
    return out;
  }
}

const ctx = { kind: 'method' };
for (const name of ['byAuthor', 'byAuthorOnViews', 'idsByAuthor', 'idsByAuthorOnViews']) {
  prevalent.readonly(ShelfWiki.prototype[name], ctx);
}

async function run(cfg, ctx2) {
  const root = tempDir('scan-', ctx2.tmp);
  const systems = {};
  const open = (isolation) => {
    const wiki = prevalent.initSystem(ShelfWiki, {
      basedir: tempDir(`scan-${isolation}-`, root),
      durability: 'none',
      isolation,
      classes: [Page],
      onWarning: () => {},
    });
    for (let i = 0; i < cfg.pages; i++) wiki.add(pageId(i), pageText(i), `a${i % AUTHORS}`);
    return wiki;
  };
  const subject = (name, isolation, method) => {
    const loop = indexLoop();
    return {
      name,
      ops: cfg.scans,
      setup() {
        systems[isolation] ??= open(isolation);
      },
      run() {
        const wiki = systems[isolation];
        return loop((q) => wiki[method](`a${q % AUTHORS}`).length, cfg.scans);
      },
    };
  };
  const subjects = [
    subject('pages, readonly', 'readonly', 'byAuthor'),
    subject('pages, none', 'none', 'byAuthor'),
    subject('pages, readonly on the views', 'readonly', 'byAuthorOnViews'),
    subject('ids, readonly', 'readonly', 'idsByAuthor'),
    subject('ids, none', 'none', 'idsByAuthor'),
    subject('ids, readonly on the views', 'readonly', 'idsByAuthorOnViews'),
  ];
  try {
    const results = await compare(subjects, {
      warmup: cfg.warmup,
      repeats: cfg.repeats,
      onSample: (name, round) => ctx2.status(`scan: ${name} (round ${round + 1})`),
    });
    const rate = (name) => results[name].median;
    return {
      config: { pages: cfg.pages, scans: cfg.scans, repeats: cfg.repeats },
      results,
      derived: {
        'pages: readonly / none (rate)': rate('pages, readonly') / rate('pages, none'),
        'pages: readonly / readonly on the views (rate)':
          rate('pages, readonly') / rate('pages, readonly on the views'),
        'ids: readonly / none (rate)': rate('ids, readonly') / rate('ids, none'),
        'ids: readonly / readonly on the views (rate)':
          rate('ids, readonly') / rate('ids, readonly on the views'),
      },
    };
  } finally {
    for (const wiki of Object.values(systems)) await wiki.close();
    removeDir(root);
  }
}

module.exports = {
  name: 'scan',
  title: 'Scan: a query looping over a list of the state (one author in ten)',
  run,
};
