import * as vm from 'node:vm';
import { initSystem, persistent, readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import type { Prevalent } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { ListPage as Page, ListWiki, wikiOfAB } from '../support/list-wiki';

/**
 * Ways a list-gathering pure read on the raw state (see pure-query.ts:
 * `const out = []`, counting and `for…of` loops over a list argument,
 * `out.push(x)`, `return out`) handed a raw state object to code of the
 * caller's, changed the state or answered other than the views, found in
 * review.
 */

const opened = closedAfterEach();

class Wiki extends ListWiki {
  @readonly firstThen(ids: string[], then: string): unknown[] {
    const out = [];
    for (const id of ids) {
      out.push(this.pages[id]);
      break;
    }
    out.push(this.pages[then]);
    return out;
  }
  @readonly firstOf(ids: string[]): unknown[] {
    const out = [];
    for (let i = 0; i < 1; i++) out.push(this.pages[ids[i] as string]);
    return out;
  }
  @readonly firstOfOnViews(ids: string[]): unknown[] {
    void [].length;
    const out = [];
    for (let i = 0; i < 1; i++) out.push(this.pages[ids[i] as string]);
    return out;
  }
}

/** A wiki of pages a and b whose views exist (so a raw run hands them out). */
function wiki(): Prevalent<Wiki> {
  return wikiOfAB(Wiki, opened);
}

/** The raw state objects (pages that are no views) among `seen`. */
const rawPages = (seen: Iterable<unknown>): unknown[] =>
  [...seen].filter((v) => v instanceof Page && !isView(v));

describe('the bench-like list read', () => {
  it('still runs on the raw state, with the views the views would give', () => {
    const sys = wiki();
    const before = pureQueryStats.rawRuns;
    const pages = sys.getPages(['a', 'b', 'nope']);
    expect(pureQueryStats.rawRuns).toBe(before + 1);
    expect(pages.map((p) => isView(p))).toEqual([true, true, false]);
  });
});

const push = Array.prototype.push;

/** Array.prototype.push replaced by one that records what it is given; returns the undo. */
function recordingPush(seen: Set<unknown>): () => void {
  Array.prototype.push = function (this: unknown[], ...items: unknown[]): number {
    for (const item of [this, ...items]) {
      seen.add(item);
      if (Array.isArray(item)) for (const inner of item) seen.add(inner);
    }
    return push.apply(this, items);
  };
  return () => {
    Array.prototype.push = push;
  };
}

describe('a getter element of a list argument, run while the guard copies the list', () => {
  it('patching Array.prototype.push after the guard looked: the patch got the raw pages', () => {
    const sys = wiki();
    const seen = new Set<unknown>();
    let undo = (): void => undefined;
    const ids = ['a', 'b'];
    Object.defineProperty(ids, 1, {
      get() {
        undo = recordingPush(seen);
        return 'b';
      },
    });
    try {
      expect(sys.getPages(ids)).toEqual(sys.getPages(['a', 'b']));
    } finally {
      undo();
    }
    expect(rawPages(seen)).toEqual([]);
  });

  it('defining a setter at an array index of Array.prototype after the guard looked: it got a raw page', () => {
    const sys = wiki();
    const seen = new Set<unknown>();
    const ids = ['a', 'b'];
    Object.defineProperty(ids, 0, {
      get() {
        Object.defineProperty(Array.prototype, '1', {
          configurable: true,
          set(this: unknown[], value: unknown) {
            seen.add(value);
            Object.defineProperty(this, '1', {
              value,
              writable: true,
              enumerable: true,
              configurable: true,
            });
          },
        });
        return 'a';
      },
    });
    try {
      sys.getPages(ids);
    } finally {
      delete (Array.prototype as unknown as Record<string, unknown>)['1'];
    }
    expect(seen.size).toBeGreaterThan(0);
    expect(rawPages(seen)).toEqual([]);
  });
});

describe('a getter element of a list argument that throws', () => {
  it('made the call throw though the query never reads that element (the views answer)', () => {
    const sys = wiki();
    const ids = ['a', 'b'];
    Object.defineProperty(ids, 1, {
      get() {
        throw new Error('never read');
      },
    });
    const onViews = sys.firstOfOnViews(ids);
    expect(onViews).toHaveLength(1);
    expect(sys.firstOf(ids)).toEqual(onViews);
  });
});

describe('the built-ins a list run calls, checked by reading them', () => {
  it('a getter at Array.prototype.push (giving the built-in) was called with the list of raw pages', () => {
    const sys = wiki();
    const seen = new Set<unknown>();
    Object.defineProperty(Array.prototype, 'push', {
      configurable: true,
      get(this: unknown) {
        if (Array.isArray(this)) for (const item of this) seen.add(item);
        return push;
      },
    });
    try {
      sys.getPages(['a', 'b']);
    } finally {
      Object.defineProperty(Array.prototype, 'push', {
        value: push,
        writable: true,
        configurable: true,
      });
    }
    expect(rawPages(seen)).toEqual([]);
  });

  it('a getter at Array.prototype[Symbol.iterator] (giving the built-in) ran as the loop began, and patched push', () => {
    const sys = wiki();
    sys.firstThen(['zz'], 'b');
    const values = Array.prototype[Symbol.iterator];
    const seen = new Set<unknown>();
    let undo = (): void => undefined;
    Object.defineProperty(Array.prototype, Symbol.iterator, {
      configurable: true,
      get(this: unknown) {
        // Only for the loop over the argument (the guard reads it on Array.prototype).
        if (Array.isArray(this) && this[0] === 'zz') undo = recordingPush(seen);
        return values;
      },
    });
    try {
      sys.firstThen(['zz'], 'b');
    } finally {
      undo();
      Object.defineProperty(Array.prototype, Symbol.iterator, {
        value: values,
        writable: true,
        configurable: true,
      });
    }
    expect(seen.size).toBeGreaterThan(0);
    expect(rawPages(seen)).toEqual([]);
  });

  it('a return() on the iterators\u2019 prototype, called by `break`, patched push in the middle of the run', () => {
    const sys = wiki();
    sys.firstThen(['a'], 'b');
    const iterators = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<
      string,
      unknown
    >;
    const seen = new Set<unknown>();
    let undo = (): void => undefined;
    Object.defineProperty(iterators, 'return', {
      configurable: true,
      writable: true,
      value() {
        undo = recordingPush(seen);
        return { done: true, value: undefined };
      },
    });
    try {
      sys.firstThen(['a'], 'b');
    } finally {
      undo();
      delete iterators['return'];
    }
    expect(seen.size).toBeGreaterThan(0);
    expect(rawPages(seen)).toEqual([]);
  });

  it('a Proxy between Array.prototype and Object.prototype: its set trap got the raw pages', () => {
    const sys = wiki();
    const seen = new Set<unknown>();
    const trap = new Proxy(Object.prototype, {
      set(_target, key, value: unknown, receiver: object) {
        seen.add(value);
        return Reflect.defineProperty(receiver, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      },
    });
    Object.setPrototypeOf(Array.prototype, trap);
    try {
      sys.getPages(['a', 'b']);
    } finally {
      Object.setPrototypeOf(Array.prototype, Object.prototype);
    }
    expect(rawPages(seen)).toEqual([]);
  });
});

const TALLY = Symbol('tally');

@persistent('ListsReviewSymbolCounter')
class SymbolCounter {
  hits = 0;
  get [TALLY](): number {
    this.hits++;
    return this.hits;
  }
}

class SymbolKeys {
  s = new SymbolCounter();
  when = new Date(0);
  @readonly ofCounter(keys: symbol[]): unknown[] {
    const out = [];
    for (const k of keys) out.push((this.s as unknown as Record<symbol, unknown>)[k]);
    return out;
  }
  @readonly ofDate(keys: symbol[]): unknown[] {
    const out = [];
    for (const k of keys) out.push((this.when as unknown as Record<symbol, unknown>)[k]);
    return out;
  }
  @readonly ofDateOnViews(keys: symbol[]): unknown[] {
    void [].length;
    const out = [];
    for (const k of keys) out.push((this.when as unknown as Record<symbol, unknown>)[k]);
    return out;
  }
  @readonly hits(): number {
    return this.s.hits;
  }
}

describe('a symbol element used as a key while no getter the guard counts impure has a string key', () => {
  it('was not checked: a symbol-keyed getter that changes state ran on the raw state', () => {
    const sys = opened(
      initSystem(SymbolKeys, { basedir: freshBasedir(), classes: [SymbolCounter] }),
    );
    expect(() => sys.ofCounter([TALLY])).toThrow(
      expect.objectContaining({ code: 'READONLY_VIOLATION' }),
    );
    expect(sys.hits()).toBe(0);
  });

  it('was not checked: Symbol.toStringTag of a Date answered undefined, where its view answers "Date"', () => {
    const sys = opened(
      initSystem(SymbolKeys, { basedir: freshBasedir(), classes: [SymbolCounter] }),
    );
    expect(sys.ofDate([Symbol.toStringTag])).toEqual(sys.ofDateOnViews([Symbol.toStringTag]));
  });
});

class Counter {
  hits = 0;
  get counted(): number {
    this.hits++;
    return this.hits;
  }
  get undefined(): number {
    this.hits++;
    return this.hits;
  }
}

class Counted {
  c = new Counter();
  @readonly throughEnd(keys: string[]): unknown[] {
    const out = [];
    for (let i = 0; i <= keys.length; i++) out.push(this.c[keys[i] as keyof Counter]);
    return out;
  }
  @readonly hits(): number {
    return this.c.hits;
  }
}

describe('a list argument read past its end, its element used as a key', () => {
  const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

  it('read `undefined` as the key: a getter named "undefined" that changes state ran on the raw state', () => {
    const sys = opened(initSystem(Counted, { basedir: freshBasedir(), classes: [Counter] }));
    expect(() => sys.throughEnd([])).toThrow(refused);
    expect(sys.hits()).toBe(0);
  });

  it('read a value Array.prototype holds at that index as the key (a getter that changes state ran)', () => {
    const sys = opened(initSystem(Counted, { basedir: freshBasedir(), classes: [Counter] }));
    const protoIndexes = Array.prototype as unknown as Record<string, unknown>;
    protoIndexes['1'] = 'counted';
    try {
      // Views: `keys[1]` is 'counted' there too, and the getter is refused.
      expect(() => sys.throughEnd(['hits'])).toThrow(refused);
    } finally {
      delete protoIndexes['1'];
    }
    expect(sys.hits()).toBe(0);
  });
});

class HalfIndexed {
  hits = 0;
  get '0.5'(): number {
    this.hits++;
    return this.hits;
  }
}

class HalfCounter {
  o = new HalfIndexed();
  @readonly half(): unknown[] {
    const out = [];
    for (let i = 0.5; i < 1; i++) out.push(this.o[i as unknown as '0.5']);
    return out;
  }
  @readonly hits(): number {
    return this.o.hits;
  }
}

class BigIndexed {
  hits = 0;
  get '4294967295'(): number {
    this.hits++;
    return this.hits;
  }
}

class BigCounter {
  o = new BigIndexed();
  @readonly past32Bits(): unknown[] {
    const out = [];
    for (let i = 4294967295; i <= 4294967295; i++) out.push(this.o[i as unknown as '4294967295']);
    return out;
  }
  @readonly hits(): number {
    return this.o.hits;
  }
}

describe('a loop counter used as a key that is no array index', () => {
  const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

  it('a counter from 0.5 read a getter named "0.5" that changes state on the raw state', () => {
    expect(pureReadOf(HalfCounter.prototype.half)).toBeUndefined();
    const sys = opened(
      initSystem(HalfCounter, { basedir: freshBasedir(), classes: [HalfIndexed] }),
    );
    expect(() => sys.half()).toThrow(refused);
    expect(sys.hits()).toBe(0);
  });

  it('a counter at 2^32 - 1 read a getter named "4294967295" that changes state on the raw state', () => {
    const sys = opened(initSystem(BigCounter, { basedir: freshBasedir(), classes: [BigIndexed] }));
    expect(() => sys.past32Bits()).toThrow(refused);
    expect(sys.hits()).toBe(0);
  });
});

/** A query made in another realm: its `[]` has that realm's Array.prototype, its push that realm's. */
const foreignGetPages = vm.runInNewContext(
  '(function (ids) { const out = []; for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i]]); return out; })',
) as (ids: string[]) => unknown[];
readonly(foreignGetPages as never);
class ForeignWiki extends Wiki {}
Object.defineProperty(ForeignWiki.prototype, 'foreignGetPages', {
  value: foreignGetPages,
  configurable: true,
  writable: true,
});

describe('a list-gathering query made in another realm (vm.runInNewContext)', () => {
  it('pushed raw pages through that realm\u2019s Array.prototype, which the guard never looks at', () => {
    const sys = opened(initSystem(ForeignWiki, { basedir: freshBasedir(), classes: [Page] }));
    sys.add('a');
    const query = (sys as unknown as { foreignGetPages: typeof foreignGetPages }).foreignGetPages;
    const theirs = Object.getPrototypeOf(query(['a'])) as object;
    expect(theirs).not.toBe(Array.prototype);
    const seen: unknown[] = [];
    Object.defineProperty(theirs, '0', {
      configurable: true,
      set(this: object, value: unknown) {
        seen.push(value);
        Object.defineProperty(this, '0', {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      },
    });
    try {
      query(['a']);
    } finally {
      delete (theirs as Record<string, unknown>)['0'];
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(rawPages(seen)).toEqual([]);
  });
});
