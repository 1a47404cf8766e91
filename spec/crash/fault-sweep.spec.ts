// Fail the Nth file-system call, for every N. A scripted workload -- a new
// directory opened; actions on fields, a Map, an array and a Date, @unlocked
// ones too; sync(); snapshots with journal and snapshot pruning; journal
// rotations (journalMaxBytes 600); a backup (takeSnapshot({ into })); close;
// then an open of the same directory (a restore), more actions, a snapshot,
// close -- is first run through a counting seam (support/counting-fs.ts) to
// learn its T calls, then once per N with call N failing: EIO at any call;
// at a write also ENOSPC, a short write, and a torn one (half written, then
// ENOSPC); and two disks that stay bad from call N on ('dead': every call
// fails, 'full': every write). For 'always', 'batch' and 'none', every run
// checks what docs/DURABILITY.md promises:
//
// - every error a call of the system throws is a PrevalenceError with the
//   code the docs give for that failure, never a raw Node error nor a
//   TypeError (but where the docs let an open pass an OS error on: RAW_AT_OPEN);
// - an action that throws leaves no trace in memory (in 'always' also when
//   its record was written and its fdatasync failed: then its record is cut
//   off, and the reopen must not have it), reads keep working and show
//   exactly the acknowledged actions, and after a JOURNAL_WRITE_FAILED every
//   further action is refused the same way until the reopen (takeSnapshot()
//   still works); after SNAPSHOT_WRITE_FAILED actions go on;
// - close() settles (no hang), rejecting with a PrevalenceError if at all;
// - reopened on the real file system, without a warning, the directory holds
//   exactly the acknowledged actions (a reference model of them), and goes
//   on from there; an acknowledged backup opens with the state as of its call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError, readonly, realFs, unlocked } from '../../lib';
import type { Durability, FileSystem, Prevalent } from '../../lib';
import { tmpDir } from '../support/tmp';
import { CountingFs, INJECTED, NEVER_THROWS, WRITE_KINDS } from './support/counting-fs';
import type { FaultKind } from './support/counting-fs';

// Each test is hundreds of runs: generous for a busy machine, never a timing check.
jest.setTimeout(300_000);

class Board {
  title = '';
  meta = { edits: 0, note: '' };
  counts = new Map<string, number>();
  items: string[] = [];
  due: Date | null = null;

  rename(title: string): void {
    this.title = title;
    this.meta.edits += 1;
    this.meta.note = `renamed to ${title}`;
  }

  count(key: string): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n;
  }

  push(item: string): number {
    return this.items.push(item);
  }

  schedule(ms: number): void {
    this.due = new Date(ms);
  }

  /** In 'always' mode durable through a background fdatasync (or the next action's). */
  @unlocked
  touch(note: string): void {
    this.meta.note = note;
  }

  @readonly
  summary(): string {
    return `${this.title}/${this.items.length}/${this.counts.size}/${this.due?.getTime() ?? '-'}`;
  }
}

interface BoardView {
  readonly title: string;
  readonly meta: { readonly edits: number; readonly note: string };
  readonly counts: ReadonlyMap<string, number>;
  readonly items: readonly string[];
  readonly due: { getTime(): number } | null;
}

function dump(b: BoardView) {
  return {
    title: b.title,
    meta: { edits: b.meta.edits, note: b.meta.note },
    counts: [...b.counts.entries()],
    items: [...b.items],
    due: b.due === null ? null : b.due.getTime(),
  };
}
type Dump = ReturnType<typeof dump>;

type Step =
  | { kind: 'action'; label: string; act: (b: Board) => unknown }
  | { kind: 'snapshot' }
  | { kind: 'backup' }
  | { kind: 'sync' };

const long = (label: string): string => `${label}:${'é✓𝄞-'.repeat(20)}`;
const action = (label: string, act: (b: Board) => unknown): Step => ({
  kind: 'action',
  label,
  act,
});

