'use strict';
/**
 * Shared timing harness: warm-up, repeats, medians and spread, and a sink
 * that consumes every result so nothing can be optimised away.
 *
 * A subject is `{ name, ops, setup?, before?, run, after?, teardown?, selfTimed? }`:
 * `setup`/`teardown` run once (untimed), `before`/`after` around every sample
 * (untimed), and `run()` is the timed part; it performs `ops` operations and
 * returns a value (or a promise of one) that goes into the sink. A `selfTimed`
 * subject's `run()` measures itself and resolves to `{ seconds, value }`.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

/** Everything measured is consumed here. */
const sink = { count: 0, hash: 0 };

/**
 * Consumes a value: the optimiser cannot prove it unused. Only a hash is kept,
 * never the value: a kept view or system would hold a whole state alive and
 * slow every later scenario's garbage collections.
 */
function consume(value) {
  sink.count++;
  if (typeof value === 'number') sink.hash = (sink.hash + value) | 0;
  else if (typeof value === 'string') sink.hash = (sink.hash + value.length) | 0;
  else if (value !== undefined && value !== null) sink.hash = (sink.hash + 1) | 0;
}

function nowNs() {
  return process.hrtime.bigint();
}

function secondsSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * One sample of a self-timed subject (its `run` measures itself, e.g. in a
 * child process): `fn` resolves to `{ seconds, value }`.
 */
async function selfTimed(fn) {
  const { seconds, value } = await fn();
  consume(value);
  return seconds;
}

/** Times one call of `fn` (awaiting it when it returns a promise); returns seconds and the result. */
async function timeOnce(fn) {
  const start = nowNs();
  let result = fn();
  if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
    result = await result;
  }
  const seconds = secondsSince(start);
  consume(result);
  return seconds;
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median, quartiles, min and max of a list of numbers. */
function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    n: sorted.length,
  };
}

/**
 * The figure of one subject: the rate (ops/s) over its samples, with the
 * spread, and the median time per operation.
 */
function figureOf(subject, seconds) {
  const ops = subject.ops;
  const rate = summarize(seconds.map((s) => ops / s));
  const time = summarize(seconds);
  return {
    name: subject.name,
    ops,
    unit: 'ops/s',
    median: rate.median,
    q1: rate.q1,
    q3: rate.q3,
    min: rate.min,
    max: rate.max,
    n: rate.n,
    usPerOp: (time.median / ops) * 1e6,
    secondsMedian: time.median,
    ...(subject.note ? { note: subject.note } : {}),
  };
}

/**
 * Measures several subjects side by side: after `warmup` unmeasured rounds,
 * `repeats` rounds each run every subject once, in turn, so that background
 * noise (other processes on the machine) hits every subject alike. Returns
 * a figure per subject name.
 */
async function compare(subjects, { warmup = 1, repeats = 5, onSample } = {}) {
  const samples = new Map(subjects.map((s) => [s.name, []]));
  for (const s of subjects) if (s.setup) await s.setup();
  try {
    for (let round = 0; round < warmup + repeats; round++) {
      for (const s of subjects) {
        if (s.repeats !== undefined && round >= warmup + s.repeats) continue;
        if (s.before) await s.before(round);
        await settle();
        const sample = () => s.run(round);
        const seconds = s.selfTimed ? await selfTimed(sample) : await timeOnce(sample);
        if (s.after) await s.after(round);
        if (round >= warmup) samples.get(s.name).push(seconds);
        if (onSample) onSample(s.name, round);
      }
    }
  } finally {
    for (const s of subjects) if (s.teardown) await s.teardown();
  }
  const out = {};
  for (const s of subjects) out[s.name] = figureOf(s, samples.get(s.name));
  return out;
}

/**
 * Measures subjects that the machine's state affects strongly and quickly
 * (fsync-bound ones: the disk is shared with other processes) in short
 * alternating blocks: block b of every subject runs before block b + 1 of
 * any, with the order rotated each block, so a slow moment of the disk hits
 * all of them. Each subject is `{ name, ops, setup?, block(b), teardown? }`
 * where `block(b)` performs `ops` operations (block b of the run).
 *
 * Returns a figure per subject (over its blocks) and, for every subject, the
 * median over the blocks of its rate relative to the first subject's rate in
 * the same block (`ratios[name]`), with its spread.
 */
