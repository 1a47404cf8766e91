'use strict';
/** prevalent itself, behind the same adapter interface as the peers. */
const { openWiki, pageId } = require('../domain');

/**
 * Opens a BenchWiki system in `dir` with `options` (durability, isolation).
 * `insert` creates a page through a journaled action, `get` reads one through
 * the `@readonly` query.
 */
function open(dir, options = {}) {
  const wiki = openWiki(dir, options);
  return {
    name: 'prevalent',
    async: false,
    wiki,
    insert: (id, text) => wiki.createPage(id, text),
    get: (id) => wiki.getPage(id),
    close: () => wiki.close(),
  };
}

/** Fills `dir` with `n` pages written as actions ('none' durability: only the data matters here). */
async function fill(dir, ids, texts, from = 0, to = ids.length) {
  const wiki = openWiki(dir, { durability: 'none' });
  for (let i = from; i < to; i++) wiki.createPage(ids[i], texts[i]);
  await wiki.close();
}

module.exports = { name: 'prevalent', open, fill, pageId };
