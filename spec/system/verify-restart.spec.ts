// verifyReplay replays from the oldest snapshot in one process, carrying
// whatever the actions keep outside the state as a live process that never
// restarted did: an id counter in a module variable, a memo in a
// non-enumerable property. A restart from a later snapshot starts without
// them and gives another state, which such a replay never showed: it
// answered ok (the adversarial replay review found both).
import { initSystem, verifyReplay } from '../../lib';
import { freshBasedir } from '../support/tmp';

let nextId = 0; // module-level: no snapshot keeps it

class Orders {
  ids: string[] = [];

  place(): void {
    this.ids.push(`o${nextId++}`);
  }

  rename(at: number, name: string): void {
    this.ids[at] = name;
  }
}

class Memo {
  totals: number[] = [];

  add(n: number): void {
    const self = this as unknown as { sum?: number };
    if (!Object.prototype.hasOwnProperty.call(self, 'sum')) {
      Object.defineProperty(self, 'sum', {
        value: 0,
        writable: true,
        enumerable: false,
        configurable: true,
      });
    }
    self.sum! += n;
    this.totals.push(self.sum!);
  }
}

/** A directory with snapshots after actions 2 and 4 and six actions in all. */
async function ordersWithSnapshots(): Promise<string> {
  const dir = freshBasedir();
  nextId = 0;
  const orders = initSystem(Orders, dir);
  orders.place();
  orders.place();
  orders.takeSnapshot();
  orders.place();
  orders.place();
  orders.takeSnapshot();
  orders.place();
  orders.rename(0, 'first');
  await orders.close();
  return dir;
}

describe('verifyReplay, replaying again as a restart from a snapshot would', () => {
  it('reports an id counter kept in a module variable, which the replay from the oldest snapshot reproduces', async () => {
    const dir = await ordersWithSnapshots();
    // As in a fresh process: the replay from the oldest snapshot counts from 0 as the live run did.
    nextId = 0;
    const report = verifyReplay(dir, Orders);
    expect(report.ok).toBe(false);
    const divergence = report.divergence!;
    expect(divergence.agreedThrough).toBe(2);
    expect(divergence.seq).toBe(4);
    expect(divergence.exact).toBe(false);
    expect(divergence.snapshot).toMatch(/snapshot-0000000000000004\.snap$/);
    expect(divergence.path).toBe('ids[2]');
    expect(divergence.message).toMatch(/as a restart from it would/);
    expect(divergence.message).toMatch(/module-level variable/);
    expect(divergence.message).toContain('snapshot-0000000000000002.snap');
  });

  it('reports a memo kept in a non-enumerable property, which a snapshot skips', async () => {
    const dir = freshBasedir();
    const memo = initSystem(Memo, dir);
    memo.add(1);
    memo.takeSnapshot();
    memo.add(2);
    memo.takeSnapshot();
    memo.add(3);
    await memo.close();
    const report = verifyReplay(dir, Memo);
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({ agreedThrough: 1, seq: 2, exact: false });
    expect(report.divergence!.path).toBe('totals[1]');
  });

  it('reports ok for actions that keep everything in the state', async () => {
    const dir = freshBasedir();
    const memo = initSystem(Memo, dir);
    memo.add(1);
    memo.takeSnapshot();
    await memo.close();
    // One snapshot after the start: no interval to replay again.
    expect(verifyReplay(dir, Memo).ok).toBe(true);

    class Tally {
      sums: number[] = [];
      add(n: number): void {
        this.sums.push((this.sums.at(-1) ?? 0) + n);
      }
    }
    const other = freshBasedir();
    const tally = initSystem(Tally, other);
    for (let i = 1; i <= 3; i++) {
      tally.add(i);
      tally.takeSnapshot();
    }
    await tally.close();
    expect(verifyReplay(other, Tally)).toMatchObject({
      ok: true,
      snapshotsChecked: 3,
      actionsReplayed: 3,
    });
  });
});
