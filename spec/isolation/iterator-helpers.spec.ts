import { initSystem, isPrevalenceError, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

// Regression (membrane review): the iterators a view hands out (a Map's,
// a Set's, an array's values(), entries(), keys()) did not inherit
// %IteratorPrototype% as the built-ins' own do, so its helpers (Node 22:
// `view.values().toArray()`, `.map()`, `.filter()`) were missing on them:
// TypeError where plain JavaScript works.

class Item {
  constructor(public name: string) {}
}

class Store {
  byName = new Map<string, Item>([
    ['a', new Item('a')],
    ['b', new Item('b')],
  ]);
  tags = new Set(['x', 'y']);
  list = [new Item('c'), new Item('d')];

  @readonly
  names(): string[] {
    return [...this.byName.values()].map((i) => i.name);
  }
}

const open: Array<Prevalent<Store>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const iteratorPrototype = Object.getPrototypeOf(
  Object.getPrototypeOf([][Symbol.iterator]()) as object,
) as object;

interface Helpers<T> {
  map<U>(fn: (v: T) => U): Helpers<U>;
  filter(fn: (v: T) => boolean): Helpers<T>;
  toArray(): T[];
}
const hasHelpers = typeof (iteratorPrototype as { toArray?: unknown }).toArray === 'function';

describe('iterators handed out by views', () => {
  it('inherit %IteratorPrototype%, as the built-ins\u2019 own iterators do', () => {
    const s = initSystem(Store, { basedir: freshBasedir(), classes: [Item] });
    open.push(s);
    for (const it of [
      s.byName.values(),
      s.byName.entries(),
      s.byName.keys(),
      s.tags.values(),
      s.list.values(),
      s.list.entries(),
    ]) {
      expect(Object.getPrototypeOf(Object.getPrototypeOf(it))).toBe(iteratorPrototype);
    }
  });

  (hasHelpers ? it : it.skip)('have the iterator helpers (Node 22), which give views', () => {
    const s = initSystem(Store, { basedir: freshBasedir(), classes: [Item] });
    open.push(s);
    const values = s.byName.values() as unknown as Helpers<Item>;
    expect(values.map((i) => i.name).toArray()).toEqual(['a', 'b']);
    const items = (s.list.values() as unknown as Helpers<Item>).filter(() => true).toArray();
    expect(items.map((i) => i.name)).toEqual(['c', 'd']);
    let code: string | undefined;
    try {
      items[0]!.name = 'changed';
    } catch (err) {
      if (isPrevalenceError(err)) code = err.code;
    }
    expect(code).toBe('READONLY_VIOLATION');
    expect((s.tags.values() as unknown as Helpers<string>).toArray()).toEqual(['x', 'y']);
    expect(s.names()).toEqual(['a', 'b']);
  });
});
