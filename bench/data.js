'use strict';
/** The benchmark's data: the same page ids and texts for every system, and shared data directories. */
const path = require('node:path');
const fs = require('node:fs');
const { pageId, pageText, openWiki } = require('./domain');
const { copyDir, secondsSince, nowNs } = require('./harness');

/** Ids and texts of pages [from, to). */
function pages(to, from = 0) {
  const ids = new Array(to - from);
  const texts = new Array(to - from);
  for (let i = from; i < to; i++) {
    ids[i - from] = pageId(i);
    texts[i - from] = pageText(i);
  }
  return { ids, texts };
}

/** Writes pages [from, to) into the system in `dir` as actions ('none' durability). */
async function fillWiki(dir, from, to, options = {}) {
  const wiki = openWiki(dir, { durability: 'none', ...options });
  for (let i = from; i < to; i++) wiki.createPage(pageId(i), pageText(i));
  await wiki.close();
}

/**
 * Data directories built once per run and shared by the scenarios:
 * `journal(n)` holds n pages as snapshot 0 plus a journal of n actions;
 * `snapshot(n)` the same state as a snapshot (and an empty journal).
 */
class Datasets {
  constructor(root) {
    this.root = root;
    this.journals = new Map();
    this.snapshots = new Map();
    this.buildSeconds = {};
  }

  async journal(n) {
    let dir = this.journals.get(n);
    if (dir !== undefined) return dir;
    dir = path.join(this.root, `journal-${n}`);
    const start = nowNs();
    await fillWiki(dir, 0, n);
    this.buildSeconds[`journal-${n}`] = secondsSince(start);
    this.journals.set(n, dir);
    return dir;
  }

  async snapshot(n) {
    let dir = this.snapshots.get(n);
    if (dir !== undefined) return dir;
    const from = await this.journal(n);
    dir = path.join(this.root, `snapshot-${n}`);
    copyDir(from, dir);
    const wiki = openWiki(dir, { durability: 'none' });
    wiki.takeSnapshot();
    await wiki.close();
    this.snapshots.set(n, dir);
    return dir;
  }

  /** A private copy of a shared directory (for a system that will change it). */
  copy(from, name) {
    const to = path.join(this.root, `${name}-${process.hrtime.bigint()}`);
    copyDir(from, to);
    return to;
  }

  /** Removes a private copy made by {@link copy}. */
  release(dir) {
    if (dir !== undefined && dir.startsWith(this.root))
      fs.rmSync(dir, { recursive: true, force: true });
  }

  remove() {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

module.exports = { pages, fillWiki, Datasets };
