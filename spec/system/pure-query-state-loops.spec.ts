import { initSystem, persistent, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * Pure reads that loop over a value of the state (`for (const p of
 * this.list)`, `for (const p of this.byId.values())`): they run on the raw
 * state, hand out the views the views would, and go the views' way
 * whenever the iteration a state value may have is not the built-ins' own.
 */

const opened = closedAfterEach();

@persistent('LoopPage')
class Page {
  tags: string[] = [];
  constructor(
    public id: string,
    public by: string,
  ) {}
}

@persistent('LoopShelf')
class Shelf {
  items: string[] = ['x'];
}

class Wiki {
  list: Page[] = [];
  byId = new Map<string, Page>();
  authors = new Set<string>();
  bytes = new Uint8Array([1, 2, 3]);
  plain: Record<string, number> = { a: 1 };
  shelf = new Shelf();
  add(id: string, by: string, tags: string[] = []): void {
    const page = new Page(id, by);
    page.tags = tags;
    this.list.push(page);
    this.byId.set(id, page);
    this.authors.add(by);
  }
  @readonly pagesBy(by: string): Page[] {
    const out = [];
    for (const p of this.list) if (p.by === by) out.push(p);
    return out;
  }
  @readonly idsOf(by: string): string[] {
    const out = [];
    for (const entry of this.byId) if (entry[1].by === by) out.push(entry[0]);
    return out;
  }
  @readonly firstBy(by: string): Page | undefined {
    for (const p of this.list) {
      if (p.by === by) return p;
    }
    return undefined;
  }
  @readonly tagged(tag: string): Page[] {
    const out = [];
    for (const p of this.list) {
      for (const t of p.tags) {
        if (t === tag) {
          out.push(p);
          break;
        }
      }
    }
    return out;
  }
  @readonly authorList(): string[] {
    const out = [];
    for (const a of this.authors) out.push(a);
    return out;
  }
  @readonly byteList(): number[] {
    const out = [];
    for (const b of this.bytes) out.push(b);
    return out;
  }
  @readonly plainLoop(): unknown[] {
    const out = [];
    for (const x of this.plain as unknown as unknown[]) out.push(x);
    return out;
  }
  @readonly shelfLoop(): unknown[] {
    const out = [];
    for (const x of this.shelf as unknown as unknown[]) out.push(x);
    return out;
  }
}

function wiki(): Prevalent<Wiki> {
  const sys = opened(initSystem(Wiki, { basedir: freshBasedir(), classes: [Page, Shelf] }));
  sys.add('a', 'ann', ['x']);
  sys.add('b', 'bob', ['y', 'x']);
  sys.add('c', 'ann');
  return sys;
}

/** Calls `query` twice (the first makes the views) and returns the second result and whether it ran raw. */
function twice<T>(query: () => T): { first: T; second: T; raw: boolean } {
  const first = query();
  const before = pureQueryStats.rawRuns;
  const second = query();
  return { first, second, raw: pureQueryStats.rawRuns === before + 1 };
}

describe('a pure read looping over a value of the state', () => {
  it('runs on the raw state and hands out the views the views gave', () => {
    const sys = wiki();
    const { first, second, raw } = twice(() => sys.pagesBy('ann'));
    expect(raw).toBe(true);
    expect(second).not.toBe(first);
    expect(second.map((p) => p.id)).toEqual(['a', 'c']);
    expect(second[0]).toBe(first[0]);
    expect(second.every((p) => isView(p))).toBe(true);
    expect(isView(second)).toBe(false);
  });

  it('runs raw over a Map (its entries), a Set, a typed array, nested loops and a first match', () => {
    const sys = wiki();
    const ids = twice(() => sys.idsOf('ann'));
    expect([ids.raw, ids.second]).toEqual([true, ['a', 'c']]);
    const authors = twice(() => sys.authorList());
    expect([authors.raw, authors.second]).toEqual([true, ['ann', 'bob']]);
    const bytes = twice(() => sys.byteList());
    expect([bytes.raw, bytes.second]).toEqual([true, [1, 2, 3]]);
    const tagged = twice(() => sys.tagged('x'));
    expect(tagged.raw).toBe(true);
    expect(tagged.second.map((p) => p.id)).toEqual(['a', 'b']);
    expect(tagged.second[1]).toBe(tagged.first[1]);
    const first = twice(() => sys.firstBy('bob'));
    expect(first.raw).toBe(true);
    expect(first.second).toBe(first.first);
    expect(isView(first.second)).toBe(true);
  });

  it('throws what the views throw over a value that is not iterable', () => {
    const sys = wiki();
    expect(() => sys.plainLoop()).toThrow(TypeError);
    expect(() => sys.shelfLoop()).toThrow(TypeError);
  });

  it('leaves the state as it was', async () => {
    const sys = wiki();
    sys.pagesBy('ann');
    sys.pagesBy('ann');
    sys.idsOf('bob');
    const dir = sys.basedirAbspath();
    await sys.close();
    const again = opened(initSystem(Wiki, { basedir: dir, classes: [Page, Shelf] }));
    expect(again.list.map((p) => [p.id, p.by])).toEqual([
      ['a', 'ann'],
      ['b', 'bob'],
      ['c', 'ann'],
    ]);
  });
});

describe('a loop over a value of the state goes the views’ way', () => {
  /**
   * Runs `query` with `patch` applied, expecting no raw run. The patch is
   * undone before anything is asserted: jest's own code iterates arrays too.
   */
  function onViews<T>(query: () => T, patch: () => () => void): T {
    query();
    const undo = patch();
    let result: T;
    let ran: number;
    try {
      const before = pureQueryStats.rawRuns;
      result = query();
      ran = pureQueryStats.rawRuns - before;
    } finally {
      undo();
    }
    expect(ran).toBe(0);
    return result;
  }

  /** Puts `value` at `holder[key]` (own, configurable) and gives the undo. */
  function put(holder: object, key: PropertyKey, value: unknown): () => void {
    const desc = Reflect.getOwnPropertyDescriptor(holder, key);
    Reflect.defineProperty(holder, key, {
      value,
      configurable: true,
      writable: true,
      enumerable: false,
    });
    return () => {
      if (desc === undefined) Reflect.deleteProperty(holder, key);
      else Reflect.defineProperty(holder, key, desc);
    };
  }

  const arrayIterator = Object.getPrototypeOf([][Symbol.iterator]()) as object;
  const mapIterator = Object.getPrototypeOf(new Map()[Symbol.iterator]()) as object;
  const iterator = Object.getPrototypeOf(arrayIterator) as object;

  it.each<[string, () => () => void]>([
    [
      'Array.prototype[Symbol.iterator] replaced',
      () =>
        put(Array.prototype, Symbol.iterator, function* (this: unknown[]) {
          yield* Array.prototype.values.call(this);
        }),
    ],
    [
      'the array iterators’ next() replaced',
      () => put(arrayIterator, 'next', () => ({ done: true })),
    ],
    ['a return() on the iterators’ chain', () => put(iterator, 'return', () => ({ done: true }))],
    ['a Symbol.iterator on Object.prototype', () => put(Object.prototype, Symbol.iterator, null)],
  ])('with %s', (_what, patch) => {
    const sys = wiki();
    const pages = onViews(() => sys.pagesBy('ann'), patch);
    expect(pages.map((p) => p.id)).toEqual(['a', 'c']);
  });

  it.each<[string, () => () => void]>([
    ['the Map iterators’ next() replaced', () => put(mapIterator, 'next', () => ({ done: true }))],
    [
      'Map.prototype[Symbol.iterator] replaced',
      () =>
        put(Map.prototype, Symbol.iterator, function (this: Map<unknown, unknown>) {
          return Map.prototype.entries.call(this);
        }),
    ],
  ])('over a Map with %s', (_what, patch) => {
    const sys = wiki();
    onViews(() => sys.idsOf('ann'), patch);
  });

  it('with a Symbol.iterator on a typed array’s prototype', () => {
    const sys = wiki();
    onViews(
      () => sys.byteList(),
      () => put(Uint8Array.prototype, Symbol.iterator, Array.prototype.values),
    );
  });

  it('with a property at an array index of Object.prototype defined since the guard last looked (a hole of a state array would read it with the raw array as receiver)', () => {
    const sys = wiki();
    onViews(
      () => sys.pagesBy('ann'),
      () => put(Object.prototype, '5', undefined),
    );
  });

  it('while a registered class has a Symbol.iterator of its own', () => {
    @persistent('LoopIterable')
    class Iterable {
      *[Symbol.iterator](): Generator<number> {
        yield 1;
      }
    }
    const sys = opened(
      initSystem(Wiki, { basedir: freshBasedir(), classes: [Page, Shelf, Iterable] }),
    );
    sys.add('a', 'ann');
    sys.pagesBy('ann');
    const before = pureQueryStats.rawRuns;
    expect(sys.pagesBy('ann').map((p) => p.id)).toEqual(['a']);
    expect(pureQueryStats.rawRuns).toBe(before);
  });
});
