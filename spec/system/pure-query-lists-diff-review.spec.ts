import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
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

describe('a loop counter that is no array index', () => {
  class Odd {
    hits = 0;
    get '0.5'(): number {
      return ++this.hits;
    }
    get 4294967295(): number {
      return ++this.hits;
    }
  }
  class Root {
    odd = new Odd();
    @readonly half(): unknown[] {
      const out: unknown[] = [];
      for (let i = 0.5; i < 1; i++) out.push(this.odd[i as never]);
      return out;
    }
    @readonly big(): unknown[] {
      const out: unknown[] = [];
      for (let i = 4294967295; i < 4294967296; i++) out.push(this.odd[i as never]);
      return out;
    }
    @readonly first(): unknown[] {
      const out: unknown[] = [];
      for (let i = 0; i < 2; i++) out.push(this.odd[i as never], i);
      return out;
    }
    @readonly hits(): number {
      return this.odd.hits;
    }
  }
  let sys: Prevalent<Root>;
  beforeEach(() => {
    sys = initSystem(Root, { basedir: freshBasedir(), durability: 'none', classes: [Odd] });
  });
  afterEach(async () => {
    await sys.close();
  });

  it.each(['half', 'big'] as const)(
    'reads a getter named like it (%s) on the views, which refuse its change',
    (name) => {
      expect(() => sys[name]()).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
      expect(sys.hits()).toBe(0);
    },
  );

  it('is no pure read from a start that is no whole number; from a whole number the guard decides per call', () => {
    const fnOf = (source: string): unknown => new Function(`return function (a) { ${source} }`)();
    const half = 'for (let i = 0.5; i < 3; i++)';
    expect(pureReadOf(fnOf(`${half} if (i in this.x) return 1; return 0;`))).toBeUndefined();
    expect(pureReadOf(fnOf(`${half} if (this.x[i]) return 1; return 0;`))).toBeUndefined();
    expect(pureReadOf(fnOf(`${half} if (this.x === i) return i; return 0;`))).toBeUndefined();
    for (const head of [
      'for (let i = 4294967295; i < 4294967296; i++)',
      'for (let i = 0; i <= 4294967295; i++)',
    ]) {
      expect(pureReadOf(fnOf(`${head} if (this.x[i]) return 1; return 0;`))).toBeDefined();
    }
  });

  it('an index counter reads on the views too while a getter that changes state has a whole number for its name (the guard does not tell which numbers a counter reaches)', () => {
    sys.first();
    const before = pureQueryStats.rawRuns;
    expect(sys.first()).toEqual([undefined, 0, undefined, 1]);
    expect(pureQueryStats.rawRuns).toBe(before);
    expect(sys.hits()).toBe(0);
  });
});

describe('a list argument with an own Symbol.iterator', () => {
  class Root {
    @readonly each(ids: string[]): unknown[] {
      const out: unknown[] = [];
      for (const id of ids) out.push(id);
      return out;
    }
    @readonly count(ids: string[]): unknown[] {
      const out: unknown[] = [];
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
      return out;
    }
  }
  let sys: Prevalent<Root>;
  beforeEach(() => {
    sys = initSystem(Root, { basedir: freshBasedir(), durability: 'none' });
  });
  afterEach(async () => {
    await sys.close();
  });

  it('is iterated by for…of as the views do (its own iterator)', () => {
    const ids = ['a', 'b'];
    Object.defineProperty(ids, Symbol.iterator, {
      value: function* () {
        yield 'x';
      },
    });
    expect(sys.each(ids)).toEqual(['x']);
  });

  it('is still copied for a counting loop, which does not iterate', () => {
    const ids = ['a', 'b'];
    Object.defineProperty(ids, Symbol.iterator, {
      value: function* () {
        yield 'x';
      },
    });
    const before = pureQueryStats.rawRuns;
    expect(sys.count(ids)).toEqual(['a', 'b']);
    expect(pureQueryStats.rawRuns).toBe(before + 1);
  });
});
