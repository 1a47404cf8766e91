// Kill test, 'always' mode: a child acts and reports every acknowledged
// action; it is SIGKILLed at random moments (mid-action, mid-snapshot,
// mid-rotation), more than a hundred times on one directory, and after every
// kill the parent reopens and checks that no acknowledged action is lost and
// that the state equals the reference model.
import { freshBasedir } from '../support/tmp';
import { killRounds, runKillRounds, runSeed } from './support/kill-rounds';

describe("crash: SIGKILL in 'always' mode", () => {
  it('never loses an acknowledged action, and restores exactly the actions 1..n', async () => {
    const seed = runSeed();
    const summary = await runKillRounds(
      {
        dir: freshBasedir('always'),
        rounds: killRounds(110),
        seed,
        child: {
          durability: 'always',
          // Small files: rotations (new file + directory fsync) happen often enough to be hit too.
          journalMaxBytes: 4096,
          snapshotChance: 0.1,
          syncChance: 0,
        },
        trigger: 'ack',
        maxDelayMs: 30,
      },
      (round, where) => {
        // Every acknowledged action survived the kill.
        if (round.counter < round.acked) {
          throw new Error(
            `${where}: action ${round.acked} was acknowledged but the restored state ends at ${round.counter}`,
          );
        }
      },
    );
    expect(summary.kills).toBeGreaterThanOrEqual(100);
    console.log(
      `'always' kill test (seed ${seed}): ${JSON.stringify({ ...summary, warnings: summary.warnings.length })}`,
    );
  }, 240_000);
});
