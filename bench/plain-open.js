'use strict';
/**
 * Minimal loaders of the files prevalent writes, the yardstick for its opens:
 * each reads the files, cuts them into lines, `JSON.parse`s every line (V8's
 * own parser) and builds the same pages with code written for their shape.
 * Nothing is checked (no CRC, no digest, no record syntax), no action runs
 * and no class is looked up. An open near its yardstick is bound by parsing
 * and allocation, which any JavaScript loader of these bytes pays; the gap
 * to it is prevalent's own work.
 */
const fs = require('node:fs');
const path = require('node:path');
const { Page } = require('./domain');

const NEWLINE = 0x0a;

/** Calls `onLine(text)` for every line of `file` (read whole: the files are at most a few hundred MB). */
function forEachLine(file, onLine) {
  const buf = fs.readFileSync(file);
  let start = 0;
  while (start < buf.length) {
    let end = buf.indexOf(NEWLINE, start);
    if (end < 0) end = buf.length;
    if (end > start) onLine(buf.toString('utf8', start, end));
    start = end + 1;
  }
}

/** Files of `dir` whose names match `pattern`, in name order (which is sequence order). */
function filesOf(dir, pattern) {
  return fs
    .readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * The replay yardstick: every journal record parsed and its page made, as the
 * createPage action would (the snapshot at seq 0 holds an empty wiki).
 */
function minimalReplay(dir) {
  const pages = {};
  let count = 0;
  for (const file of filesOf(dir, /^journal-\d+\.jsonl$/)) {
    forEachLine(file, (line) => {
      const [id, text] = JSON.parse(line).rec.args;
      pages[id] = new Page(id, text);
      count++;
    });
  }
  return { pages, count };
}

/**
 * The snapshot load yardstick: the newest snapshot parsed line by line (header,
 * the root, the dictionary of pages, one line per page, trailer) and the
 * pages linked into the dictionary by their references.
 */
function minimalSnapshotLoad(dir) {
  const snapshots = filesOf(dir, /^snapshot-\d+\.snap$/);
  const objects = [];
  let dictionary;
  forEachLine(snapshots[snapshots.length - 1], (line) => {
    const value = JSON.parse(line);
    if (!Array.isArray(value)) return; // header or trailer
    if (value[0] === 'c' && value[1] === 'Page') {
      const page = Object.create(Page.prototype);
      for (let i = 2; i < value.length; i += 2) page[value[i]] = value[i + 1];
      objects.push(page);
    } else if (value[0] === 'o') {
      dictionary = value;
      objects.push({});
    } else {
      objects.push(undefined); // the root
    }
  });
  // An object's reference number is its line's index after the header: the root is 0, its dictionary 1.
  const pages = objects[1];
  for (let i = 1; i < dictionary.length; i += 2)
    pages[dictionary[i]] = objects[dictionary[i + 1][0]];
  return { pages, count: Object.keys(pages).length };
}

module.exports = { minimalReplay, minimalSnapshotLoad };
