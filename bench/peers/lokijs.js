'use strict';
/** LokiJS: an in-memory collection with a unique index on id, saved as one JSON file. */
const path = require('node:path');
const fs = require('node:fs');
const Loki = require('lokijs');

function save(db) {
  return new Promise((resolve, reject) =>
    db.saveDatabase((err) => (err ? reject(err) : resolve())),
  );
}

function handle(db, coll, saveEach) {
  return {
    name: saveEach ? 'LokiJS insert+save' : 'LokiJS insert',
    async: saveEach,
    db,
    coll,
    insert: saveEach
      ? (id, text) => {
          coll.insert({ id, text });
          return save(db);
        }
      : (id, text) => coll.insert({ id, text }),
    get: (id) => coll.by('id', id),
    close: () => new Promise((resolve) => db.close(() => resolve())),
  };
}

/** A fresh database in `dir`; `saveEach` saves the whole file after every insert. */
function open(dir, { saveEach = false } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const db = new Loki(path.join(dir, 'loki.db'), { autosave: false });
  const coll = db.addCollection('pages', { unique: ['id'] });
  return handle(db, coll, saveEach);
}

/** An in-memory database holding the pages (for reads). */
function loadPages(ids, texts) {
  const db = new Loki('mem.db', { autosave: false });
  const coll = db.addCollection('pages', { unique: ['id'] });
  for (let i = 0; i < ids.length; i++) coll.insert({ id: ids[i], text: texts[i] });
  return handle(db, coll, false);
}

/** Writes a saved database holding the pages. */
async function writeFile(dir, ids, texts) {
  const h = open(dir);
  for (let i = 0; i < ids.length; i++) h.coll.insert({ id: ids[i], text: texts[i] });
  await save(h.db);
}

/** Loads the saved database (LokiJS's open). Returns the number of pages. */
function load(dir) {
  const db = new Loki(path.join(dir, 'loki.db'), { autosave: false });
  return new Promise((resolve, reject) =>
    db.loadDatabase({}, (err) => (err ? reject(err) : resolve(db.getCollection('pages').count()))),
  );
}

module.exports = { name: 'lokijs', open, loadPages, writeFile, load };
