// A crash during a snapshot never prevents opening: children are killed
// while they write large snapshots, and in-process the newest snapshot is
// cut (or damaged) at many offsets; every time the system opens with the
// full state, from the previous snapshot plus the journal after it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { killRounds, runKillRounds, runSeed } from './support/kill-rounds';
import { Ledger, dumpLedger, makeBallast, modelAfter, textFor } from './support/ledger';

jest.setTimeout(30_000);

const snapshotsIn = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => /^snapshot-\d+\.snap$/.test(f))
    .sort();

/** Opens `dir`, returns the plain state and the warnings, closes. */
async function openDump(dir: string) {
  const warnings: string[] = [];
  const sys = initSystem(Ledger, {
    basedir: dir,
    isolation: 'none',
    onWarning: (w) => warnings.push(w),
  });
  const state = dumpLedger(sys);
  await sys.close();
  return { state, warnings };
}

/** A closed system with snapshots after actions 10 and 20 and 25 actions in all. */
async function twoSnapshots(): Promise<{ dir: string; older: string; newest: string }> {
  const dir = freshBasedir('snapshots');
  const sys = initSystem(Ledger, dir);
  let n = 0;
  const steps = (count: number): void => {
    for (let i = 0; i < count; i++) sys.step(++n, textFor(n));
  };
  steps(10);
  const older = sys.takeSnapshot();
  steps(10);
  const newest = sys.takeSnapshot();
  steps(5);
  await sys.close();
  return { dir, older, newest };
}

describe('crash: during a snapshot', () => {
  it('opens after a SIGKILL in the middle of writing a large snapshot', async () => {
    const seed = runSeed();
    const ballast = { lines: 800, bytes: 500 };
    const summary = await runKillRounds(
      {
        dir: freshBasedir('bigsnap'),
        rounds: killRounds(20),
        seed,
        child: {
          durability: 'always',
          // A snapshot of ~400 KB after every action.
          snapshotChance: 1,
          syncChance: 0,
          ballast,
        },
        trigger: 'snapping',
        // Long enough to land anywhere: while writing, at the fsync, around the rename, after.
        maxDelayMs: 150,
        ballast: makeBallast(ballast.lines, ballast.bytes),
      },
      (round, where) => {
        if (round.counter < round.acked) {
          throw new Error(`${where}: acknowledged ${round.acked}, restored ${round.counter}`);
        }
      },
    );
    expect(summary.kills).toBe(killRounds(20));
    console.log(
      `snapshot kill test (seed ${seed}): ${JSON.stringify({ ...summary, warnings: summary.warnings.length })}`,
    );
  }, 120_000);

  it('falls back to the previous snapshot and the journal when the newest one is cut short', async () => {
    const { dir, older, newest } = await twoSnapshots();
    const original = fs.readFileSync(newest);
    const headerEnd = original.indexOf(0x0a) + 1;
    const trailerStart = original.lastIndexOf(0x0a, original.length - 2) + 1;
    const cuts = [
      0,
      1,
      headerEnd - 1,
      headerEnd,
      headerEnd + 1,
      Math.floor((headerEnd + trailerStart) / 2),
      trailerStart - 1,
      trailerStart,
      trailerStart + 10,
      original.length - 1,
    ];
    expect(new Set(cuts).size).toBe(cuts.length);
    for (const cut of cuts) {
      fs.writeFileSync(newest, original.subarray(0, cut));
      const { state, warnings } = await openDump(dir);
      expect({ cut, state }).toEqual({ cut, state: modelAfter(25) });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(newest);
    }
    // The older snapshot was never touched; the intact newest one needs no warning.
    expect(snapshotsIn(dir)).toContain(path.basename(older));
    fs.writeFileSync(newest, original);
    expect(await openDump(dir)).toEqual({ state: modelAfter(25), warnings: [] });
  });

  it('falls back to a damaged byte in the middle of the newest snapshot', async () => {
    const { dir, newest } = await twoSnapshots();
    const bytes = fs.readFileSync(newest);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] as number) ^ 0x20;
    fs.writeFileSync(newest, bytes);
    const { state, warnings } = await openDump(dir);
    expect(state).toEqual(modelAfter(25));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(newest);
  });

  it('falls back over two damaged snapshots to snapshot 0 and the whole journal', async () => {
    const { dir, older, newest } = await twoSnapshots();
    fs.truncateSync(newest, 100);
    fs.truncateSync(older, 50);
    const { state, warnings } = await openDump(dir);
    expect(state).toEqual(modelAfter(25));
    expect(warnings).toHaveLength(2);
    // And it goes on from there: a new snapshot replaces the cut ones as the newest.
    const sys = initSystem(Ledger, { basedir: dir, onWarning: () => {} });
    sys.step(26, textFor(26));
    sys.takeSnapshot();
    await sys.close();
    expect(await openDump(dir)).toEqual({ state: modelAfter(26), warnings: [] });
  });
});
