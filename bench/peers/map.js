'use strict';
/** The in-memory limit: a plain Map from id to page object, no persistence at all. */
const { Page } = require('../domain');

function open() {
  const map = new Map();
  return {
    name: 'Map',
    async: false,
    map,
    insert: (id, text) => void map.set(id, new Page(id, text)),
    get: (id) => map.get(id),
    close: () => {},
  };
}

/** A Map holding pages `ids[i]` with `texts[i]`. */
function load(ids, texts) {
  const h = open();
  for (let i = 0; i < ids.length; i++) h.map.set(ids[i], new Page(ids[i], texts[i]));
  return h;
}

module.exports = { name: 'Map', open, load };
