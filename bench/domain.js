'use strict';
/**
 * The benchmark's domain: a wiki of pages, each an id and ~200 bytes of text.
 * Plain JavaScript (no decorators): the flags are applied by calling the
 * decorators the way TypeScript's standard decorators would.
 */
const prevalent = require('../dist');

class Page {
  constructor(id, text) {
    this.id = id;
    this.text = text;
    this.rev = 0;
    this.by = null;
  }
}

class BenchWiki {
  constructor() {
    this.pages = {};
  }

  /** Action: create one page. Returns nothing, so only the journaling path is measured. */
  createPage(id, text) {
    this.pages[id] = new Page(id, text);
  }

  /** Action: change a page passed back as a view (located by its path in the state). */
  touch(page) {
    page.rev = page.rev + 1;
  }

  /** Action: the same change, by id (baseline for the cost of passing a view back). */
  touchById(id) {
    const page = this.pages[id];
    page.rev = page.rev + 1;
  }

  /** Action returning a state object: its view has no recorded path (locate must search). */
  pick(id) {
    return this.pages[id];
  }

  /** @abortOnException: changes three fields, then fails; everything is rolled back. */
  failEdit(id) {
    const page = this.pages[id];
    page.text = 'edited';
    page.rev = page.rev + 1;
    page.by = 'bench';
    throw new Error('refused');
  }

  /** @readonly: one page by id. */
  getPage(id) {
    return this.pages[id];
  }

  /** @readonly: many pages by id (a query returning many objects). */
  getPages(ids) {
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i]]);
    return out;
  }

  /** @readonly: how many pages there are (checks an open outside its timed part). */
  pageCount() {
    return Object.keys(this.pages).length;
  }
}

/** @unlocked variant of createPage (durability 'always' returns before the fsync). */
class UnlockedWiki extends BenchWiki {
  createPageUnlocked(id, text) {
    this.pages[id] = new Page(id, text);
  }
}

const ctx = { kind: 'method' };
prevalent.readonly(BenchWiki.prototype.getPage, ctx);
prevalent.readonly(BenchWiki.prototype.getPages, ctx);
prevalent.readonly(BenchWiki.prototype.pageCount, ctx);
prevalent.abortOnException(BenchWiki.prototype.failEdit, ctx);
prevalent.unlocked(UnlockedWiki.prototype.createPageUnlocked, ctx);

/** Opens (or restores) a BenchWiki system in `dir`. */
function openWiki(dir, options = {}, Domain = BenchWiki) {
  return prevalent.initSystem(Domain, {
    basedir: dir,
    classes: [Page],
    onWarning: () => {},
    ...options,
  });
}

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco ' +
  'laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in ' +
  'voluptate velit esse cillum dolore eu fugiat nulla pariatur.';

/** The id of page number i. */
function pageId(i) {
  return 'p' + i;
}

/** ~200 bytes of text for page i, as a flat (sequential) string like one read from disk. */
function pageText(i) {
  const off = i % 97;
  const s = `#${i} ` + LOREM.slice(off, off + 192);
  return Buffer.from(s, 'latin1').toString('latin1');
}

module.exports = { prevalent, Page, BenchWiki, UnlockedWiki, openWiki, pageId, pageText };
