import { initSystem, persistent, readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import type { Prevalent } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';

/**
 * Pure reads that loop over a list argument and gather a list of their own
 * (see pure-query.ts): `const out = []; for (…) out.push(this.pages[ids[i]]);
 * return out`. They run on the raw state when the guard allows and hand out
 * the list with every state object in it replaced by its view.
 */

const fnOf = (source: string): unknown => new Function(`return function (a, b) { ${source} }`)();
const pure = (source: string): boolean => pureReadOf(fnOf(source)) !== undefined;

describe('which list forms are pure reads', () => {
  it.each([
    'const out = []; for (let i = 0; i < a.length; i++) out.push(this.p[a[i]]); return out;',
    'const out = []; for (const id of a) out.push(this.p[id]); return out;',
    'const out = []; for (const id of a) { if (!(id in this.p)) continue; out.push(this.p[id], id); } return out;',
    'const out = []; for (let i = 0; i <= 3; i++) { if (this.list[i] === undefined) break; out.push(this.list[i]); } return out;',
    'const out = []; out.push(this.x); out.push(this.y); return out;',
    'let n = 0; for (const id of a) { const hit = this.p[id]; if (hit) return hit; } return null;',
    'for (let i = 0; i < a.length; i++) if (this.p[a[i]] === b) return a[i]; return a.length;',
    'for (let i = 0; i < 3; i++) return i[0]; return 0;',
    // a parameter that bounds a loop is a list argument (copied)
    'const out = []; for (let i = 0; i < a.length; i++) out.push(i); return out;',
    // loops over a value of the state, and over its values()
    'const out = []; for (const x of this.list) out.push(x); return out;',
    'const out = []; for (const x of this.list) if (x.id === a) out.push(x.text); return out;',
    'for (const x of this.list) if (x.id === a) return x; return undefined;',
    'const list = this.list; const out = []; for (const x of list) out.push(x); return out;',
    'const out = []; for (const x of this.list) for (const t of x.tags) if (t === a) out.push(x); return out;',
    'const out = []; for (const x of this) out.push(x); return out;',
  ])('accepts %s', (source) => {
    expect(pure(source)).toBe(true);
  });

  it.each([
    // a list argument used as a value too (it would be the copy)
    'const out = []; for (const id of a) out.push(id); out.push(a); return out;',
    'for (const id of a) {} return a;',
    'const out = []; if (a === undefined) return; for (const id of a) out.push(id); return out;',
    // a loop bounded by a primitive's length (Number.prototype.length may be an object, which
    // \`<\` converts, running its valueOf: review4)
    'for (let i = 0; i < a.length; i++) {} return this.p[a];',
    // a list of its own used other than by push and return
    'const out = []; out.push(this.x); return out[0];',
    'const out = []; return this.p === out;',
    'const out = []; this.x.get(out); return out;',
    // a list and another value returned
    'const out = []; if (b) return this.x; return out;',
    'const out = []; return b ? out : out;',
    // loops of other shapes
    'const out = []; for (let i = 0; i < a.length; i += 1) out.push(a[i]); return out;',
    'const out = []; for (var i = 0; i < a.length; i++) out.push(a[i]); return out;',
    'const out = []; for (let i = 0; i < this.list.length; i++) out.push(this.list[i]); return out;',
    'const out = []; for (let i = 0; i < b; i++) out.push(i); return out;',
    'const out = []; for (let i = 0, j = 0; i < a.length; i++) out.push(a[i]); return out;',
    'const out = []; for (let i = a; i < 3; i++) out.push(i); return out;',
    'const out = []; for (let i = 0; i < 3; i--) out.push(i); return out;',
    'const out = []; for (let i = 0; i < 3; b++) out.push(i); return out;',
    'const out = []; for (const x of out) out.push(x); return out;',
    // loops over the state: not over a literal, `undefined`, a chain or a call but values()
    'for (const x of "ab") return x; return 0;',
    'for (const x of undefined) return x; return 0;',
    'for (const x of this.list?.items) return x; return 0;',
    'for (const x of this.m.entries()) return x; return 0;',
    'for (const x of this.m.values()) return x; return 0;',
    'for (const x of b.values()) return x; return 0;',
    // what such a loop gives is a value: no key, no list
    'for (const x of this.list) return this.p[x]; return 0;',
    'const out = []; for (const x of this.list) for (const y of x) out.push(y); out.push(...out); return out;',
    'const out = []; for (const [x] of a) out.push(x); return out;',
    'const out = []; for (const x in a) out.push(x); return out;',
    'const out = []; for (const a of b) out.push(a); return out;',
    'const out = []; let i = 0; while (i < 3) { out.push(i); } return out;',
    'outer: for (const x of a) { for (const y of b) { continue outer; } } return 1;',
    // comparisons outside a loop's bound
    'for (let i = 0; i < a.length; i++) if (i > 2) return i; return 0;',
    // push of other forms
    'const out = []; out.push(...a); return out;',
    'const out = []; out.push(); return out;',
    'const out = []; out?.push(1); return out;',
    'const out = []; out["push"](1); return out;',
    'const out = []; out.unshift(1); return out;',
    'const out = [1]; return out;',
    'const out = [,]; return out;',
    'this.x.push(1); return 1;',
    'b.push(1); return 1;',
    // an element used as a list, or a counter as one
    'for (const id of a) for (const x of id) return x; return 0;',
    'for (let i = 0; i < 3; i++) for (const x of i) return x; return 0;',
  ])('refuses %s', (source) => {
    expect(pure(source)).toBe(false);
  });
});

@persistent('ListPage')
class Page {
  constructor(
    public id: string,
    public text: string,
  ) {}
}

class Wiki {
  pages: Record<string, Page> = {};
  list: unknown[] = [];
  create(id: string, text: string): void {
    this.pages[id] = new Page(id, text);
    this.list.push(this.pages[id]);
  }
  touch(page: Page): void {
    page.text += '!';
  }
  @readonly getPages(ids: string[]): Page[] {
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i] as string]);
    return out as Page[];
  }
  @readonly each(ids: string[]): unknown[] {
    const out = [];
    for (const id of ids) out.push(this.pages[id], id);
    return out;
  }
  @readonly firstOf(n: number): unknown[] {
    const out = [];
    for (let i = 0; i < 3; i++) {
      if (i === n) break;
      out.push(this.list[i]);
    }
    return out;
  }
  @readonly notPure(ids: string[]): Page[] {
    void [].length;
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i] as string]);
    return out as Page[];
  }
}

