'use strict';
/**
 * Runs every benchmark scenario on the compiled dist/ build and writes
 * bench/results/latest.json and bench/RESULTS.md.
 *
 *   node bench/run.js            full run (minutes)
 *   node bench/run.js --quick    the same scenarios at small sizes (under a minute)
 *   node bench/run.js --only write,read   a subset (merged into latest.json)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const { progress, tempDir, removeDir, secondsSince, nowNs, sink, settle } = require('./harness');
const { Datasets } = require('./data');
const report = require('./report');

const SCENARIOS = {
  write: require('./scenarios/write'),
  read: require('./scenarios/read'),
  durability: require('./scenarios/durability'),
  isolation: require('./scenarios/isolation'),
  scan: require('./scenarios/scan'),
  open: require('./scenarios/open'),
  snapshot: require('./scenarios/snapshot'),
  growth: require('./scenarios/growth'),
  memory: require('./scenarios/memory'),
  profile: require('./profile'),
};

const QUICK = {
  write: { n: 5000, nSlow: 200, nNedb: 1000, blocks: 6, blockOps: 20, repeats: 3, warmup: 1 },
  read: {
    pages: 10000,
    lookups: 100000,
    cloneLookups: 10000,
    slowLookups: 5000,
    repeats: 3,
    warmup: 1,
  },
  durability: {
    n: 3000,
    blocks: 6,
    blockOps: 20,
    groupOps: 200,
    clients: [1, 16, 64],
    repeats: 3,
    warmup: 1,
  },
  isolation: {
    pages: 10000,
    lookups: 50000,
    cloneLookups: 10000,
    many: 1000,
    manyQueries: 30,
    cloneManyQueries: 3,
    sizes: [1000, 10000],
    passes: 1000,
    searches: 3,
    rollbacks: 1000,
    repeats: 3,
    warmup: 1,
  },
  scan: { pages: 10000, scans: 100, repeats: 3, warmup: 1 },
  open: { pages: 5000, repeats: 2, warmup: 0 },
  snapshot: { pages: 10000, repeats: 3, warmup: 1 },
  growth: { sizes: [1000, 4000, 10000], writes: 3000, lookups: 50000, repeats: 2, warmup: 1 },
  memory: { pages: 10000 },
  profile: { writes: 10000 },
};

const FULL = {
  write: { n: 100000, nSlow: 1000, nNedb: 20000, blocks: 30, blockOps: 100, repeats: 5, warmup: 1 },
  read: {
    pages: 100000,
    lookups: 1000000,
    cloneLookups: 200000,
    slowLookups: 100000,
    repeats: 5,
    warmup: 1,
  },
  durability: {
    n: 100000,
    blocks: 30,
    blockOps: 50,
    groupOps: 1000,
    clients: [1, 16, 128],
    repeats: 5,
    warmup: 1,
  },
  isolation: {
    pages: 100000,
    lookups: 1000000,
    cloneLookups: 100000,
    many: 1000,
    manyQueries: 500,
    cloneManyQueries: 20,
    sizes: [10000, 1000000],
    passes: 20000,
    searches: 5,
    rollbacks: 20000,
    repeats: 3,
    warmup: 1,
  },
  scan: { pages: 100000, scans: 50, repeats: 5, warmup: 1 },
  open: { pages: 1000000, repeats: 3, warmup: 0 },
  snapshot: { pages: 1000000, repeats: 3, warmup: 0 },
  growth: {
    sizes: [10000, 100000, 1000000],
    writes: 20000,
    lookups: 500000,
    repeats: 3,
    warmup: 1,
  },
  memory: { pages: 1000000 },
  profile: { writes: 300000 },
};

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown',
    totalMemoryBytes: os.totalmem(),
    freeMemoryBytesAtStart: os.freemem(),
    loadAverageAtStart: os.loadavg(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
    tmpdir: os.tmpdir(),
  };
}

const USAGE = `usage: node bench/run.js [--quick] [--only <scenario>[,<scenario>...]]
scenarios: ${Object.keys(SCENARIOS).join(', ')}`;

/**
 * The command line, checked before anything runs: an unknown flag or
 * scenario name would otherwise start a full run of several minutes and
 * overwrite the results.
 */