/** The workload after the first open; with journalMaxBytes 600 its records rotate the journal every few actions. */
const script: Step[] = [
  action('rename first', (b) => b.rename('first')),
  action('push alpha', (b) => b.push('alpha')),
  action('count x', (b) => b.count('x')),
  action('schedule 1', (b) => b.schedule(1_700_000_000_000)),
  action('push beta', (b) => b.push(long('beta'))),
  action('touch (unlocked)', (b) => b.touch('touched')),
  { kind: 'sync' },
  action('touch again (unlocked)', (b) => b.touch('touched again')),
  action('count y', (b) => b.count('y')),
  { kind: 'snapshot' },
  action('push gamma', (b) => b.push(long('gamma'))),
  action('rename second', (b) => b.rename('second')),
  action('count x again', (b) => b.count('x')),
  action('schedule 2', (b) => b.schedule(1_800_000_000_000)),
  action('push delta', (b) => b.push(long('delta'))),
  action('push epsilon', (b) => b.push(long('epsilon'))),
  { kind: 'snapshot' },
  action('count z', (b) => b.count('z')),
  action('push zeta', (b) => b.push(long('zeta'))),
  // The third snapshot: pruning deletes journal files and snapshots now.
  { kind: 'snapshot' },
  action('push eta', (b) => b.push('eta')),
  { kind: 'backup' },
  action('rename third', (b) => b.rename('third')),
  action('push theta', (b) => b.push(long('theta'))),
];

/** After a close, the directory is opened again through the same seam (a restore under faults), for this. */
const reopened: Step[] = [
  action('push iota', (b) => b.push(long('iota'))),
  action('count x third', (b) => b.count('x')),
  action('touch third (unlocked)', (b) => b.touch('touched third')),
  { kind: 'sync' },
  { kind: 'snapshot' },
  action('rename fourth', (b) => b.rename('fourth')),
];

const phases = [script, reopened];

// 'batch' with a long interval: its fdatasyncs come from sync(), snapshots,
// rotations and close only, so every run makes the same calls in the same order.
const OPTIONS = {
  journalMaxBytes: 600,
  pruneJournals: true,
  pruneSnapshots: true,
  batchIntervalMs: 600_000,
};

/**
 * Calls of an open whose OS error may pass on as it is: docs/DURABILITY.md,
 * "An I/O error from the operating system while a directory is opened
 * (listing it, reading a snapshot or a journal) is passed on as Node's own
 * error with its code", and creating the directory (openBasedir: "other
 * failures (EIO, ENOSPC) pass as they are").
 */
const RAW_AT_OPEN =
  /^(readdirSync|readSync|readFileSync|openSync r|closeSync r|fstatSize|entryKind|linkCount|mkdirSync)$/;

/** The seam call an injected error came from; undefined for any other error. */
const injectedBy = (err: unknown): string | undefined =>
  err instanceof Error
    ? ((err as unknown as Record<symbol, string | undefined>)[INJECTED] ?? undefined)
    : undefined;

function describeError(err: unknown): string {
  if (isPrevalenceError(err)) return `${err.code}: ${err.message.slice(0, 300)}`;
  if (err instanceof Error) {
    const call = injectedBy(err);
    const what = call === undefined ? '' : ` (the injected error of ${call} itself)`;
    return `raw ${err.constructor.name}${what}: ${err.message} @ ${err.stack?.split('\n').slice(1, 4).join(' | ')}`;
  }
  return `non-error ${String(err)}`;
}

const settle = <T>(
  p: Promise<T>,
  ms: number,
): Promise<{ ok: true; value: T } | { ok: false; err: unknown }> =>
  new Promise((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, err: new Error(`HANG: not settled after ${ms} ms`) }),
      ms,
    );
    p.then(
      (value) => (clearTimeout(timer), resolve({ ok: true, value })),
      (err: unknown) => (clearTimeout(timer), resolve({ ok: false, err })),
    );
  });

/**
 * The real file system without its fsyncs, under the counting seam: every
 * fsync is still counted and failed in turn, but no run cuts the power, so
 * what they would make durable is never looked at (the checks reopen on the
 * real file system, fsyncs and all); skipping them only saves time.
 */