describe('a list-gathering pure read on the raw state', () => {
  let sys: Prevalent<Wiki>;
  beforeEach(() => {
    sys = initSystem(Wiki, { basedir: freshBasedir(), classes: [Page] });
    for (const id of ['a', 'b', 'c']) sys.create(id, `text ${id}`);
  });
  afterEach(async () => {
    await sys.close();
  });

  it('hands out the views the views would, in a fresh list the caller may change', () => {
    expect(pureReadOf(Wiki.prototype.getPages)).toBeDefined();
    const before = pureQueryStats.rawRuns;
    const first = sys.getPages(['a', 'b', 'nope']);
    const viaViews = sys.notPure(['a', 'b', 'nope']);
    const second = sys.getPages(['a', 'b', 'nope']);
    // The first call met pages with no view yet: it ran on the views, the second raw.
    expect(pureQueryStats.rawRuns).toBe(before + 1);
    expect(second).not.toBe(first);
    for (const list of [first, viaViews, second]) {
      expect(list).toHaveLength(3);
      expect(list[0]).toBe(first[0]);
      expect(list[1]).toBe(first[1]);
      expect(list[2]).toBeUndefined();
      expect(isView(list[0])).toBe(true);
      expect(isView(list)).toBe(false);
    }
    // Typed read-only (a query's result is), yet the list is the caller's own, as on the views.
    (second as unknown[]).push(second[0]);
    expect(second).toHaveLength(4);
    expect(() => {
      (second[0] as Page).text = 'changed';
    }).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
  });

  it('for…of, counters, break: the same answers as the views', () => {
    sys.getPages(['a', 'b', 'c']);
    const before = pureQueryStats.rawRuns;
    const each = sys.each(['c', 'a']);
    expect(each).toEqual([sys.getPages(['c'])[0], 'c', sys.getPages(['a'])[0], 'a']);
    expect(sys.firstOf(2)).toEqual(sys.getPages(['a', 'b']));
    expect(sys.firstOf(9)).toHaveLength(3);
    expect(pureQueryStats.rawRuns).toBeGreaterThan(before + 3);
  });

  it('a view from the list passes back as the object it shows', () => {
    const [a] = sys.getPages(['a']);
    const [again] = sys.getPages(['a']);
    expect(again).toBe(a);
    sys.touch(again as Page);
    expect(sys.getPages(['a'])[0]?.text).toBe('text a!');
  });

  it('an argument that is not an array of primitives runs on the views', () => {
    sys.getPages(['a']);
    const before = pureQueryStats.rawRuns;
    const a = sys.getPages(['a'])[0];
    expect(pureQueryStats.rawRuns).toBe(before + 1);
    // an object element (here a view: it would be read as a key by conversion)
    expect(sys.getPages([a as never])).toEqual([undefined]);
    expect(sys.getPages(new Proxy(['a'], {}))).toEqual([a]);
    class Ids extends Array<string> {}
    expect(sys.getPages(Ids.from(['a']))).toEqual([a]);
    // a string's characters, on the views
    expect(sys.getPages('ab' as never)).toEqual(sys.getPages(['a', 'b']));
    expect(pureQueryStats.rawRuns).toBe(before + 2);
  });

  it('reads a getter element of an argument once, before the read', () => {
    sys.getPages(['a', 'b']);
    let reads = 0;
    const ids = ['a', 'b'];
    Object.defineProperty(ids, 1, {
      get() {
        reads++;
        return 'b';
      },
    });
    const before = pureQueryStats.rawRuns;
    expect(sys.getPages(ids)).toEqual(sys.getPages(['a', 'b']));
    expect(pureQueryStats.rawRuns).toBe(before + 2);
    expect(reads).toBe(1);
  });

  it('runs on the views while Array.prototype.push or the array iterator is not the built-in', () => {
    sys.getPages(['a']);
    const push = Array.prototype.push;
    const next = Object.getPrototypeOf([][Symbol.iterator]()) as { next: unknown };
    const builtinNext = next.next;
    const seen = new Set<boolean>();
    try {
      Array.prototype.push = function (this: unknown[], ...items: unknown[]): number {
        for (const item of items) seen.add(isView(item));
        return push.apply(this, items);
      };
      const before = pureQueryStats.rawRuns;
      sys.getPages(['a']);
      expect(pureQueryStats.rawRuns).toBe(before);
      Array.prototype.push = push;
      next.next = function (this: Iterator<unknown>): unknown {
        return (builtinNext as () => unknown).call(this);
      };
      sys.each(['a']);
      expect(pureQueryStats.rawRuns).toBe(before);
    } finally {
      Array.prototype.push = push;
      next.next = builtinNext;
    }
    // What the patched push was given: views, never the raw state.
    expect([...seen]).toEqual([true]);
  });

  it('runs on the views while an array index of Array.prototype is an accessor', () => {
    sys.getPages(['a']);
    const got = new Set<unknown>();
    Object.defineProperty(Array.prototype, '0', {
      set(value: unknown) {
        got.add(value);
        Object.defineProperty(this, '0', {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      },
      configurable: true,
    });
    let list: readonly unknown[];
    const before = pureQueryStats.rawRuns;
    try {
      list = sys.getPages(['a']);
    } finally {
      delete (Array.prototype as unknown as Record<string, unknown>)['0'];
    }
    expect(pureQueryStats.rawRuns).toBe(before);
    expect(list).toHaveLength(1);
    expect(got.size).toBeGreaterThan(0);
    expect([...got].every((v) => isView(v))).toBe(true);
  });
});

@persistent('ListCounter')
class Counter {
  hits = 0;
  get counted(): number {
    this.hits++;
    return this.hits;
  }
}

@persistent('ListIndexed')
class Indexed {
  hits = 0;
  get 1(): number {
    this.hits++;
    return this.hits;
  }
}

class Holder {
  c = new Counter();
  ix = new Indexed();
  @readonly read(keys: string[]): unknown[] {
    const out = [];
    for (const k of keys) out.push(this.c[k as keyof Counter]);
    return out;
  }
  @readonly byCounter(): unknown[] {
    const out = [];
    for (let i = 0; i < 2; i++) out.push(this.ix[i as 1]);
    return out;
  }
  @readonly hits(): number {
    return this.c.hits + this.ix.hits;
  }
}

describe('getters a list-gathering pure read could reach', () => {
  let sys: Prevalent<Holder>;
  beforeEach(() => {
    sys = initSystem(Holder, { basedir: freshBasedir(), classes: [Counter, Indexed] });
  });
  afterEach(async () => {
    await sys.close();
  });

  it('an element naming a getter that changes state runs on the views (refused)', () => {
    expect(sys.read(['hits'])).toEqual([0]);
    expect(() => sys.read(['hits', 'counted'])).toThrow(
      expect.objectContaining({ code: 'READONLY_VIOLATION' }),
    );
    expect(sys.hits()).toBe(0);
  });

  it('a loop counter, when a getter that changes state has an array index for its name, runs on the views (refused)', () => {
    expect(() => sys.byCounter()).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
    expect(sys.hits()).toBe(0);
  });
});

class Boxed {
  box = { later: 1 };
  @readonly later(): number {
    return this.box.later;
  }
}

describe("the guard's verdict on the names a read reads", () => {
  it('is renewed when a class is registered: a getter of that name that changes state is then avoided', async () => {
    const sys = initSystem(Boxed, { basedir: freshBasedir() });
    try {
      sys.later();
      let before = pureQueryStats.rawRuns;
      expect(sys.later()).toBe(1);
      expect(pureQueryStats.rawRuns).toBe(before + 1);
      @persistent('ListLater')
      class Later {
        hits = 0;
        get later(): number {
          this.hits++;
          return this.hits;
        }
      }
      expect(new Later().hits).toBe(0);
      before = pureQueryStats.rawRuns;
      expect(sys.later()).toBe(1);
      expect(pureQueryStats.rawRuns).toBe(before);
    } finally {
      await sys.close();
    }
  });
});

class Listed {
  pages: Record<string, { n: number }> = { a: { n: 1 } };
  @readonly getPages(ids: string[]): unknown[] {
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i] as string]);
    return out;
  }
}

describe('an array index of Object.prototype', () => {
  it('with a setter, sends list runs the views way from when the guard looks (a class registered): the setter never gets a raw object', async () => {
    const sys = initSystem(Listed, { basedir: freshBasedir() });
    const got = new Set<unknown>();
    try {
      sys.getPages(['a']);
      Object.defineProperty(Object.prototype, '0', {
        set(value: unknown) {
          got.add(value);
          Object.defineProperty(this, '0', {
            value,
            writable: true,
            enumerable: true,
            configurable: true,
          });
        },
        configurable: true,
      });
      // The guard looks again once a class is registered (or a new prototype stored).
      @persistent('ListObjectIndexProbe')
      class Probe {}
      expect(new Probe()).toBeInstanceOf(Probe);
      const before = pureQueryStats.rawRuns;
      expect(sys.getPages(['a'])).toHaveLength(1);
      expect(pureQueryStats.rawRuns).toBe(before);
    } finally {
      delete (Object.prototype as unknown as Record<string, unknown>)['0'];
      await sys.close();
    }
    expect(got.size).toBeGreaterThan(0);
    expect([...got].every((v) => isView(v))).toBe(true);
  });
});
