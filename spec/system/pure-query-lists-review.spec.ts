import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';

/**
 * Differences between a list-gathering pure read and the views, found by
 * the list differential property (pure-query-lists-differential.spec.ts),
 * each as a small regression spec. A prototype stored, or a class
 * registered, is looked at by every guard of the process from then on:
 * the getters of one describe's classes are seen by those after it.
 */

// First: no getter with a string name seen yet (the guard then checked no element).
describe('a symbol element used as a key', () => {
  const TICK = Symbol('tick');
  class Ticker {
    hits = 0;
    get [TICK](): number {
      return ++this.hits;
    }
  }
  class Root {
    date = new Date(0);
    ticker = new Ticker();
    @readonly tags(keys: unknown[]): unknown[] {
      const out: unknown[] = [];
      for (const k of keys) out.push(this.date[k as never]);
      return out;
    }
    @readonly ticks(keys: unknown[]): unknown[] {
      const out: unknown[] = [];
      for (const k of keys) out.push(this.ticker[k as never]);
      return out;
    }
    @readonly hits(): number {
      return this.ticker.hits;
    }
  }
  let sys: Prevalent<Root>;
  beforeEach(() => {
    sys = initSystem(Root, { basedir: freshBasedir(), durability: 'none', classes: [Ticker] });
  });
  afterEach(async () => {
    await sys.close();
  });

  it("Symbol.toStringTag reads a Date view's tag, as the views do", () => {
    expect(sys.tags([Symbol.toStringTag])).toEqual(['Date']);
    expect(sys.tags([Symbol.toStringTag])).toEqual(['Date']);
    // Other keys still read the raw state.
    const before = pureQueryStats.rawRuns;
    expect(sys.tags(['x', Symbol.iterator])).toEqual([undefined, undefined]);
    expect(pureQueryStats.rawRuns).toBe(before + 1);
  });

  it('a symbol naming a getter that changes state reads on the views, which refuse', () => {
    expect(() => sys.ticks([TICK])).toThrow(
      expect.objectContaining({ code: 'READONLY_VIOLATION' }),
    );
    expect(sys.hits()).toBe(0);
  });
});
