'use strict';
/**
 * Renders the benchmark results: the terminal tables and bench/RESULTS.md,
 * both from bench/results/latest.json (plus bench/results/scale.json, written
 * by `npm run test:scale`, when present), and the "Targets" table that
 * checks every target of issue 8 and the figures of issues 3 and 9.
 *
 *   node bench/report.js    regenerates bench/RESULTS.md from the JSON files
 */
const fs = require('node:fs');
const path = require('node:path');
const { formatNumber: fmt } = require('./harness');

const RESULTS_DIR = path.join(__dirname, 'results');
const LATEST = path.join(RESULTS_DIR, 'latest.json');
const SCALE = path.join(RESULTS_DIR, 'scale.json');
const MARKDOWN = path.join(__dirname, 'RESULTS.md');

const x = (r) => (r === undefined || r === null || Number.isNaN(r) ? '-' : `${fmt(r)}x`);
const get = (obj, ...keys) =>
  keys.reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
const rate = (scenario, name) => get(scenario, 'results', name, 'median');
const pair = (a, b) => `${fmt(a)}/s vs ${fmt(b)}/s`;
const sizeLabel = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** The note of an open's target: its rate as a ratio to a minimal loader's in the same run (absent in older results). */
function minimalNote(ratio, rateShown) {
  if (ratio === undefined) return undefined;
  return `${x(ratio)} a minimal loader of the same files (${rateShown}: JSON.parse per line, nothing checked)`;
}

