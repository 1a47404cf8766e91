import { initSystem, readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import type { Prevalent } from '../../lib';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { ListPage as Page, StampedWiki, wikiOfAB } from '../support/list-wiki';

/**
 * A fourth review of the list-gathering pure reads: an audit of every point
 * where code other than the read's own and the built-ins can run (see
 * pure-query-lists-review3.spec.ts and the reviews before it).
 */

const opened = closedAfterEach();

class Stamped extends StampedWiki {
  /** Reads its list only when `go`. */
  @readonly pagesIf(go: boolean, ids: string[]): unknown[] {
    const out: unknown[] = [];
    if (!go) return out;
    for (const id of ids) out.push(this.pages[id]);
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

describe("the guard's copy of a list argument, caught by a setter a getter element put on Array.prototype and took away", () => {
  it('was changed after the element checks to name a getter that changes state, which ran on the raw state', () => {
    const sys = stamped();
    let copy: unknown[] | undefined;
    const keys: unknown[] = ['pages', 'pages', 'pages'];
    Object.defineProperty(keys, 0, {
      get(): string {
        // Catches the array the guard writes index 1 of (its copy), then goes.
        Object.defineProperty(Array.prototype, 1, {
          set(this: unknown[], v: unknown): void {
            Array.prototype.length = 0;
            // eslint-disable-next-line @typescript-eslint/no-this-alias -- the leak under test
            copy = this;
            Object.defineProperty(this, 1, {
              value: v,
              writable: true,
              enumerable: true,
              configurable: true,
            });
          },
          configurable: true,
        });
        return 'pages';
      },
    });
    Object.defineProperty(keys, 2, {
      get(): string {
        // The copy's index 0, checked after this runs, names a clean key until checked.
        if (copy !== undefined) {
          const caught = copy;
          caught[0] = {
            toString(): string {
              caught[0] = 'stamp';
              return 'pages';
            },
          };
        }
        return 'pages';
      },
    });
    try {
      sys.byKeys(keys as string[]);
    } finally {
      Array.prototype.length = 0;
    }
    // The views never read 'stamp': the caller's list names 'pages' only.
    expect(sys.stamps).toBe(0);
  });
});

describe('a revoked Proxy as a list argument the query never reads', () => {
  it('threw as the guard asked Array.isArray, where the views answer an empty list', () => {
    const sys = stamped();
    const { proxy, revoke } = Proxy.revocable(['a'], {});
    revoke();
    expect(sys.pagesIf(false, proxy as string[])).toEqual([]);
    expect(() => sys.pagesIf(true, proxy as string[])).toThrow(TypeError);
  });
});

class Bounded {
  pages: Record<string, Page> = { a: new Page('a') };
  @readonly upTo(n: number): unknown[] {
    const out = [];
    for (let i = 0; i < (n as unknown as string).length; i++) out.push(this.pages['a']);
    return out;
  }
  @readonly upToOnViews(n: number): unknown[] {
    void [].length;
    const out = [];
    for (let i = 0; i < (n as unknown as string).length; i++) out.push(this.pages['a']);
    return out;
  }
}

describe("a loop bounded by a primitive argument's length", () => {
  it('is no pure read: an object at Number.prototype.length had its valueOf run by the raw run and again by the views', () => {
    const sys = opened(initSystem(Bounded, { basedir: freshBasedir(), classes: [Page] }));
    let calls = 0;
    const bound = {
      valueOf(): number {
        calls++;
        return 1;
      },
    };
    Object.defineProperty(Number.prototype, 'length', { value: bound, configurable: true });
    try {
      // First: the page's view is not made yet, so a raw run would go the views' way after.
      const pure = sys.upTo(7);
      const pureCalls = calls;
      calls = 0;
      const onViews = sys.upToOnViews(7);
      expect(pureCalls).toBe(calls);
      expect(pure).toEqual(onViews);
    } finally {
      delete (Number.prototype as unknown as Record<string, unknown>)['length'];
    }
  });
});
