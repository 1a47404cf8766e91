'use strict';
/**
 * The floor of any system object that is a Proxy (issue #8 names it: "a
 * method call through a bare ES Proxy"): the same `getPage` of the domain
 * class, on a plain BenchWiki holding the pages, called through a Proxy whose
 * get trap returns one cached function. No persistence, no isolation, no
 * checks: what prevalent's 'none' read costs at the least.
 */
const { BenchWiki, Page } = require('../domain');

/** A bare Proxy over a BenchWiki holding pages `ids[i]` with `texts[i]`. */
function load(ids, texts) {
  const root = new BenchWiki();
  for (let i = 0; i < ids.length; i++) root.pages[ids[i]] = new Page(ids[i], texts[i]);
  const getPage = BenchWiki.prototype.getPage;
  const call = function () {
    return Reflect.apply(getPage, root, arguments);
  };
  const proxy = new Proxy({}, { get: (_target, key) => (key === 'getPage' ? call : undefined) });
  return {
    name: 'bare Proxy',
    async: false,
    get: (id) => proxy.getPage(id),
    close: () => {},
  };
}

module.exports = { name: 'bare Proxy', load };