/** Every target with its measured value, threshold and verdict (pass: true, false, or null = figure only). */
function targets(json) {
  const s = json.scenarios || {};
  const out = [];
  // The issue asks that these costs not grow (open: linearly) without a number: the bars are ours.
  const OUR_GROWTH_BAR = 'threshold ours (the issue gives none)';
  const add = (issue, target, value, op, threshold, shown, note) => {
    let pass = null;
    if (op && value !== undefined && value !== null && !Number.isNaN(value)) {
      pass = op === '>=' ? value >= threshold : value <= threshold;
    }
    out.push({
      issue,
      target,
      value: value ?? null,
      op: op || null,
      threshold: threshold ?? null,
      shown: shown ?? x(value),
      pass,
      note,
    });
  };
  const w = s.write;
  if (w && w.results) {
    const none = rate(w, 'prevalent none');
    const always = rate(w, 'prevalent always');
    add(
      8,
      "Writes 'none' >= 0.5x raw append",
      none / rate(w, 'raw append'),
      '>=',
      0.5,
      undefined,
      pair(none, rate(w, 'raw append')),
    );
    add(
      8,
      "Writes 'none' >= 100x lowdb",
      none / rate(w, 'lowdb'),
      '>=',
      100,
      undefined,
      `${pair(none, rate(w, 'lowdb'))}; lowdb over its first ${w.config.nSlow} pages (its rate falls as the file grows)`,
    );
    const pr = w.pairedRatios || {};
    const vsFsync =
      get(pr, 'prevalent always / append+fdatasync', 'median') ??
      always / rate(w, 'append+fdatasync');
    const vsSqlite =
      get(pr, 'prevalent always / SQLite WAL sync=FULL', 'median') ??
      always / rate(w, 'SQLite WAL sync=FULL');
    add(
      8,
      "Writes 'always' >= 0.8x append+fdatasync",
      vsFsync,
      '>=',
      0.8,
      undefined,
      `${pair(always, rate(w, 'append+fdatasync'))}; median of per-block ratios`,
    );
    add(
      8,
      "Writes 'always' >= SQLite WAL sync=FULL",
      vsSqlite,
      '>=',
      1,
      undefined,
      `${pair(always, rate(w, 'SQLite WAL sync=FULL'))}; median of per-block ratios`,
    );
  }
  const r = s.read;
  if (r && r.results) {
    const ro = rate(r, 'prevalent readonly');
    const none = rate(r, 'prevalent none');
    const map = rate(r, 'Map.get');
    const sql = rate(r, 'SQLite prepared SELECT');
    add(
      8,
      "Reads 'readonly' >= 0.15x Map.get (aim 0.25x)",
      ro / map,
      '>=',
      0.15,
      undefined,
      pair(ro, map),
    );
    add(8, "Reads 'readonly' >= 4x SQLite (aim 8x)", ro / sql, '>=', 4, undefined, pair(ro, sql));
    const bare = rate(r, 'bare Proxy method call');
    add(
      8,
      "Reads 'none' >= 0.35x Map.get",
      none / map,
      '>=',
      0.35,
      undefined,
      bare === undefined
        ? pair(none, map)
        : `${pair(none, map)}; a bare Proxy method call (the floor of a proxied system object): ${x(bare / map)} Map.get`,
    );
    add(8, "Reads 'none' >= 10x SQLite", none / sql, '>=', 10, undefined, pair(none, sql));
  }
  const o = s.open;
  if (o && o.derived) {
    add(
      8,
      `Replay >= 300k actions/s (${sizeLabel(o.config.pages)} actions)`,
      o.derived.replayActionsPerSecond,
      '>=',
      300e3,
      `${fmt(o.derived.replayActionsPerSecond)}/s`,
      minimalNote(o.derived.replayVsMinimal, `${fmt(o.derived.replayMinimalActionsPerSecond)}/s`),
    );
    add(
      8,
      `Snapshot load >= 100 MB/s (${sizeLabel(o.config.pages)} pages)`,
      o.derived.snapshotLoadMBPerSecond,
      '>=',
      100,
      `${fmt(o.derived.snapshotLoadMBPerSecond)} MB/s`,
      minimalNote(
        o.derived.snapshotLoadVsMinimal,
        `${fmt(o.derived.snapshotLoadMinimalMBPerSecond)} MB/s`,
      ),
    );
  }
  const m = s.memory;
  if (m && m.derived) {
    add(
      8,
      `Memory <= 1.3x plain graph (${sizeLabel(m.config.pages)} pages, after writes)`,
      m.derived['prevalent / plain'],
      '<=',
      1.3,
    );
    add(
      8,
      'Memory <= 1.3x plain graph (after reading every page once)',
      m.derived['prevalent+views / plain'],
      '<=',
      1.3,
      undefined,
      'one cached read-only view per page read',
    );
    add(
      8,
      'Memory <= 1.3x plain graph (restored from a snapshot)',
      m.derived['prevalent restored / plain'],
      '<=',
      1.3,
    );
  }
  const p = json.profile;
  if (p && p.cpu) {
    const top = p.cpu.topFunctions.slice(0, 3).map((f) => f.name.split(' (')[0]);
    add(
      8,
      'Hot path of an action profiled, top entries named below',
      1,
      '>=',
      1,
      'done',
      `top self time: ${top.join(', ')}`,
    );
    const stable = [...p.cpu.parts, ...p.real.parts].find(
      (e) => e.name === 'fast-json-stable-stringify',
    );
    const share = stable ? stable.percent : 0;
    add(
      8,
      'fast-json-stable-stringify <= 10% of the write path',
      share,
      '<=',
      10,
      `${share.toFixed(1)}%`,
      stable ? undefined : 'not on the write path',
    );
  }
  const g = s.growth;
  if (g && g.derived) {
    const a = sizeLabel(g.config.sizes[0]);
    const b = sizeLabel(g.config.sizes[g.config.sizes.length - 1]);
    add(
      8,
      `Write rate does not grow with state: ${b} vs ${a} >= 0.5x`,
      g.derived.writeRateLastOverFirst,
      '>=',
      0.5,
      undefined,
      OUR_GROWTH_BAR,
    );
    add(
      8,
      `Read rate (relative to Map.get) does not grow: ${b} vs ${a} >= 0.5x`,
      g.derived.readRatioLastOverFirst,
      '>=',
      0.5,
      undefined,
      OUR_GROWTH_BAR,
    );
    add(
      8,
      `Open from journal linear: time per page ${b} vs ${a} <= 2x`,
      g.derived.openJournalPerPageLastOverFirst,
      '<=',
      2,
      undefined,
      OUR_GROWTH_BAR,
    );
    add(
      8,
      `Open from snapshot linear: time per page ${b} vs ${a} <= 2x`,
      g.derived.openSnapshotPerPageLastOverFirst,
      '<=',
      2,
      undefined,
      OUR_GROWTH_BAR,
    );
  }
  const d = s.durability;
  if (d && d.results && d.derived) {
    const lim = rate(d, 'append+fdatasync');
    const k = d.config.clients[d.config.clients.length - 1];
    const dv = (name) => d.derived[`${name} / append+fdatasync`];
    add(
      3,
      "'always' within 20% of append+fdatasync (>= 0.8x)",
      dv('always'),
      '>=',
      0.8,
      undefined,
      `${pair(rate(d, 'always'), lim)}; median of per-block ratios`,
    );
    add(
      3,
      `'batch', ${k} concurrent sync() callers far above fdatasync (>= 5x)`,
      dv(`batch, ${k} clients + sync()`),
      '>=',
      5,
      undefined,
      `${pair(rate(d, `batch, ${k} clients + sync()`), lim)}; threshold 5x is ours ("far above")`,
    );
    add(
      3,
      `@unlocked in 'always', ${k} concurrent sync() callers vs fdatasync (>= 5x)`,
      dv(`always @unlocked, ${k} clients + sync()`),
      '>=',
      5,
      undefined,
      pair(rate(d, `always @unlocked, ${k} clients + sync()`), lim),
    );
    add(
      3,
      "'none' vs raw append (figure)",
      d.derived['none / raw append'],
      null,
      null,
      undefined,
      pair(rate(d, 'none'), rate(d, 'raw append')),
    );
  }
  const i = s.isolation;
  if (i && i.derived) {
    const many = i.config.many;
    const sizes = i.config.sizes;
    const big = sizes[sizes.length - 1];
    const small = sizes[0];
    add(
      9,
      "'readonly' within 2x of 'none', one-object query (rate >= 0.5x)",
      i.derived['one object: readonly / none (rate)'],
      '>=',
      0.5,
    );
    add(
      9,
      `'readonly' far cheaper than 'clone', ${many}-object query (>= 10x)`,
      i.derived[`${many} objects: readonly / clone (rate)`],
      '>=',
      10,
      undefined,
      'threshold 10x is ours ("far cheaper")',
    );
    add(
      9,
      `View passed back by navigation: call time ${sizeLabel(big)} vs ${sizeLabel(small)} <= 2x`,
      i.derived['navigation call time, largest / smallest size'],
      '<=',
      2,
    );
    for (const n of sizes) {
      add(
        9,
        `View returned by an action, passed back (recorded path, no search) at ${sizeLabel(n)} objects (figure)`,
        i.derived[`search pass-back at ${n} (ms per call)`],
        null,
        null,
        `${fmt(i.derived[`search pass-back at ${n} (ms per call)`])} ms/call`,
      );
    }
    add(
      9,
      `@abortOnException rollback (3 fields) at ${sizeLabel(big)} objects well under 1 ms (<= 0.1 ms per failing call)`,
      i.derived[`rollback call at ${big} (us)`] / 1000,
      '<=',
      0.1,
      `${fmt(i.derived[`rollback call at ${big} (us)`])} us`,
    );
    add(
      9,
      `Rollback independent of state size: ${sizeLabel(big)} vs ${sizeLabel(small)} <= 2x`,
      i.derived['rollback call time, largest / smallest size'],
      '<=',
      2,
    );
  }
  return out;
}

