// Kill test, 'none' mode: the operating system decides when records reach the
// disk, but every record is written (one write() per action) before the call
// returns, so a crash of the process alone loses no acknowledged action
// (issue 3; DURABILITY.md). Buffering records past the call, which would make
// 'none' writes faster, breaks exactly this: the test guards it.
import { killAfterAcks } from './support/kill-rounds';

describe("crash: SIGKILL in 'none' mode", () => {
  it('loses no acknowledged action to a killed process, and restores exactly the actions 1..n', async () => {
    // Few snapshots: kills during one are the 'always' test's; this one is for the write path.
    const summary = await killAfterAcks('none', 40, 0.01);
    expect(summary.kills).toBeGreaterThanOrEqual(40);
    console.log(
      `'none' kill test (seed ${summary.seed}): ${JSON.stringify({ ...summary, warnings: summary.warnings.length })}`,
    );
  }, 240_000);
});
