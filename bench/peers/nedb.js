'use strict';
/** @seald-io/nedb: an append-only file of JSON documents, indexed on _id in memory. */
const path = require('node:path');
const fs = require('node:fs');
const Datastore = require('@seald-io/nedb');

function handle(db) {
  return {
    name: 'NeDB',
    async: true,
    db,
    insert: (id, text) => db.insertAsync({ _id: id, text }),
    get: (id) => db.findOneAsync({ _id: id }),
    close: () => db.compactDatafileAsync().catch(() => {}),
  };
}

/** Opens (creating when absent) `dir/nedb.db`. */
async function open(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const db = new Datastore({ filename: path.join(dir, 'nedb.db') });
  await db.loadDatabaseAsync();
  return handle(db);
}

/** An in-memory datastore holding the pages (for reads). */
async function loadPages(ids, texts) {
  const db = new Datastore({ inMemoryOnly: true });
  const docs = ids.map((id, i) => ({ _id: id, text: texts[i] }));
  await db.insertAsync(docs);
  return handle(db);
}

/** Writes a datafile holding the pages, in NeDB's format (one JSON document per line). */
function writeFile(dir, ids, texts) {
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(path.join(dir, 'nedb.db'), 'w');
  let chunk = [];
  for (let i = 0; i < ids.length; i++) {
    chunk.push(JSON.stringify({ _id: ids[i], text: texts[i] }));
    if (chunk.length === 10000 || i === ids.length - 1) {
      fs.writeSync(fd, chunk.join('\n') + '\n');
      chunk = [];
    }
  }
  fs.closeSync(fd);
}

/** Loads the datafile (NeDB's open, which also rewrites it compacted). Returns the count. */
async function load(dir) {
  const db = new Datastore({ filename: path.join(dir, 'nedb.db') });
  await db.loadDatabaseAsync();
  return db.getAllData().length;
}

module.exports = { name: 'nedb', open, loadPages, writeFile, load };
