import { initSystem, readonly, type Prevalent } from '../../lib';
import { isTracking, isView } from '../../lib/isolation/registry';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * A program may replace a built-in method after the system opened (a
 * logging wrapper of Map.prototype.get, say). The membrane must never call
 * the replacement with a raw state object as `this`: the program would then
 * hold the raw object and could change the state behind the journal's back.
 * Found with a script at the start of session 25: a view's and a tracking
 * proxy's `map.get(k)` called `raw.get(k)`, whatever Map.prototype.get was
 * by then; a pure read's raw run did the same for a replacement made after
 * the guard last looked; an action's sort() or fill() of a state array
 * called the array's current `slice`.
 */

const opened = closedAfterEach();

/** The raw state object's mark: only the state's own collections hold it. */
const NEEDLE = 'needle';

class Page {
  constructor(
    public id = '',
    public rev = 0,
  ) {}
}

class Book {
  byId = new Map<string, Page>([[NEEDLE, new Page(NEEDLE)]]);
  tags = new Set<string>([NEEDLE]);
  words = ['c', NEEDLE, 'a'];
  shelf = new Set<unknown>([NEEDLE, new Page('m')]);
  byPos = new Map<unknown, unknown>([
    [NEEDLE, 0],
    [{ pos: 1 }, new Page('p')],
  ]);

  add(id: string): void {
    this.byId.set(id, new Page(id));
  }

  /** Through the tracking proxy of byId. */
  touch(id: string): number {
    const page = this.byId.get(id);
    if (page !== undefined) page.rev++;
    return page?.rev ?? -1;
  }

  tag(tag: string): void {
    this.tags.add(tag);
  }

  /** Takes a view of a state object back as an argument: journaled by its path (locate). */
  bump(page: Page): number {
    return ++page.rev;
  }

  sortWords(): void {
    this.words.sort();
  }

  fillWords(): void {
    this.words.fill('z', 0, 1);
  }

  /** A pure read by `get`: runs on the raw state when the guard allows. */
  @readonly find(id: string): Page | undefined {
    return this.byId.get(id);
  }

  /** A pure read by `has`. */
  @readonly tagged(tag: string): boolean {
    return this.tags.has(tag);
  }

  /** The same look-up on the views (an array literal is no pure read). */
  @readonly findOnViews(id: string): Page | undefined {
    void [].length;
    return this.byId.get(id);
  }
}

const mapHas = Map.prototype.has;
const setHas = Set.prototype.has;
const arrayIncludes = Array.prototype.includes;

/** Whether `self` is one of the state's raw collections (not a view, not a tracking proxy). */
function isRawStateCollection(self: unknown): boolean {
  if (isView(self) || isTracking(self)) return false;
  if (self instanceof Map) return mapHas.call(self, NEEDLE);
  if (self instanceof Set) return setHas.call(self, NEEDLE);
  if (Array.isArray(self)) return arrayIncludes.call(self, NEEDLE);
  return false;
}

/**
 * Runs `fn` with `holder[name]` replaced by a wrapper that calls the
 * original and notes whether it was called on a raw state collection.
 */
function withReplaced<T>(
  holder: object,
  name: PropertyKey,
  fn: () => T,
): { result: T; raw: number } {
  const h = holder as Record<PropertyKey, (...args: unknown[]) => unknown>;
  const original = h[name]!;
  let raw = 0;
  let inCheck = false;
  h[name] = function (this: unknown, ...args: unknown[]) {
    // The check itself calls library code, which may call the replacement again.
    if (!inCheck) {
      inCheck = true;
      try {
        if (isRawStateCollection(this)) raw++;
      } finally {
        inCheck = false;
      }
    }
    return original.apply(this, args);
  };
  try {
    return { result: fn(), raw };
  } finally {
    h[name] = original;
  }
}

function open(): Prevalent<Book> {
  const book = opened(initSystem(Book, { basedir: freshBasedir(), classes: [Page] }));
  book.add('a');
  return book;
}

