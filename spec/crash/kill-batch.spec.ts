// Kill test, 'batch' mode: the child acts, awaits sync() now and then and
// reports both its acknowledged actions and the last action `sync()`
// declared durable. After every SIGKILL the parent checks what the mode
// promises: every synced action is there, and the state is exactly the
// actions 1..n for some n (a prefix: nothing in the middle is missing).
import { freshBasedir } from '../support/tmp';
import { keptAcknowledged, killRounds, runKillRounds, runSeed } from './support/kill-rounds';

describe("crash: SIGKILL in 'batch' mode", () => {
  it('keeps every synced action and restores a prefix of the action sequence', async () => {
    const seed = runSeed();
    let syncedRounds = 0;
    const summary = await runKillRounds(
      {
        dir: freshBasedir('batch'),
        rounds: killRounds(100),
        seed,
        child: {
          durability: 'batch',
          batchIntervalMs: 5,
          journalMaxBytes: 4096,
          snapshotChance: 0.05,
          syncChance: 0.2,
        },
        // Every round runs until at least one sync() returned, then a while longer.
        trigger: 'synced',
        maxDelayMs: 30,
      },
      (round, where) => {
        if (round.synced !== undefined) {
          syncedRounds++;
          // The promise of sync(): what it covered is durable.
          if (round.counter < round.synced) {
            throw new Error(
              `${where}: sync() reported action ${round.synced} durable but the restored state ends at ${round.counter}`,
            );
          }
        }
        // 'batch' writes each record before the call returns and only delays its
        // fsync, so a process crash (unlike a power cut) loses no acknowledged
        // action either (the 'none' guarantee, which 'batch' includes).
        keptAcknowledged(round, where);
      },
    );
    expect(summary.kills).toBeGreaterThanOrEqual(100);
    expect(syncedRounds).toBe(summary.kills);
    console.log(
      `'batch' kill test (seed ${seed}): ${JSON.stringify({ ...summary, syncedRounds, warnings: summary.warnings.length })}`,
    );
  }, 240_000);
});
