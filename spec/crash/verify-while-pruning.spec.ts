// verifyReplay "may run while the system is open": also while that system
// prunes the snapshots and journals it is reading. A child acts and takes
// snapshots without pause, pruning after each; the parent verifies the
// directory over and over meanwhile.
import * as path from 'node:path';
import { verifyReplay } from '../../lib';
import { tmpDir } from '../support/tmp';
import { LedgerChild, dispose } from './support/children';
import { Ledger } from './support/ledger';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('verifyReplay while the system open on the directory prunes', () => {
  it('reports the directory healthy every time (regression: a file pruned between its listing and its reading gave JOURNAL_CORRUPT "records are missing", or a bare ENOENT, about one run in a hundred)', async () => {
    const dir = path.join(tmpDir('verify-prune'), 'live');
    const child = new LedgerChild();
    const failures: string[] = [];
    let runs = 0;
    try {
      child.start({
        dir,
        mode: 'steps',
        durability: 'none',
        journalMaxBytes: 2048,
        prune: true,
        seed: 7,
        snapshotChance: 0.02,
        syncChance: 0,
        maxSteps: 1_000_000,
      });
      await child.waitFor('snap ');
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        runs++;
        try {
          const report = verifyReplay(dir, Ledger, { onWarning: () => undefined });
          if (!report.ok) failures.push(JSON.stringify(report));
        } catch (err) {
          failures.push(String(err));
        }
        await turn();
      }
    } finally {
      await dispose(child);
    }
    expect(runs).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });
});
