import { types } from 'node:util';
import { abortOnException, initSystem } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { codeOf } from './helpers';

// Regression (Node 22 and later, whose Set.prototype has union, intersection, difference,
// symmetricDifference, isSubsetOf, isSupersetOf and isDisjointFrom): a view or tracking proxy ran
// them on the raw Set as plain reads, and the built-in calls the other set-like's `has` with the
// members of its receiver: the raw state objects. Outside actions, a `has` of the caller's got them
// and changed the state behind the journal; inside an action, a change the domain's own `has` made
// to one was not recorded, so an @abortOnException method that threw kept it live while the
// journal had nothing. Their answers were those of the raw world too: `view.intersection(new
// Set([...view]))` was empty, `view.union(new Set([...view]))` twice as large. The other
// set-like's `has` now gets the views (tracking proxies) plain code meets, and what its `keys()`
// yields is matched as the state object it stands for.

type SetMethods<T> = Set<T> & {
  union(other: SetLike<T>): Set<T>;
  intersection(other: SetLike<T>): Set<T>;
  difference(other: SetLike<T>): Set<T>;
  symmetricDifference(other: SetLike<T>): Set<T>;
  isSubsetOf(other: SetLike<T>): boolean;
  isSupersetOf(other: SetLike<T>): boolean;
  isDisjointFrom(other: SetLike<T>): boolean;
};
interface SetLike<T> {
  size: number;
  has(value: T): boolean;
  keys(): Iterator<T>;
}

const native = typeof (Set.prototype as Partial<SetMethods<unknown>>).isSubsetOf;
const withSetMethods = native === 'function' ? describe : describe.skip;

interface Item {
  n: number;
}

/** A set-like that says it holds everything and remembers what it was asked about. */
function askedAbout(): SetLike<Item> & { asked: Item[] } {
  const asked: Item[] = [];
  return {
    asked,
    size: 1e9,
    has(value: Item) {
      asked.push(value);
      return true;
    },
    keys: () => [][Symbol.iterator](),
  };
}

class Items {
  items = new Set<Item>([{ n: 1 }, { n: 2 }]) as SetMethods<Item>;
  more = new Set<Item>() as SetMethods<Item>;

  addMore(): void {
    for (const item of this.items) this.more.add(item);
    this.more.add({ n: 3 });
  }

  @abortOnException
  bumpThroughHas(fail: boolean): void {
    this.items.isSubsetOf({
      size: 1e9,
      has: (item: Item) => {
        item.n += 10;
        return true;
      },
      keys: () => [][Symbol.iterator](),
    });
    if (fail) throw new Error('refused after the change');
  }

  kept: Set<Item> | undefined;

  keep(set: Set<Item>): void {
    this.kept = set;
  }

  /** A new Set an action makes with union() and returns, not storing it. */
  withExtra(): Set<Item> {
    return this.items.union(new Set([{ n: 3 }]));
  }

  /** The answers plain JavaScript gives, inside an action. */
  answers(): unknown[] {
    const copy = new Set(this.items);
    return [
      this.items.intersection(copy).size,
      this.items.union(copy).size,
      this.items.difference(copy).size,
      this.items.isSubsetOf(this.more),
      this.more.isSupersetOf(this.items),
    ];
  }
}

const open: Array<Prevalent<Items>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
function openItems(dir: string): Prevalent<Items> {
  const s = initSystem(new Items(), { basedir: dir });
  open.push(s);
  return s;
}
const numbers = (s: Prevalent<Items>) => [...s.items].map((i) => i.n);

