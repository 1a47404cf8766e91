'use strict';
/**
 * Profiles the hot path of an action: a child process runs a write loop in
 * 'none' durability under `node --cpu-prof`; this file then reads the
 * .cpuprofile, keeps the samples taken inside the loop (by timestamp), and
 * sums self time per function, per file and per part of the write path
 * (argument encoding, record encoding + checksum, append, tracking/undo,
 * proxy and dispatch, garbage collection). A second profile drops the
 * writes in the file-system seam to show the CPU work of an action alone.
 *
 *   node bench/profile.js [--quick]   prints the summary
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const INTERVAL_US = Number(process.env.PROF_INTERVAL_US || 250);
const TIMING_RUNS = 3;

function relative(url) {
  if (!url) return '';
  const file = url.startsWith('file://') ? url.slice('file://'.length) : url;
  return file.startsWith(ROOT + path.sep) ? path.relative(ROOT, file) : file;
}

/** Which part of the write path a file belongs to. */
function partOf(file, fn) {
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)' || fn === '(idle)') return 'V8/runtime (program)';
  if (file.includes('fast-json-stable-stringify')) return 'fast-json-stable-stringify';
  if (/dist\/codec\//.test(file)) return 'argument encode/decode (codec)';
  if (/^(writeBuffer|writeString|writeSync|fdatasync)$/.test(fn))
    return 'journal append (write syscall)';
  if (
    /^node:(internal\/)?buffer|^node:zlib/.test(file) ||
    /^(latin1Write|utf8Write|byteLength|crc32)$/.test(fn)
  )
    return 'record encoding + CRC';
  if (/dist\/journal\/(record|crc)/.test(file)) return 'record encoding + CRC';
  if (/dist\/journal\/|dist\/fs\//.test(file) || /^node:fs/.test(file) || fn === 'writeSync')
    return 'journal writer + fs seam (JS)';
  if (/dist\/isolation\//.test(file)) return 'tracking proxies + undo log (isolation)';
  if (/dist\/clock\//.test(file)) return 'clock';
  if (/dist\/system\//.test(file)) return 'proxy + action dispatch (system)';
  if (/bench\//.test(file)) return 'benchmark loop + domain method';
  if (/node_modules\/luxon/.test(file)) return 'luxon';
  if (file === '') return 'native / builtins (unattributed)';
  return 'other';
}

/** Summarises a .cpuprofile for the samples whose time lies in [t0, t1] (µs, monotonic). */
function summarize(profile, t0, t1, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < t0 || t > t1) continue;
    const id = profile.samples[i];
    counts.set(id, (counts.get(id) || 0) + 1);
    total++;
  }
  const fns = new Map();
  const files = new Map();
  const parts = new Map();
  for (const [id, count] of counts) {
    const node = byId.get(id);
    const cf = node.callFrame;
    const file = relative(cf.url);
    const name = cf.functionName || '(anonymous)';
    const key = file ? `${name} (${file}:${cf.lineNumber + 1})` : name;
    fns.set(key, (fns.get(key) || 0) + count);
    const fileKey = file || name;
    files.set(fileKey, (files.get(fileKey) || 0) + count);
    const part = partOf(file, name);
    parts.set(part, (parts.get(part) || 0) + count);
  }
  const sorted = (m, k) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, count]) => ({
        name,
        samples: count,
        percent: (100 * count) / Math.max(1, total),
      }));
  return {
    samples: total,
    topFunctions: sorted(fns, top),
    topFiles: sorted(files, top),
    parts: sorted(parts, 50),
  };
}

