import { initSystem, isPrevalenceError, readonly } from '../../lib';
import { freshBasedir, journalRecords } from '../support/tmp';

/**
 * Regressions from the review of asynchronous use and the system's
 * lifecycle, as a Node service drives it (interleaved async tasks, async
 * queries, close and sync racing with calls in flight).
 */

class Feed {
  items = [{ v: 1 }];

  @readonly
  async later(): Promise<unknown> {
    await null;
    return () => this.items.length;
  }

  @readonly
  *each(): Generator<unknown> {
    yield () => this.items.length;
  }

  @readonly
  async *eachLater(): AsyncGenerator<unknown> {
    await null;
    yield () => this.items.length;
  }
}

/** The error `run` rejects or throws with. */
async function failureOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure, but nothing was thrown');
}

describe('asynchronous queries in clone isolation', () => {
  it.each([
    ['later', (f: Feed) => f.later()],
    ['each', (f: Feed) => [...f.each()]],
    [
      'eachLater',
      async (f: Feed) => {
        for await (const _ of f.eachLater());
      },
    ],
  ])(
    "name the query whose promised or yielded value 'clone' cannot copy (regression: %s() failed with the store-time message 'functions cannot be stored', naming no query)",
    async (name, run) => {
      const feed = initSystem(Feed, { basedir: freshBasedir(), isolation: 'clone' });
      const err = await failureOf(() => run(feed as unknown as Feed));
      expect(isPrevalenceError(err, 'NOT_SERIALIZABLE')).toBe(true);
      expect((err as Error).message).toContain(
        `${name}() returned what 'clone' isolation cannot copy for the caller`,
      );
      await feed.close();
    },
  );
});

/** What the callback an action left behind ended with (a module variable: the state cannot hold a promise). */
let leftBehind: Promise<unknown> | undefined;

class Counter {
  n = 0;

  bumpLater(): void {
    this.n++;
    leftBehind = Promise.resolve().then(() => this.bump());
  }

  bump(): void {
    this.n++;
  }
}

describe('work an action leaves behind', () => {
  it("is refused when it calls an action through the ended action's `this`, saying to call it on the system object (regression: the message said changes must go through an action method, which bump() is)", async () => {
    const dir = freshBasedir();
    const counter = initSystem(Counter, { basedir: dir, onWarning: () => undefined });
    counter.bumpLater();
    const err = await failureOf(() => leftBehind);
    expect(isPrevalenceError(err, 'READONLY_VIOLATION')).toBe(true);
    expect((err as Error).message).toContain('call the action on the system object');
    expect(counter.n).toBe(1);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['bumpLater']);
    await counter.close();
  });
});
