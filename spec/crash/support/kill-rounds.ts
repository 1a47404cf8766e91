// The kill loop shared by the kill tests: round after round on the same
// directory, a child acts on the ledger, is SIGKILLed at a random moment,
// and the parent reopens the directory and checks what survived.
import * as fs from 'node:fs';
import { initSystem } from '../../../lib';
import { freshBasedir, journalRecords } from '../../support/tmp';
import type { ChildConfig } from './children';
import { LedgerChild, dispose, sleep } from './children';
import { Ledger, dumpLedger, modelAfter, rng, textFor } from './ledger';

export interface KillPlan {
  dir: string;
  rounds: number;
  seed: number;
  /** What every child does (dir, seed and mode are filled in). */
  child: Omit<ChildConfig, 'dir' | 'seed' | 'mode' | 'maxSteps'>;
  /** The kill comes a random delay after the child's first line starting with this. */
  trigger: 'ack' | 'snapping' | 'synced';
  /** The longest such delay. */
  maxDelayMs: number;
  /** The ballast the state must hold (see ChildConfig.ballast). */
  ballast?: string[];
}

/** How many children are started ahead of their round. */
const AHEAD = 2;

/** What one round saw. */
export interface Round {
  round: number;
  /** The counter the child restored. */
  opened: number;
  /** The last acknowledged action (or the state it started from). */
  acked: number;
  /** The last action reported durable by `await sync()`, if any. */
  synced: number | undefined;
  /** The counter the parent restored after the kill. */
  counter: number;
  /** The child's last complete line. */
  lastLine: string;
  warnings: string[];
}

export interface KillSummary {
  kills: number;
  /** Kills that landed between `snapping` and `snap` (a snapshot being written). */
  duringSnapshot: number;
  /** Snapshot temporary files a kill left behind (restore ignores them). */
  leftoverTemps: number;
  /** Kills after which the restored state held one action more than acknowledged. */
  inFlightKept: number;
  /** Actions acknowledged in total. */
  actions: number;
  warnings: string[];
}

/** Runs `expect`-style checks, prefixing failures with the round and seed so a failure says where. */
function within(where: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof Error) err.message = `${where}\n${err.message}`;
    throw err;
  }
}

/** Opens `dir` in this process, returns the counter and checks the state against the reference model. */
async function reopenAndCheck(
  dir: string,
  where: string,
  ballast: string[] = [],
): Promise<{ counter: number; warnings: string[] }> {
  const warnings: string[] = [];
  const sys = initSystem(Ledger, {
    basedir: dir,
    isolation: 'none',
    onWarning: (w) => warnings.push(w),
  });
  const state = dumpLedger(sys);
  await sys.close();
  within(where, () => {
    // Exactly the actions 1..counter, in order, each once, with their arguments.
    expect(state).toEqual(modelAfter(state.counter, ballast));
    // The journal agrees record by record: contiguous seqs, the very arguments sent.
    const records = journalRecords(dir);
    expect(records.map((r) => r.seq)).toEqual(state.order);
    for (const r of records) expect(r.args).toEqual([r.seq, textFor(r.seq)]);
  });
  return { counter: state.counter, warnings };
}

/**
 * Runs `plan.rounds` kill rounds on `plan.dir`. The next children are started
 * while the current round runs (loading lib/ is most of a child's cost), and
 * each is only handed the directory once the parent has closed it again.
 * `checkRound` adds the checks of a durability mode.
 */