/** Runs one child: `mode` 'real' (real writes) or 'cpu' (writes dropped by the seam); profiled or not. */
function runChild(n, mode, profiled, tmpRoot) {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'prof-'));
  try {
    const flags = profiled
      ? ['--cpu-prof', '--cpu-prof-interval', String(INTERVAL_US), '--cpu-prof-dir', dir]
      : [];
    const out = execFileSync(
      process.execPath,
      [...flags, __filename, '--child', String(n), dir, mode],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const timing = JSON.parse(out.trim().split('\n').pop());
    const usPerAction = (timing.t1 - timing.t0) / n;
    if (!profiled) return { usPerAction };
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    return { usPerAction, ...summarize(profile, timing.t0, timing.t1) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Profiles `n` createPage actions twice: with real journal writes, and with
 * the writes dropped by the file-system seam ('cpu': only the CPU work of an
 * action). The sampling profiler over-attributes time to the write syscall
 * (its share swings with the sampling interval), so the split between CPU
 * and I/O is also measured without the profiler.
 */
function profileWrites(n, tmpRoot = os.tmpdir()) {
  // Alternate the two unprofiled runs and keep the fastest of each: other
  // processes on the machine only ever make a run slower.
  const realRuns = [];
  const cpuRuns = [];
  for (let k = 0; k < TIMING_RUNS; k++) {
    realRuns.push(runChild(n, 'real', false, tmpRoot).usPerAction);
    cpuRuns.push(runChild(n, 'cpu', false, tmpRoot).usPerAction);
  }
  const realUs = Math.min(...realRuns);
  const cpuUs = Math.min(...cpuRuns);
  const real = runChild(n, 'real', true, tmpRoot);
  const cpu = runChild(n, 'cpu', true, tmpRoot);
  return {
    actions: n,
    intervalUs: INTERVAL_US,
    timing: {
      usPerAction: realUs,
      usPerActionWithoutWrites: cpuUs,
      writeShare: Math.max(0, (realUs - cpuUs) / realUs),
      runs: { real: realRuns, cpu: cpuRuns },
    },
    real,
    cpu,
  };
}

function nullWrites() {
  const { realFs } = require('../dist/fs/seam');
  return { ...realFs, writeSync: (_fd, _buf, _offset, length) => length };
}

function child(n, dir, mode) {
  const { openWiki, pageId, pageText } = require('./domain');
  const ids = [];
  const texts = [];
  for (let i = 0; i < n; i++) {
    ids.push(pageId(i));
    texts.push(pageText(i));
  }
  const options = { durability: 'none' };
  if (mode === 'cpu') options.fileSystem = nullWrites();
  const wiki = openWiki(path.join(dir, 'wiki'), options);
  const warm = Math.min(20000, n);
  for (let i = 0; i < warm; i++) wiki.createPage('w' + ids[i], texts[i]);
  const t0 = Number(process.hrtime.bigint() / 1000n);
  for (let i = 0; i < n; i++) wiki.createPage(ids[i], texts[i]);
  const t1 = Number(process.hrtime.bigint() / 1000n);
  return wiki.close().then(() => process.stdout.write(JSON.stringify({ t0, t1 }) + '\n'));
}

async function run(cfg, ctx) {
  ctx.status(`profile: ${cfg.writes} writes under --cpu-prof`);
  return profileWrites(cfg.writes, ctx.tmp);
}

if (require.main === module) {
  if (process.argv[2] === '--child') {
    child(Number(process.argv[3]), process.argv[4], process.argv[5]);
  } else {
    const quick = process.argv.includes('--quick');
    const summary = profileWrites(quick ? 50000 : 300000);
    const t = summary.timing;
    console.log(
      `${summary.actions} actions: ${t.usPerAction.toFixed(2)} us/action, ${t.usPerActionWithoutWrites.toFixed(2)} without the write syscall`,
    );
    for (const mode of ['real', 'cpu']) {
      const p = summary[mode];
      console.log(`${mode}: ${p.samples} samples; parts:`);
      for (const e of p.parts) console.log(`  ${e.percent.toFixed(1).padStart(5)}%  ${e.name}`);
      console.log('top functions (self time):');
      for (const f of p.topFunctions)
        console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.name}`);
    }
  }
}

module.exports = {
  name: 'profile',
  title: 'Profile of the write path (none durability)',
  run,
  summarize,
  profileWrites,
};