function verdict(pass) {
  return pass === true ? 'PASS' : pass === false ? 'MISS' : '-';
}

/** Rows of a scenario's figures: [name, median, spread, per op, ops, note]. */
function figureRows(results) {
  return Object.values(results).map((f) => {
    if (f.ops === 1) {
      return [
        f.name,
        `${fmt(f.secondsMedian)} s`,
        `${fmt(1 / f.max)}-${fmt(1 / f.min)} s`,
        '',
        `n=${f.n}`,
        f.note || f.reused || '',
      ];
    }
    return [
      f.name,
      `${fmt(f.median)}/s`,
      `${fmt(f.min)}-${fmt(f.max)} (IQR ${fmt(f.q1)}-${fmt(f.q3)})`,
      `${fmt(f.usPerOp)} us`,
      `${fmt(f.ops)} x ${f.n}`,
      [f.note, f.actionsPerFsync ? `${fmt(f.actionsPerFsync)} actions/fsync` : '']
        .filter(Boolean)
        .join('; '),
    ];
  });
}

const FIG_HEAD = ['subject', 'median', 'spread (min-max)', 'per op', 'ops x samples', 'note'];

function mdTable(head, rows) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|');
  return [
    `| ${head.map(esc).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function textTable(head, rows) {
  const all = [head, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = head.map((_, k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r) =>
    r
      .map((c, k) => c.padEnd(widths[k]))
      .join('  ')
      .trimEnd();
  return [
    line(all[0]),
    widths.map((wd) => '-'.repeat(wd)).join('  '),
    ...all.slice(1).map(line),
  ].join('\n');
}

/** The sections of the report as [title, head, rows, extra lines]. */
function sections(json) {
  const s = json.scenarios || {};
  const out = [];
  const cfg = (sc) =>
    sc && sc.config
      ? Object.entries(sc.config)
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : v}`)
          .join(', ')
      : '';
  for (const name of ['write', 'read', 'durability', 'scan']) {
    const sc = s[name];
    if (!sc) continue;
    if (sc.error) {
      out.push([`${name}`, null, null, [`FAILED: ${sc.error}`]]);
      continue;
    }
    const extra = [cfg(sc)];
    if (sc.derived) for (const [k, v] of Object.entries(sc.derived)) extra.push(`${k}: ${x(v)}`);
    if (sc.pairedRatios) {
      for (const [k, v] of Object.entries(sc.pairedRatios)) {
        extra.push(
          `${k}: ${x(v.median)} (per-block ratios ${fmt(v.min)}-${fmt(v.max)}, IQR ${fmt(v.q1)}-${fmt(v.q3)})`,
        );
      }
    }
    if (Object.values(sc.results).some((f) => f.paired)) {
      extra.push(
        '"alternating blocks": measured in short blocks taking turns, on one store each (see the scenario file)',
      );
    }
    out.push([sc.title || name, FIG_HEAD, figureRows(sc.results), extra]);
  }
  if (s.isolation) {
    const i = s.isolation;
    if (i.error) out.push(['isolation', null, null, [`FAILED: ${i.error}`]]);
    else {
      out.push([
        `Isolation: queries (${sizeLabel(i.config.pages)} pages)`,
        FIG_HEAD,
        figureRows(i.queries),
        [cfg(i)],
      ]);
      for (const [n, r] of Object.entries(i.sizes)) {
        const { pages: _p, ...figs } = r;
        out.push([
          `Isolation: passing views back and rollback at ${sizeLabel(Number(n))} pages`,
          FIG_HEAD,
          figureRows(figs),
          [],
        ]);
      }
      out.push([
        'Isolation: derived',
        ['figure', 'value'],
        Object.entries(i.derived).map(([k, v]) => [k, fmt(v)]),
        [],
      ]);
    }
  }
  for (const name of ['open', 'snapshot']) {
    const sc = s[name];
    if (!sc) continue;
    if (sc.error) {
      out.push([name, null, null, [`FAILED: ${sc.error}`]]);
      continue;
    }
    const extra = [cfg(sc)];
    if (sc.files)
      for (const [k, v] of Object.entries(sc.files)) extra.push(`${k}: ${fmt(v / 1e6)} MB`);
    if (sc.derived) for (const [k, v] of Object.entries(sc.derived)) extra.push(`${k}: ${fmt(v)}`);
    out.push([
      sc.title || name,
      ['subject', 'median', 'spread (min-max)', '', 'samples', 'note'],
      figureRows(sc.results),
      extra,
    ]);
  }
  if (s.memory) {
    const m = s.memory;
    if (m.error) out.push(['memory', null, null, [`FAILED: ${m.error}`]]);
    else {
      const plain = m.results.plain.median;
      out.push([
        `${m.title || 'Memory'} (${sizeLabel(m.config.pages)} pages)`,
        ['variant', 'heap bytes/page', 'vs plain', 'heap total'],
        Object.values(m.results).map((f) => [
          f.name,
          fmt(f.median),
          x(f.median / plain),
          `${fmt(f.heapBytes / 1e6)} MB`,
        ]),
        [],
      ]);
    }
  }
  if (s.growth) {
    const g = s.growth;
    if (g.error) out.push(['growth', null, null, [`FAILED: ${g.error}`]]);
    else {
      const rows = Object.values(g.sizes).map((z) => [
        sizeLabel(z.pages),
        `${fmt(z.write.median)}/s`,
        `${fmt(z['read readonly'].median)}/s`,
        `${fmt(z['read Map.get'].median)}/s`,
        x(z.readRatioToMap),
        `${fmt(z['open journal'].secondsMedian)} s`,
        `${fmt(z['open snapshot'].secondsMedian)} s`,
      ]);
      const extra = [cfg(g), ...Object.entries(g.derived).map(([k, v]) => `${k}: ${x(v)}`)];
      out.push([
        g.title || 'growth',
        [
          'pages',
          'write',
          'read readonly',
          'read Map.get',
          'readonly/Map',
          'open journal',
          'open snapshot',
        ],
        rows,
        extra,
      ]);
    }
  }
  return out;
}

