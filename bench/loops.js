'use strict';
/**
 * Timed loops. Each subject gets its own compiled copy of a loop (new
 * Function), so V8's type feedback at the call site stays monomorphic for
 * every system and no system pays for another one's call shapes.
 */

const READ_SYNC = `
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    if (get(keys[i]) !== undefined) hits++;
  }
  return hits;`;

const READ_ASYNC = `
  return (async () => {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) {
      const r = await get(keys[i]);
      if (r !== undefined && r !== null) hits++;
    }
    return hits;
  })();`;

/** A fresh loop `(get, keys) => hits` calling `get(key)` for every key (awaiting when `async`). */
function readLoop(async = false) {
  return new Function('get', 'keys', async ? READ_ASYNC : READ_SYNC);
}

/** A fresh loop `(fn, n) => last` calling `fn(i)` for i in [0, n). */
function indexLoop() {
  return new Function(
    'fn',
    'n',
    `
  let last;
  for (let i = 0; i < n; i++) last = fn(i);
  return last;`,
  );
}

module.exports = { readLoop, indexLoop };