const withoutSyncs: FileSystem = {
  ...realFs,
  fdatasyncSync: () => {},
  fdatasync: () => Promise.resolve(),
  fsyncSync: () => {},
  fsyncDirSync: () => {},
};

/** Every PrevalenceError a run met, for reading through (SWEEP_LOG=<file>). */
const seen: string[] = [];

interface Run {
  /** Seam calls the run made (the opens, the workload and the closes; not the checks). */
  calls: number;
  /** What was wrong, if anything. */
  problems: string[];
  /** What the failure did (see outcomeOf), to check that a sweep reached each case. */
  outcomes: Set<string>;
}

/** The case a failure of `what` (a step, an open, close) is, by its error. */
function outcomeOf(what: string, err: unknown): string {
  const message = String(err);
  if (what.startsWith('action')) {
    if (/the action stays applied in memory too/.test(message))
      return 'action kept (its cut-back failed)';
    if (/the fdatasync of action seq/.test(message)) return 'action failed at its fdatasync';
    if (/writing action seq/.test(message)) return 'action failed at its write';
    if (/starting a new journal file/.test(message)) return 'action failed starting a journal file';
    return 'action refused';
  }
  return `${what} failed`;
}

/** Runs the workload on `seam` in a new directory, then checks the directory on the real file system. */
async function run(durability: Durability, seam: CountingFs): Promise<Run> {
  const root = tmpDir('sweep');
  const dir = path.join(root, 'data');
  const backupDir = path.join(root, 'backup');
  const problems: string[] = [];
  const warnings: string[] = [];
  const model = new Board();
  let backupState: Dump | undefined;
  const where = (): string =>
    seam.faultedAt === undefined
      ? '(no fault)'
      : `(call ${seam.faultedAt} ${seam.names[seam.faultedAt - 1]} faulted)`;
  const outcomes = new Set<string>();
  const note = (what: string, err: unknown): void => {
    outcomes.add(outcomeOf(what, err));
    if (isPrevalenceError(err)) seen.push(`${where()} ${what}: ${err.code}: ${err.message}`);
  };

  for (const [phase, steps] of phases.entries()) {
    let sys: Prevalent<Board> | undefined;
    const faultsBefore = seam.faults;
    try {
      sys = initSystem(Board, {
        basedir: dir,
        durability,
        ...OPTIONS,
        fileSystem: seam,
        onWarning: (w) => warnings.push(w),
      });
    } catch (err) {
      note(`open ${phase + 1}`, err);
      const call = injectedBy(err);
      const allowed =
        seam.faults > faultsBefore &&
        ((call !== undefined && RAW_AT_OPEN.test(call)) ||
          (isPrevalenceError(err) &&
            ['JOURNAL_WRITE_FAILED', 'SNAPSHOT_WRITE_FAILED'].includes(err.code)));
      if (!allowed) problems.push(`open ${phase + 1} threw ${describeError(err)} ${where()}`);
      continue;
    }
    let refusing = false;
    for (const step of steps) {
      const before = seam.faults;
      const warned = warnings.length;
      const label = step.kind === 'action' ? `action "${step.label}"` : step.kind;
      try {
        if (step.kind === 'action') {
          step.act(sys as unknown as Board);
          step.act(model);
          if (refusing)
            problems.push(`${label} was acknowledged after a JOURNAL_WRITE_FAILED ${where()}`);
        } else if (step.kind === 'snapshot') {
          sys.takeSnapshot();
        } else if (step.kind === 'backup') {
          sys.takeSnapshot({ into: backupDir });
          backupState = dump(model);
        } else {
          const synced = await settle(sys.sync(), 10_000);
          if (!synced.ok) throw synced.err;
        }
      } catch (err) {
        note(label, err);
        const here = seam.faults > before;
        const warnedNow = warnings.slice(warned).some((w) => w.includes('JOURNAL_WRITE_FAILED'));
        const code = isPrevalenceError(err) ? err.code : undefined;
        if (code === undefined) {
          problems.push(`${label} threw ${describeError(err)} ${where()}`);
        } else if (step.kind === 'action' || step.kind === 'sync') {
          if (code !== 'JOURNAL_WRITE_FAILED')
            problems.push(`${label} threw ${describeError(err)} ${where()}`);
          else if (!here && !refusing && !warnedNow && !(step.kind === 'sync' && seam.faults > 0))
            problems.push(
              `${label} was refused though nothing had failed: ${describeError(err)} ${where()}`,
            );
          // DURABILITY.md: when cutting the record off failed too, the action stays applied.
          if (step.kind === 'action' && /the action stays applied in memory too/.test(String(err)))
            step.act(model);
        } else if (!here) {
          problems.push(
            `${label} failed though no call failed in it: ${describeError(err)} ${where()}`,
          );
        } else if (code !== 'SNAPSHOT_WRITE_FAILED' && code !== 'JOURNAL_WRITE_FAILED') {
          problems.push(`${label} threw ${describeError(err)} ${where()}`);
        }
        if (code === 'JOURNAL_WRITE_FAILED') refusing = true;
      }
      if (warnings.slice(warned).some((w) => w.includes('JOURNAL_WRITE_FAILED'))) refusing = true;
      // Reads keep working, and show exactly the acknowledged actions.
      try {
        expect(sys.summary()).toBe(model.summary());
        expect(dump(sys)).toEqual(dump(model));
      } catch (err) {
        problems.push(
          `after ${label} the state read back is not the acknowledged one: ${describeError(err).slice(0, 400)} ${where()}`,
        );
      }
    }
    if (refusing) {
      // Still refused at the end of the phase, with the same code.
      try {
        sys.push('probe');
        model.push('probe');
        problems.push(
          `an action at the end was acknowledged after a JOURNAL_WRITE_FAILED ${where()}`,
        );
      } catch (err) {
        if (!isPrevalenceError(err) || err.code !== 'JOURNAL_WRITE_FAILED')
          problems.push(`an action at the end threw ${describeError(err)} ${where()}`);
      }
    }
    const closed = await settle(sys.close(), 10_000);
    if (!closed.ok) {
      note('close', closed.err);
      if (!isPrevalenceError(closed.err) || seam.faults === 0)
        problems.push(`close() rejected with ${describeError(closed.err)} ${where()}`);
    }
  }
  const calls = seam.count;

  // The directory, on the real file system.
  const reopenWarnings: string[] = [];
  let again: Prevalent<Board> | undefined;
  try {
    again = initSystem(Board, {
      basedir: dir,
      ...OPTIONS,
      onWarning: (w) => reopenWarnings.push(w),
    });
  } catch (err) {
    problems.push(`the reopen refused: ${describeError(err)} ${where()}`);
  }
  if (again !== undefined) {
    try {
      expect(dump(again)).toEqual(dump(model));
    } catch (err) {
      problems.push(
        `the reopened state is not the acknowledged one: ${describeError(err).slice(0, 600)} ${where()}`,
      );
    }
    // And it goes on from there.
    try {
      again.push('after');
      model.push('after');
      await again.close();
      const third = initSystem(Board, { basedir: dir, ...OPTIONS });
      expect(dump(third)).toEqual(dump(model));
      await third.close();
    } catch (err) {
      problems.push(
        `going on after the reopen failed: ${describeError(err).slice(0, 600)} ${where()}`,
      );
      await again.close().catch(() => {});
    }
  }
  for (const w of reopenWarnings) problems.push(`the reopen warned: ${w.slice(0, 300)} ${where()}`);
  if (backupState !== undefined) {
    try {
      const backup = initSystem(Board, backupDir);
      expect(dump(backup)).toEqual(backupState);
      await backup.close();
    } catch (err) {
      problems.push(
        `the acknowledged backup does not open with its state: ${describeError(err).slice(0, 600)} ${where()}`,
      );
    }
  }
  fs.rmSync(root, { recursive: true, force: true });
  return { calls, problems, outcomes };
}