function parseArgs(args) {
  let quick = false;
  let only;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const list = arg === '--only' ? args[++i] : arg.slice('--only='.length);
      if (!list) return { error: '--only needs a list of scenarios' };
      only = list.split(',');
      const unknown = only.filter((n) => !(n in SCENARIOS));
      if (unknown.length > 0) return { error: `unknown scenario ${unknown.join(', ')}` };
    } else if (arg === '--help' || arg === '-h') return { help: true };
    else return { error: `unknown argument ${arg}` };
  }
  return { quick, only };
}

async function main() {
  const parsed = parseArgs(process.argv.slice(2));
  if (parsed.help || parsed.error) {
    if (parsed.error) console.error(parsed.error);
    console.error(USAGE);
    process.exitCode = parsed.error ? 2 : 0;
    return;
  }
  const { quick, only } = parsed;
  const config = quick ? QUICK : FULL;
  const tmp = tempDir('prevalent-bench-');
  const datasets = new Datasets(path.join(tmp, 'data'));
  fs.mkdirSync(datasets.root, { recursive: true });
  const results = {};
  const ctx = { tmp, datasets, quick, results, status: (m) => progress.status(m) };
  const started = nowNs();
  const json = {
    machine: machine(),
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    config,
    scenarios: results,
    profile: undefined,
    durations: {},
  };
  const names = Object.keys(SCENARIOS).filter((n) => !only || only.includes(n));
  let k = 0;
  try {
    for (const name of names) {
      const scenario = SCENARIOS[name];
      await settle();
      const t = nowNs();
      k++;
      try {
        const r = await scenario.run(config[name], ctx);
        if (name === 'profile') json.profile = r;
        else results[name] = { title: scenario.title, ...r };
      } catch (err) {
        const failure = {
          title: scenario.title,
          error: err && err.stack ? err.stack.split('\n').slice(0, 4).join(' | ') : String(err),
        };
        if (name === 'profile') json.profile = failure;
        else results[name] = failure;
        console.error(`scenario ${name} failed: ${err && err.stack ? err.stack : err}`);
      }
      json.durations[name] = secondsSince(t);
      progress.line(`[${k}/${names.length}] ${name} done in ${json.durations[name].toFixed(1)} s`);
    }
  } finally {
    json.datasetBuildSeconds = datasets.buildSeconds;
    datasets.remove();
    removeDir(tmp);
  }
  json.totalSeconds = secondsSince(started);
  json.sink = { count: sink.count, hash: sink.hash };
  fs.mkdirSync(report.RESULTS_DIR, { recursive: true });
  let out = json;
  if (only) {
    // A partial run updates the scenarios it ran in the existing results.
    try {
      const old = JSON.parse(fs.readFileSync(report.LATEST, 'utf8'));
      if (old.mode === json.mode) {
        out = {
          ...old,
          ...json,
          config: { ...old.config },
          scenarios: { ...old.scenarios, ...results },
          durations: { ...old.durations, ...json.durations },
        };
        if (!json.profile) out.profile = old.profile;
        for (const n of names) out.config[n] = config[n];
        out.date = old.date;
        out.totalSeconds = Object.values(out.durations).reduce((a, b) => a + b, 0);
        // The machine line stays the full run's; each partial run says where it ran.
        out.machine = old.machine;
        out.partialRuns = [
          ...(old.partialRuns || []),
          { date: json.date, only: names, cpuModel: json.machine.cpuModel, node: json.node },
        ];
      }
    } catch {
      /* no previous results */
    }
  }
  fs.writeFileSync(report.LATEST, JSON.stringify(out, null, 2) + '\n');
  await report.writeMarkdown();
  console.log(report.text(out));
  console.log(
    `\nwrote ${path.relative(process.cwd(), report.LATEST)} and ${path.relative(process.cwd(), report.MARKDOWN)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