function profileLines(p, md) {
  if (!p) return [];
  if (p.error) return [`FAILED: ${p.error}`];
  if (!p.cpu) return ['(old profile format)'];
  const t = p.timing;
  const lines = [
    `${fmt(p.actions)} createPage actions in 'none' durability, profiled with \`node --cpu-prof\` (sampling every ${p.intervalUs} us), once with real journal writes and once with the writes dropped by the file-system seam (the CPU work of an action alone).`,
    '',
    `Without the profiler: ${fmt(t.usPerAction)} us per action, ${fmt(t.usPerActionWithoutWrites)} us without the write syscall, so the syscall is ${(100 * t.writeShare).toFixed(0)}% of an action and the CPU path ${(100 * (1 - t.writeShare)).toFixed(0)}%. (The sampling profiler over-attributes time to the syscall, \`writeBuffer\`: ${fmt(p.real.parts.find((e) => e.name.startsWith('journal append'))?.percent)}% of the samples with real writes.)`,
  ];
  const rows = (list) => list.map((e) => [`${e.percent.toFixed(1)}%`, e.name]);
  if (md) {
    lines.push(
      '',
      `CPU path (writes dropped), ${p.cpu.samples} samples, self time by part and by function:`,
      '',
      mdTable(['self', 'part of the write path'], rows(p.cpu.parts)),
      '',
      mdTable(
        ['self', 'function (file:line in dist/; the source is the same path under lib/, .ts)'],
        rows(p.cpu.topFunctions),
      ),
      '',
      `With real writes, ${p.real.samples} samples:`,
      '',
      mdTable(['self', 'part of the write path'], rows(p.real.parts)),
      '',
      mdTable(['self', 'function'], rows(p.real.topFunctions.slice(0, 10))),
    );
  } else {
    lines.push(
      'CPU path (writes dropped):',
      textTable(['self', 'part'], rows(p.cpu.parts)),
      '',
      textTable(['self', 'function'], rows(p.cpu.topFunctions.slice(0, 12))),
    );
  }
  return lines;
}