const durabilities: Durability[] = ['always', 'batch', 'none'];
const kinds: FaultKind[] = ['EIO', 'ENOSPC', 'short', 'torn', 'dead', 'full'];

/**
 * The Ns a sweep runs: every call (EIO, dead) but existsSync, which never
 * fails (Node answers false instead), or every write (the other kinds).
 * To keep the time down, two strides: a dead disk at N and at N + 1 differ
 * little, so 'none' takes the even Ns of it and 'batch' the odd ones; and
 * 'batch', whose interval never comes in a run, makes the very calls 'none'
 * makes, so it takes the odd Ns of EIO too, and every fdatasync, where the
 * two differ ('always' and 'none' take all).
 */
function targetsOf(durability: Durability, kind: FaultKind, names: string[]): number[] {
  const odd = (n: number): boolean => n % 2 === 1;
  return names
    .map((name, i) => ({ name, n: i + 1 }))
    .filter(({ name }) => (WRITE_KINDS.has(kind) ? name === 'writeSync' : !NEVER_THROWS.has(name)))
    .filter(({ name, n }) => {
      if (durability === 'batch') return WRITE_KINDS.has(kind) || odd(n) || /^fdatasync/.test(name);
      if (durability === 'none') return kind !== 'dead' || !odd(n);
      return true;
    })
    .map(({ n }) => n);
}

