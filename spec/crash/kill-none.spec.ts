// Kill test, 'none' mode: the operating system decides when records reach the
// disk, but every record is written (one write() per action) before the call
// returns, so a crash of the process alone loses no acknowledged action
// (issue 3; DURABILITY.md). Buffering records past the call, which would make
// 'none' writes faster, breaks exactly this: the test guards it.
import { freshBasedir } from '../support/tmp';
import { killRounds, runKillRounds, runSeed } from './support/kill-rounds';

describe("crash: SIGKILL in 'none' mode", () => {
  it('loses no acknowledged action to a killed process, and restores exactly the actions 1..n', async () => {
    const seed = runSeed();
    const summary = await runKillRounds(
      {
        dir: freshBasedir('none'),
        rounds: killRounds(40),
        seed,
        child: {
          durability: 'none',
          journalMaxBytes: 4096,
          snapshotChance: 0.05,
          syncChance: 0,
        },
        trigger: 'ack',
        maxDelayMs: 30,
      },
      (round, where) => {
        if (round.counter < round.acked) {
          throw new Error(
            `${where}: action ${round.acked} was acknowledged but the restored state ends at ${round.counter}`,
          );
        }
      },
    );
    expect(summary.kills).toBeGreaterThanOrEqual(40);
    console.log(
      `'none' kill test (seed ${seed}): ${JSON.stringify({ ...summary, warnings: summary.warnings.length })}`,
    );
  }, 240_000);
});
