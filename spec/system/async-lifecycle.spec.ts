import { initSystem, isPrevalenceError, readonly } from '../../lib';
import { freshBasedir } from '../support/tmp';

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