/** Cases each sweep must have reached (see outcomeOf), so that it checks what it claims to. */
function expectedOutcomes(durability: Durability, kind: FaultKind): string[] {
  if (kind === 'short') return [];
  const writes = ['action failed at its write', 'snapshot failed', 'backup failed'];
  if (kind !== 'EIO') return writes;
  return [
    ...writes,
    'open 1 failed',
    'open 2 failed',
    'action failed starting a journal file',
    'sync failed',
    // In 'always' nothing is left for close() to make durable; in the others its fdatasync can fail.
    ...(durability === 'always' ? ['action failed at its fdatasync'] : ['close failed']),
  ];
}

afterAll(() => {
  if (process.env['SWEEP_LOG'] !== undefined)
    fs.writeFileSync(process.env['SWEEP_LOG'], seen.join('\n'));
});

describe.each(durabilities)("fail the Nth file-system call ('%s')", (durability) => {
  let names: string[] = [];

  beforeAll(async () => {
    const seam = new CountingFs(undefined, 'EIO', withoutSyncs);
    const clean = await run(durability, seam);
    expect(clean.problems).toEqual([]);
    expect(clean.outcomes).toEqual(new Set());
    names = [...seam.names];
  });

  it.each(kinds)('%s at call N', async (kind) => {
    const targets = targetsOf(durability, kind, names);
    const found: string[] = [];
    const outcomes = new Map<string, number>();
    const started = Date.now();
    for (const n of targets) {
      const seam = new CountingFs(n, kind, withoutSyncs);
      const result = await run(durability, seam);
      // Up to call N a run makes the calls of the counting run: N is the call it was meant to be.
      if (seam.names[n - 1] !== names[n - 1])
        found.push(`N=${n}: call ${n} was ${seam.names[n - 1]}, not ${names[n - 1]}`);
      if (seam.faults === 0 && kind !== 'short') found.push(`N=${n}: no fault was injected`);
      for (const p of result.problems) found.push(`N=${n} ${kind}: ${p}`);
      for (const o of result.outcomes) outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    }
    const tally = [...outcomes].map(([o, count]) => `${o} ${count}`).join(', ');
    process.stdout.write(
      `${durability} ${kind}: T=${names.length}, N in ${targets[0]}..${targets.at(-1)} (${targets.length} runs), ${Date.now() - started} ms; ${tally}\n`,
    );
    expect(found).toEqual([]);
    for (const o of expectedOutcomes(durability, kind))
      expect([o, outcomes.get(o) ?? 0]).not.toEqual([o, 0]);
  });
});
