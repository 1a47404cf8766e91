'use strict';
/**
 * lowdb 7 (ESM only, loaded with import()): the whole state is one JSON
 * file, rewritten on every write.
 */
const path = require('node:path');
const fs = require('node:fs');

let modules;
async function lowdb() {
  modules ??= await import('lowdb/node');
  return modules;
}

/** Opens (creating when absent) `dir/db.json`; `insert` is update + write per call. */
async function open(dir) {
  const { JSONFilePreset } = await lowdb();
  fs.mkdirSync(dir, { recursive: true });
  const db = await JSONFilePreset(path.join(dir, 'db.json'), { pages: {} });
  return {
    name: 'lowdb',
    async: true,
    db,
    insert: (id, text) =>
      db.update((data) => {
        data.pages[id] = { id, text };
      }),
    get: (id) => db.data.pages[id],
    close: async () => {},
  };
}

/** Writes a lowdb file holding the pages (the same JSON lowdb itself writes). */
function writeFile(dir, ids, texts) {
  fs.mkdirSync(dir, { recursive: true });
  const pages = {};
  for (let i = 0; i < ids.length; i++) pages[ids[i]] = { id: ids[i], text: texts[i] };
  fs.writeFileSync(path.join(dir, 'db.json'), JSON.stringify({ pages }, null, 2));
}

/** Reads the file into memory: lowdb's open. Returns the number of pages. */
async function load(dir) {
  const { JSONFilePreset } = await lowdb();
  const db = await JSONFilePreset(path.join(dir, 'db.json'), { pages: {} });
  return Object.keys(db.data.pages).length;
}

module.exports = { name: 'lowdb', open, writeFile, load };