withSetMethods('the Set methods that take another set-like (native)', () => {
  it("hand the other set-like's has() views, never the raw state objects", () => {
    const s = openItems(freshBasedir());
    const view = s.items as unknown as SetMethods<Item>;
    const members = [...view];
    // isDisjointFrom stops at the first member the other has.
    const asks = { isSubsetOf: 2, isDisjointFrom: 1, intersection: 2, difference: 2 };
    for (const [name, count] of Object.entries(asks) as Array<[keyof typeof asks, number]>) {
      const other = askedAbout();
      view[name](other);
      expect([name, other.asked.length]).toEqual([name, count]);
      expect(other.asked.every((item) => types.isProxy(item))).toBe(true);
      expect(other.asked).toEqual(members.slice(0, count));
      expect(other.asked[0]).toBe(members[0]);
      expect(codeOf(() => (other.asked[0]!.n = 42))).toBe('READONLY_VIOLATION');
    }
    expect(numbers(s)).toEqual([1, 2]);
  });

  it('answer as plain JavaScript does on the views', () => {
    const s = openItems(freshBasedir());
    s.addMore();
    const view = s.items as unknown as SetMethods<Item>;
    const more = s.more as unknown as SetMethods<Item>;
    const copy = new Set(view);
    expect(view.intersection(copy).size).toBe(2);
    expect(view.union(copy).size).toBe(2);
    expect(view.difference(copy).size).toBe(0);
    expect(view.symmetricDifference(copy).size).toBe(0);
    expect(view.isSubsetOf(copy)).toBe(true);
    expect(view.isSupersetOf(copy)).toBe(true);
    expect(view.isDisjointFrom(copy)).toBe(false);
    expect(view.isSubsetOf(more)).toBe(true);
    expect(more.isSupersetOf(view)).toBe(true);
    expect([...view.union(more)]).toEqual([...more]);
    expect(s.answers()).toEqual([2, 2, 0, true, true]);
  });

  it('read the other set-like as the built-ins do: its TypeErrors, and return() when they stop early', () => {
    const s = openItems(freshBasedir());
    const view = s.items as unknown as SetMethods<Item>;
    const plain = new Set<Item>() as SetMethods<Item>;
    for (const bad of [undefined, 1, {}, { size: 1, has: 1, keys: () => [][Symbol.iterator]() }]) {
      const theirs = codeOf(() => plain.union(bad as SetLike<Item>));
      expect(theirs).toMatch(/^other: TypeError/);
      expect(codeOf(() => view.union(bad as SetLike<Item>))).toMatch(/^other: TypeError/);
    }
    let closed = 0;
    const stranger = { n: 9 };
    const other: SetLike<Item> = {
      size: 0,
      has: () => false,
      keys: () => ({
        next: () => ({ done: false, value: stranger }),
        return: () => {
          closed++;
          return { done: true, value: undefined };
        },
      }),
    };
    expect(view.isSupersetOf(other)).toBe(false);
    expect(closed).toBe(1);
  });

  it("give a new Set of the caller's: passed to an action, it is stored as a new Set of the very members (regression: STALE_REFERENCE, as if it had left the state)", async () => {
    const dir = freshBasedir();
    const s = openItems(dir);
    const view = s.items as unknown as SetMethods<Item>;
    const union = view.union(new Set([{ n: 3 }]));
    s.keep(union);
    const kept = () => [...s.kept!];
    expect(kept().map((i) => i.n)).toEqual([1, 2, 3]);
    expect(kept()[0]).toBe([...s.items][0]);
    await s.close();
    open.splice(0);
    const again = openItems(dir);
    expect([...again.kept!].map((i) => i.n)).toEqual([1, 2, 3]);
    expect([...again.kept!][1]).toBe([...again.items][1]);
  });

  it("record what an action's has() changes, so a rollback undoes it", async () => {
    const dir = freshBasedir();
    const s = openItems(dir);
    expect(codeOf(() => s.bumpThroughHas(true))).toBe('other: Error: refused after the change');
    expect(numbers(s)).toEqual([1, 2]);
    s.bumpThroughHas(false);
    expect(numbers(s)).toEqual([11, 12]);
    await s.close();
    open.splice(0);
    expect(numbers(openItems(dir))).toEqual([11, 12]);
  });

  it("give an action's caller a new Set of its own too: passed to a later action, it is stored as a new Set of the very members (regression: STALE_REFERENCE, as if it had left the state)", async () => {
    const dir = freshBasedir();
    const s = openItems(dir);
    const made = s.withExtra();
    s.keep(made);
    expect([...s.kept!].map((i) => i.n)).toEqual([1, 2, 3]);
    expect([...s.kept!][0]).toBe([...s.items][0]);
    await s.close();
    open.splice(0);
    const again = openItems(dir);
    expect([...again.kept!].map((i) => i.n)).toEqual([1, 2, 3]);
    expect([...again.kept!][1]).toBe([...again.items][1]);
  });
});