function scaleLines(scale, md) {
  if (!scale) return [];
  const rows = [];
  for (const [test, figs] of Object.entries(scale)) {
    for (const [k, v] of Object.entries(figs))
      rows.push([test, k, typeof v === 'number' ? fmt(v) : String(v)]);
  }
  return md
    ? [mdTable(['test', 'figure', 'value'], rows)]
    : [textTable(['test', 'figure', 'value'], rows)];
}

function machineLine(json) {
  const m = json.machine || {};
  return `${m.cpuModel} x ${m.cpus} cpus, ${fmt(m.totalMemoryBytes / 2 ** 30)} GiB RAM, ${m.os}; Node ${json.node}; ${json.date}; mode ${json.mode}; total ${fmt(json.totalSeconds)} s`;
}

/** Lines naming the scenarios run again since the full run (`--only`), when, and on what. */
function partialRunLines(json) {
  return (json.partialRuns || []).map(
    (r) =>
      `Run again since (--only, merged): ${r.only.join(', ')} on ${r.date}${r.cpuModel ? ` (${r.cpuModel}, Node ${r.node})` : ''}.`,
  );
}

function targetRows(json) {
  return targets(json).map((t) => [
    `#${t.issue}`,
    t.target,
    t.shown,
    verdict(t.pass),
    t.note || '',
  ]);
}

/** The plain-text report printed at the end of a run. */
function text(json) {
  const parts = [machineLine(json), ''];
  for (const [title, head, rows, extra] of sections(json)) {
    parts.push(`== ${title}`);
    if (head) parts.push(textTable(head, rows));
    for (const e of extra) if (e) parts.push(`  ${e}`);
    parts.push('');
  }
  if (json.profile)
    parts.push('== Profile of the write path', ...profileLines(json.profile, false), '');
  parts.push(
    '== Targets',
    textTable(['issue', 'target', 'measured', 'verdict', 'note'], targetRows(json)),
  );
  return parts.join('\n');
}

