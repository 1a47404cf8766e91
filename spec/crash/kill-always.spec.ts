// Kill test, 'always' mode: a child acts and reports every acknowledged
// action; it is SIGKILLed at random moments (mid-action, mid-snapshot,
// mid-rotation), more than a hundred times on one directory, and after every
// kill the parent reopens and checks that no acknowledged action is lost and
// that the state equals the reference model.
import { killAfterAcks } from './support/kill-rounds';

describe("crash: SIGKILL in 'always' mode", () => {
  it('never loses an acknowledged action, and restores exactly the actions 1..n', async () => {
    const summary = await killAfterAcks('always', 110, 0.1);
    expect(summary.kills).toBeGreaterThanOrEqual(100);
    console.log(
      `'always' kill test (seed ${summary.seed}): ${JSON.stringify({ ...summary, warnings: summary.warnings.length })}`,
    );
  }, 240_000);
});
