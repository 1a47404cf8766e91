'use strict';
/** SQLite through better-sqlite3: one table, id as primary key, prepared statements. */
const path = require('node:path');
const fs = require('node:fs');
const Database = require('better-sqlite3');

/**
 * Opens `dir/pages.sqlite`. `journal`: 'wal' or 'delete' (SQLite's default);
 * `synchronous`: 'full' or 'off'. Each insert is its own transaction
 * (autocommit), like one prevalent action.
 */
function open(dir, { journal = 'wal', synchronous = 'full', file = 'pages.sqlite' } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const db = new Database(path.join(dir, file));
  db.pragma(`journal_mode = ${journal}`);
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE IF NOT EXISTS pages (id TEXT PRIMARY KEY, text TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO pages (id, text) VALUES (?, ?)');
  const sel = db.prepare('SELECT id, text FROM pages WHERE id = ?');
  return {
    name: `SQLite ${journal.toUpperCase()} sync=${synchronous.toUpperCase()}`,
    async: false,
    db,
    insert: (id, text) => ins.run(id, text),
    get: (id) => sel.get(id),
    /** Inserts many pages in one transaction (setup only). */
    bulk(ids, texts) {
      db.transaction(() => {
        for (let i = 0; i < ids.length; i++) ins.run(ids[i], texts[i]);
      })();
    },
    close: () => db.close(),
  };
}

module.exports = { name: 'sqlite', open };
