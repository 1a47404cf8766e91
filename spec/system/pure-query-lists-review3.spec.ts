import { readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import type { Prevalent } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { closedAfterEach } from '../support/opened';
import { StampedWiki, wikiOfAB } from '../support/list-wiki';

/**
 * A third review of the list-gathering pure reads, after the merge of the
 * two review branches (see pure-query-lists-review.spec.ts,
 * pure-query-lists-review2.spec.ts, pure-query-lists-diff-review.spec.ts).
 */

const opened = closedAfterEach();

class Stamped extends StampedWiki {
  @readonly farKeys(keys: string[]): unknown[] {
    const out = [];
    for (let i = 4294967295; i < 4294967296; i++) out.push(this[keys[i] as 'pages']);
    return out;
  }
}

/** A Stamped of pages a and b whose views exist (so a raw run hands them out). */
function stamped(): Prevalent<Stamped> {
  return wikiOfAB(Stamped, opened);
}

describe('the bench-like list read', () => {
  it('still runs on the raw state, with the views the views would give', () => {
    const sys = stamped();
    const before = pureQueryStats.rawRuns;
    const pages = sys.getPages(['a', 'b', 'nope']);
    expect(pureQueryStats.rawRuns).toBe(before + 1);
    expect(pages.map((p) => isView(p))).toEqual([true, true, false]);
  });
});

describe('a list read past its end by a counter beyond the array indexes', () => {
  it('read a value Array.prototype holds at 4294967295 (no index: its length misses it) as a key, and a getter that changes state ran', () => {
    const sys = stamped();
    const proto = Array.prototype as unknown as Record<string, unknown>;
    proto['4294967295'] = 'stamp';
    let threw: unknown;
    try {
      sys.farKeys([]);
    } catch (err) {
      threw = err;
    } finally {
      delete proto['4294967295'];
    }
    expect(sys.stamps).toBe(0);
    expect(String(threw)).toMatch(/READONLY_VIOLATION/);
  });

  it('is no pure read when a list is read by a counter that may leave the array indexes', () => {
    const read = (fn: unknown): boolean => pureReadOf(fn) !== undefined;
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 0; i < ids.length; i++) out.push(ids[i]);
        return out;
      }),
    ).toBe(true);
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 0; i <= ids.length; i++) out.push(ids[i]);
        return out;
      }),
    ).toBe(true);
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 0; i < 4294967295; i++) out.push(ids[i]);
        return out;
      }),
    ).toBe(true);
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 0; i <= 4294967294; i++) out.push(ids[i]);
        return out;
      }),
    ).toBe(true);
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 0; i < 4294967296; i++) out.push(this[ids[i]]);
        return out;
      }),
    ).toBe(false);
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 0; i <= 4294967295; i++) out.push(this[ids[i]]);
        return out;
      }),
    ).toBe(false);
    expect(
      read(function (this: any, ids: any) {
        const out = [];
        for (let i = 4294967295; i < 4294967296; i++) out.push(this[ids[i]]);
        return out;
      }),
    ).toBe(false);
    // A parameter whose length bounds a loop is a list itself (review4): its copy's length is
    // an index, where a number's could be anything (Number.prototype.length).
    expect(
      read(function (this: any, ids: any, n: any) {
        const out = [];
        for (let i = 0; i < n.length; i++) out.push(this[ids[i]]);
        return out;
      }),
    ).toBe(true);
    // A counter past the indexes may still read the state by its value (the guard checks getter names).
    expect(
      read(function (this: any) {
        const out = [];
        for (let i = 4294967295; i < 4294967296; i++) out.push(this.list[i]);
        return out;
      }),
    ).toBe(true);
  });
});

describe('the guard looping over a list with the array iterator as the program left it', () => {
  it('a patched iterator, called on the copy after the check of push, patched push: it got the raw pages', () => {
    const sys = stamped();
    const values = Array.prototype[Symbol.iterator];
    const push = Array.prototype.push;
    const got: unknown[] = [];
    Array.prototype[Symbol.iterator] = function (this: unknown[]): ArrayIterator<unknown> {
      // The guard's copy of ['a', 'b'] (not its list of parameter indexes).
      if (this[0] === 'a') {
        Array.prototype[Symbol.iterator] = values;
        Array.prototype.push = function (this: unknown[], ...xs: unknown[]): number {
          for (let i = 0; i < xs.length; i++) got[got.length] = xs[i];
          return Reflect.apply(push, this, xs) as number;
        };
      }
      return Reflect.apply(values, this, []) as ArrayIterator<unknown>;
    };
    let pages: readonly unknown[];
    try {
      pages = sys.getPages(['a', 'b']);
    } finally {
      Array.prototype[Symbol.iterator] = values;
      Array.prototype.push = push;
    }
    expect(got.filter((p) => !isView(p))).toEqual([]);
    expect(pages.map((p) => isView(p))).toEqual([true, true]);
  });

  it('a patched iterator hid a list element naming a getter that changes state, run on the raw state', () => {
    const sys = stamped();
    const values = Array.prototype[Symbol.iterator];
    Array.prototype[Symbol.iterator] = function (this: unknown[]): ArrayIterator<unknown> {
      return Reflect.apply(values, this[0] === 'stamp' ? [] : this, []) as ArrayIterator<unknown>;
    };
    let threw: unknown;
    try {
      sys.byKeys(['stamp']);
    } catch (err) {
      threw = err;
    } finally {
      Array.prototype[Symbol.iterator] = values;
    }
    expect(sys.stamps).toBe(0);
    expect(String(threw)).toMatch(/READONLY_VIOLATION/);
  });
});

describe('the guard checking list elements after the built-ins a list run calls', () => {
  it('a replaced Set.prototype.has, called by the element checks after the check of push, patched push: it got the raw pages', () => {
    const sys = stamped();
    const has = Set.prototype.has;
    const push = Array.prototype.push;
    const got: unknown[] = [];
    Set.prototype.has = function (this: Set<unknown>, key: unknown): boolean {
      if (key === 'a') {
        Set.prototype.has = has;
        Array.prototype.push = function (this: unknown[], ...xs: unknown[]): number {
          for (let i = 0; i < xs.length; i++) got[got.length] = xs[i];
          return Reflect.apply(push, this, xs) as number;
        };
      }
      return Reflect.apply(has, this, [key]) as boolean;
    };
    try {
      sys.getPages(['a', 'b']);
    } finally {
      Set.prototype.has = has;
      Array.prototype.push = push;
    }
    expect(got.filter((p) => !isView(p))).toEqual([]);
  });
});