describe('a built-in method the program replaced after the system opened', () => {
  it('is not given the raw Map by a pure read by get (the raw run goes the views’ way)', () => {
    const book = open();
    const view = book.find('a');
    const before = pureQueryStats.rawRuns;
    expect(book.find('a')).toBe(view);
    expect(pureQueryStats.rawRuns).toBe(before + 1); // the guard had allowed it
    const { result, raw } = withReplaced(Map.prototype, 'get', () => book.find('a'));
    expect(raw).toBe(0);
    expect(result).toBe(view);
  });

  it('is not given the raw Set by a pure read by has', () => {
    const book = open();
    expect(book.tagged(NEEDLE)).toBe(true);
    const { result, raw } = withReplaced(Set.prototype, 'has', () => book.tagged(NEEDLE));
    expect(raw).toBe(0);
    expect(result).toBe(true);
  });

  it('is not given the raw Map by a view’s get', () => {
    const book = open();
    const view = book.findOnViews('a');
    const { result, raw } = withReplaced(Map.prototype, 'get', () => book.findOnViews('a'));
    expect(raw).toBe(0);
    expect(result).toBe(view);
    // Read outside any query too: the system's property gives the Map's view.
    expect(withReplaced(Map.prototype, 'get', () => book.byId.get('a')).raw).toBe(0);
  });

  it('is not given the raw Map by a tracking proxy’s get in an action', () => {
    const book = open();
    const { result, raw } = withReplaced(Map.prototype, 'get', () => book.touch('a'));
    expect(raw).toBe(0);
    expect(result).toBe(1);
    expect(book.find('a')?.rev).toBe(1);
  });

  it('added to Set.prototype after load runs with the view as this, and works through it', () => {
    const book = open();
    const proto = Set.prototype as unknown as Record<string, unknown>;
    let onView = false;
    proto['sortedCopy'] = function (this: Set<string>) {
      onView = isView(this);
      return [...this].sort();
    };
    try {
      const tags = book.tags as unknown as { sortedCopy(): string[] };
      expect(tags.sortedCopy()).toEqual([NEEDLE]);
      expect(onView).toBe(true);
    } finally {
      delete proto['sortedCopy'];
    }
  });

  it('replaced in Map.prototype after load is not called through a view (the built-in runs)', () => {
    const book = open();
    const proto = Map.prototype as unknown as Record<string, unknown>;
    const original = proto['get'];
    let viewCalls = 0;
    proto['get'] = function (this: unknown, ...args: unknown[]) {
      if (isView(this)) viewCalls++;
      return Reflect.apply(original as (...a: unknown[]) => unknown, this, args);
    };
    try {
      expect(book.byId.get('a')?.id).toBe('a');
    } finally {
      proto['get'] = original;
    }
    expect(viewCalls).toBe(0);
  });

  it('is not given the raw array by an action’s sort() or fill() (Array.prototype.slice)', () => {
    const book = open();
    expect(withReplaced(Array.prototype, 'slice', () => book.sortWords()).raw).toBe(0);
    expect(withReplaced(Array.prototype, 'slice', () => book.fillWords()).raw).toBe(0);
    expect([...book.words]).toEqual(['z', 'c', NEEDLE]);
  });

  it('is not given the raw Map by an action’s map.set() (its has, get and set)', () => {
    for (const name of ['has', 'get', 'set']) {
      const book = open();
      const { raw } = withReplaced(Map.prototype, name, () => book.add('b'));
      expect([name, raw]).toEqual([name, 0]);
      expect(book.find('b')?.id).toBe('b');
    }
  });

  it('is not given the raw Set by an action’s set.add() (its has and add)', () => {
    for (const name of ['has', 'add']) {
      const book = open();
      const { raw } = withReplaced(Set.prototype, name, () => book.tag('new'));
      expect([name, raw]).toEqual([name, 0]);
      expect(book.tagged('new')).toBe(true);
    }
  });

  it('is not given the raw Map by the check of a known place when an action reads an object by get', () => {
    const book = open();
    book.find('a'); // read on the views: its place is recorded, and checked when an action reaches it
    const { result, raw } = withReplaced(Map.prototype, 'get', () => book.touch('a'));
    expect(raw).toBe(0);
    expect(result).toBe(1);
  });

  it('is not given the raw Map or Set when a view passed back is located', () => {
    const cases: Array<[object, PropertyKey, (b: Prevalent<Book>) => Page]> = [
      [Map.prototype, 'get', (b) => b.find('a')!],
      [Set.prototype, 'values', (b) => [...b.shelf].find((x) => x instanceof Page) as Page],
      [Set.prototype, 'keys', (b) => [...b.shelf].find((x) => x instanceof Page) as Page],
      [Map.prototype, 'values', (b) => [...b.byPos.values()][1] as Page],
      [Map.prototype, Symbol.iterator, (b) => [...b.byPos.values()][1] as Page],
    ];
    for (const [proto, name, pick] of cases) {
      const book = open();
      const page = pick(book);
      const { result, raw } = withReplaced(proto, name, () => book.bump(page));
      expect([String(name), raw]).toEqual([String(name), 0]);
      expect(result).toBe(1);
    }
  });

  it('is not given a raw member by the Map and Set iterators’ next() when a view passed back is located', () => {
    const iteratorProtos: Array<[string, { next: (...a: unknown[]) => unknown }]> = [
      ['Set iterator', Object.getPrototypeOf(new Set().values()) as never],
      ['Map iterator', Object.getPrototypeOf(new Map().entries()) as never],
    ];
    const isRawPage = (v: unknown): boolean => v instanceof Page && !isView(v) && !isTracking(v);
    for (const [what, proto] of iteratorProtos) {
      const book = open();
      const fromSet = [...book.shelf].find((x) => x instanceof Page) as Page;
      const fromMap = [...book.byPos.values()][1] as Page;
      const original = proto.next;
      let raw = 0;
      proto.next = function (this: unknown, ...args: unknown[]) {
        const r = Reflect.apply(original, this, args) as { value?: unknown };
        const v = r.value;
        if (isRawPage(v) || (Array.isArray(v) && v.some(isRawPage))) raw++;
        return r;
      };
      try {
        expect(book.bump(fromSet)).toBe(1);
        expect(book.bump(fromMap)).toBe(1);
      } finally {
        proto.next = original;
      }
      expect([what, raw]).toEqual([what, 0]);
    }
  });
});
