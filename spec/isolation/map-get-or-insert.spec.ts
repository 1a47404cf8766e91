import { abortOnException, initSystem } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { codeOf } from './helpers';

// Regression (Node 26, whose Map.prototype has the upsert proposal's getOrInsert and
// getOrInsertComputed): the views and tracking proxies classed every Map method but set, delete
// and clear as a read and ran it on the raw Map. Through a read-only view,
// `view.getOrInsert(k, v)` inserted into the state outside any action (kept live, gone after a
// restart); inside an action the insert was not recorded, so an @abortOnException method that
// threw after it kept it live while the journal had nothing, and what it stored was not checked.
// They are mutators now: refused on a view, recorded like `set` in an action.

type UpsertMap<K, V> = Map<K, V> & {
  getOrInsert(key: K, value: V): V;
  getOrInsertComputed(key: K, make: (key: K) => V): V;
};

const native = typeof (Map.prototype as Partial<UpsertMap<unknown, unknown>>).getOrInsert;
const withUpsert = native === 'function' ? describe : describe.skip;

class Counts {
  byName = new Map<string, { n: number }>([['a', { n: 1 }]]) as UpsertMap<string, { n: number }>;
  seen: unknown[] = [];

  insert(key: string, n: number): number {
    return this.byName.getOrInsert(key, { n }).n;
  }

  compute(key: string, n: number): number {
    return this.byName.getOrInsertComputed(key, (k) => {
      this.seen.push(k);
      return { n };
    }).n;
  }

  @abortOnException
  insertThenFail(key: string, n: number): void {
    this.byName.getOrInsert(key, { n });
    this.byName.getOrInsertComputed(`${key}2`, () => ({ n }));
    throw new Error('refused after the inserts');
  }

  /** The value it inserted is the object stored, as in plain JavaScript. */
  sameObject(key: string): boolean {
    const made = { n: 7 };
    return this.byName.getOrInsert(key, made) === made && this.byName.get(key) === made;
  }

  /** An existing entry comes back as `get` gives it, unchanged. */
  existing(): boolean {
    const a = this.byName.getOrInsert('a', { n: 99 });
    return a === this.byName.get('a') && a.n === 1;
  }

  storeFunction(key: string): void {
    (this.byName as unknown as UpsertMap<string, unknown>).getOrInsert(key, () => 1);
  }
}

const open: Array<Prevalent<Counts>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
function openCounts(dir: string): Prevalent<Counts> {
  const s = initSystem(new Counts(), { basedir: dir });
  open.push(s);
  return s;
}
const entries = (s: Prevalent<Counts>) => [...s.byName].map(([k, v]) => [k, v.n]);

withUpsert('Map getOrInsert and getOrInsertComputed (native)', () => {
  it('are refused through a read-only view, before anything runs', () => {
    const s = openCounts(freshBasedir());
    const view = s.byName as unknown as UpsertMap<string, { n: number }>;
    let called = false;
    expect(codeOf(() => view.getOrInsert('x', { n: 2 }))).toBe('READONLY_VIOLATION');
    expect(codeOf(() => view.getOrInsert('a', { n: 2 }))).toBe('READONLY_VIOLATION');
    expect(
      codeOf(() =>
        view.getOrInsertComputed('y', () => {
          called = true;
          return { n: 3 };
        }),
      ),
    ).toBe('READONLY_VIOLATION');
    expect(called).toBe(false);
    expect(entries(s)).toEqual([['a', 1]]);
  });

  it('insert in an action as set does: journaled, rolled back, checked', async () => {
    const dir = freshBasedir();
    const s = openCounts(dir);
    expect(s.insert('b', 2)).toBe(2);
    expect(s.insert('b', 5)).toBe(2);
    expect(s.compute('c', 3)).toBe(3);
    expect(s.compute('c', 4)).toBe(3);
    expect(s.seen).toEqual(['c']);
    expect(s.sameObject('d')).toBe(true);
    expect(s.existing()).toBe(true);
    expect(codeOf(() => s.insertThenFail('e', 9))).toBe('other: Error: refused after the inserts');
    expect(codeOf(() => s.storeFunction('f'))).toBe('NOT_SERIALIZABLE');
    const live = [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 7],
    ];
    expect(entries(s)).toEqual(live);
    await s.close();
    open.splice(0);
    expect(entries(openCounts(dir))).toEqual(live);
  });
});