async function paired(subjects, { blocks = 20, warmup = 2, onBlock } = {}) {
  const seconds = subjects.map(() => []);
  for (const s of subjects) if (s.setup) await s.setup();
  try {
    for (let b = 0; b < warmup + blocks; b++) {
      for (let k = 0; k < subjects.length; k++) {
        const index = (b + k) % subjects.length;
        const s = subjects[index];
        const t = await timeOnce(() => s.block(b));
        if (b >= warmup) seconds[index].push(t);
      }
      if (onBlock) onBlock(b);
    }
  } finally {
    for (const s of subjects) if (s.teardown) await s.teardown();
  }
  const figures = {};
  const ratios = {};
  const ref = seconds[0];
  subjects.forEach((s, k) => {
    figures[s.name] = { ...figureOf(s, seconds[k]), paired: true };
    const perBlock = seconds[k].map((t, b) => s.ops / t / (subjects[0].ops / ref[b]));
    ratios[s.name] = summarize(perBlock);
  });
  const blockSeconds = {};
  subjects.forEach((s, k) => (blockSeconds[s.name] = { ops: s.ops, seconds: seconds[k] }));
  return { figures, ratios, reference: subjects[0].name, blockSeconds };
}

/** From a {@link paired} result: the median over blocks of rate(a) / rate(b), with its spread. */
function blockRatio(result, a, b) {
  const A = result.blockSeconds[a];
  const B = result.blockSeconds[b];
  return summarize(A.seconds.map((t, i) => A.ops / t / (B.ops / B.seconds[i])));
}

/** Measures one subject. */
async function measure(subject, options) {
  return (await compare([subject], options))[subject.name];
}

/** A figure that is a plain value with its spread (bytes, ms, MB/s, ...). */
function valueFigure(name, values, unit, extra = {}) {
  return { name, unit, ...summarize(values), ...extra };
}

/**
 * The engine's full garbage collection: node's `gc` when run with --expose-gc,
 * otherwise the same function exposed at run time, so that samples start from a
 * settled heap whichever way the benchmark was started.
 */
const fullGc = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

/** Forces a full garbage collection (twice: the second reclaims what finalizers freed). */
function gc() {
  fullGc();
  fullGc();
}

/**
 * Lets the current job end, then collects. A `WeakRef` dereferenced during a
 * job keeps its target alive until the job ends (ECMAScript's KeepDuringJob),
 * and a benchmark whose awaits all resolve at once never ends one: a closed
 * system's state would stay in the heap and slow every later sample's GC.
 */
async function settle() {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

/** A fresh temporary directory under `root` (or the OS temp dir). */
function tempDir(prefix, root = os.tmpdir()) {
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, prefix));
}

function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Total size of the files in `dir` whose names match `re`. */
function dirBytes(dir, re = /./) {
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    if (re.test(name)) total += fs.statSync(path.join(dir, name)).size;
  }
  return total;
}

/** Copies a directory (one level of files). */
function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    if (name.endsWith('.lock') || name === 'LOCK' || name.startsWith('LOCK.')) continue;
    const src = path.join(from, name);
    if (fs.statSync(src).isFile()) fs.copyFileSync(src, path.join(to, name));
  }
}

/** Progress on a terminal only: a transient status line and one line per finished scenario. */
const progress = {
  enabled: Boolean(process.stderr.isTTY),
  status(message) {
    if (!this.enabled) return;
    const width = process.stderr.columns || 100;
    process.stderr.write('\r\x1b[K' + String(message).slice(0, width - 1));
  },
  line(message) {
    if (!this.enabled) return;
    process.stderr.write('\r\x1b[K' + message + '\n');
  },
};

/** Deterministic pseudo-random integers (so every system gets the same look-up sequence). */
function rng(seed = 12345) {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** `count` random indices below `n`. */
function randomIndices(count, n, seed) {
  const next = rng(seed);
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = next() % n;
  return out;
}

function formatNumber(x, digits = 3) {
  if (x === undefined || x === null || Number.isNaN(x)) return '-';
  const abs = Math.abs(x);
  if (abs >= 1e9) return (x / 1e9).toFixed(2) + 'G';
  if (abs >= 1e6) return (x / 1e6).toFixed(2) + 'M';
  if (abs >= 1e4) return (x / 1e3).toFixed(1) + 'k';
  if (abs >= 100) return x.toFixed(0);
  return Number(x.toPrecision(digits)).toString();
}

module.exports = {
  sink,
  consume,
  nowNs,
  secondsSince,
  timeOnce,
  summarize,
  compare,
  paired,
  blockRatio,
  measure,
  valueFigure,
  gc,
  settle,
  tempDir,
  removeDir,
  dirBytes,
  copyDir,
  progress,
  rng,
  randomIndices,
  formatNumber,
};