export async function runKillRounds(
  plan: KillPlan,
  checkRound: (round: Round, where: string) => void,
): Promise<KillSummary> {
  const random = rng(plan.seed);
  const summary: KillSummary = {
    kills: 0,
    duringSnapshot: 0,
    leftoverTemps: 0,
    inFlightKept: 0,
    actions: 0,
    warnings: [],
  };
  let previous = 0;
  const temps = new Set<string>();
  // Children started ahead of their round, loading while the rounds before them run.
  const ready: LedgerChild[] = [];
  let started = 0;
  const startAhead = (): void => {
    while (ready.length < AHEAD && started < plan.rounds) {
      ready.push(new LedgerChild());
      started++;
    }
  };
  let current: LedgerChild | undefined;
  try {
    for (let round = 1; round <= plan.rounds; round++) {
      startAhead();
      current = ready.shift() as LedgerChild;
      startAhead();
      const where = `round ${round} of ${plan.rounds} (seed ${plan.seed}, dir ${plan.dir})`;
      current.start({
        ...plan.child,
        dir: plan.dir,
        seed: Math.floor(random() * 2 ** 31),
        mode: 'steps',
        maxSteps: 1_000_000,
      });
      const opened = Number((await current.waitFor('open ')).slice(5));
      within(where, () => expect(opened).toBe(previous));
      await current.waitFor(plan.trigger);
      await sleep(random() * plan.maxDelayMs);
      await current.kill();
      summary.kills++;

      const lastLine = current.lines.at(-1) ?? '';
      if (lastLine.startsWith('snapping ')) summary.duringSnapshot++;
      for (const f of fs.readdirSync(plan.dir).filter((name) => name.endsWith('.tmp'))) {
        if (!temps.has(f)) summary.leftoverTemps++;
        temps.add(f);
      }
      const acked = current.last('ack') ?? previous;
      const { counter, warnings } = await reopenAndCheck(plan.dir, where, plan.ballast);
      const seen: Round = {
        round,
        opened,
        acked,
        synced: current.last('synced'),
        counter,
        lastLine,
        warnings,
      };
      within(where, () => {
        // At most the one action that was in flight when the kill came is extra.
        expect(counter).toBeLessThanOrEqual(acked + 1);
        // Nothing that was there before this round went away.
        expect(counter).toBeGreaterThanOrEqual(previous);
      });
      checkRound(seen, where);
      if (counter > acked) summary.inFlightKept++;
      summary.actions += acked - previous;
      summary.warnings.push(...warnings);
      previous = counter;
    }
  } finally {
    await dispose(current);
    for (const child of ready.splice(0)) await dispose(child);
  }
  return summary;
}

/** The seed of a test run: PREVALENT_CRASH_SEED when set (to replay the random choices), else random. */
export function runSeed(): number {
  const fromEnv = Number(process.env['PREVALENT_CRASH_SEED']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31);
}

/** How many kill rounds: PREVALENT_CRASH_KILLS when set (e.g. for a long local soak), else `normal`. */
export function killRounds(normal: number): number {
  const fromEnv = Number(process.env['PREVALENT_CRASH_KILLS']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : normal;
}

/** The check every mode's kill test makes: the action acknowledged last survived the kill. */
export function keptAcknowledged(round: Round, where: string): void {
  if (round.counter < round.acked) {
    throw new Error(
      `${where}: action ${round.acked} was acknowledged but the restored state ends at ${round.counter}`,
    );
  }
}

/**
 * Runs `rounds` kill rounds of a child in `durability` mode that only acts
 * and snapshots (no sync()), each killed a random delay after an
 * acknowledgement, checking after each that the acknowledged actions survived.
 */
export async function killAfterAcks(
  durability: 'always' | 'none',
  rounds: number,
  snapshotChance: number,
): Promise<KillSummary & { seed: number }> {
  const seed = runSeed();
  const summary = await runKillRounds(
    {
      dir: freshBasedir(durability),
      rounds: killRounds(rounds),
      seed,
      child: {
        durability,
        // Small files: rotations (new file + directory fsync) happen often enough to be hit too.
        journalMaxBytes: 4096,
        snapshotChance,
        syncChance: 0,
      },
      trigger: 'ack',
      maxDelayMs: 30,
    },
    keptAcknowledged,
  );
  return { ...summary, seed };
}