/** bench/RESULTS.md. */
function markdown(json, scale) {
  const ts = targets(json);
  const passed = ts.filter((t) => t.pass === true).length;
  const missed = ts.filter((t) => t.pass === false).length;
  const parts = [
    '# Benchmark results',
    '',
    '<!-- Generated by bench/report.js from bench/results/latest.json (and scale.json). Do not edit. -->',
    '',
    `Machine: ${machineLine(json)}.`,
    ...partialRunLines(json),
    '',
    'Run with `npm run bench` (full) or `npm run bench:quick`. Absolute numbers depend on the machine and on what else runs on it; the ratios below are measured in the same run, subjects interleaved round by round. Rates are medians over the samples; the spread is min-max with the interquartile range.',
    '',
    '## Targets',
    '',
    `${passed} PASS, ${missed} MISS (issue 8: benchmarks; issue 3: durability; issue 9: isolation).`,
    '',
    mdTable(['issue', 'target', 'measured', 'verdict', 'note'], targetRows(json)),
    '',
  ];
  for (const [title, head, rows, extra] of sections(json)) {
    parts.push(`## ${title}`, '');
    if (head) parts.push(mdTable(head, rows), '');
    const notes = extra.filter(Boolean);
    if (notes.length) parts.push(...notes.map((e) => `- ${e}`), '');
  }
  if (json.profile)
    parts.push('## Profile of the write path', '', ...profileLines(json.profile, true), '');
  parts.push(
    '## Notes on method',
    '',
    "- Every system writes and reads the same pages (ids `p<i>`, ~200 bytes of text) one call at a time; reads use the same random key sequence. Loops are compiled once per subject so no system pays for another one's call shapes, and every result goes into a sink.",
    "- prevalent's read subjects open a private copy of a snapshot (the state after a restart); the 'state built live' subject shows the same state built by actions in the process.",
    "- fsync-bound subjects take turns in short blocks on one store each (`paired` in harness.js), because the shared disk's fsync latency changes within a second; their ratios are medians of per-block ratios. On this VM the JS work of an action that follows a blocking fdatasync runs much slower than in a hot loop (tens of microseconds instead of a few), so the 'always' ratio depends on the CPU path of an action, not only on the syscalls.",
    '- lowdb and LokiJS insert+save rewrite their whole file per call, so their rate falls as the store grows; they are measured over the first pages of an empty store (see the write table).',
    '- Memory is measured in child processes with --expose-gc, heap after full collections minus the heap before the pages existed.',
    '- Every open (prevalent, NeDB, LokiJS, lowdb; the open and growth scenarios) runs in a fresh child process, as a restart does: the child opens a data set of the same size (at most 10k pages) to warm up, collects, then times the open until usable. Every other sample starts after a full collection, once the running job has ended (a `WeakRef` read during a job keeps its target alive until the job ends).',
    '- The "Targets" thresholds for "far above" (5x) and "far cheaper" (10x), and those of the cost-growth rows (the issue says only that no cost but open and snapshot should grow, and those linearly: we ask rates at 1M pages of at least 0.5x those at 10k, and open time per page at most 2x), are ours; the others are the issues\' own.',
    '',
  );
  if (scale) {
    parts.push('## Scale tests (`npm run test:scale`)', '', ...scaleLines(scale, true), '');
  } else {
    parts.push(
      '## Scale tests',
      '',
      'No bench/results/scale.json yet: run `npm run test:scale`.',
      '',
    );
  }
  return parts.join('\n');
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Formats markdown with the project's prettier settings (so `prettier --check .` passes), when prettier is there. */
async function pretty(md) {
  try {
    const prettier = require('prettier');
    const options = (await prettier.resolveConfig(MARKDOWN)) || {};
    return await prettier.format(md, { ...options, parser: 'markdown' });
  } catch {
    return md;
  }
}

/** Regenerates bench/RESULTS.md from the JSON files. */
async function writeMarkdown() {
  const json = readJson(LATEST);
  if (!json) throw new Error(`no ${LATEST}: run npm run bench first`);
  fs.writeFileSync(MARKDOWN, await pretty(markdown(json, readJson(SCALE))));
  return MARKDOWN;
}

if (require.main === module) {
  writeMarkdown().then(
    (file) => console.log(`wrote ${file}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

module.exports = { targets, text, markdown, writeMarkdown, LATEST, SCALE, MARKDOWN, RESULTS_DIR };
