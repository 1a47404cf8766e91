import { types } from 'node:util';
import { DateTime } from 'luxon';
import { beginTracking, endTracking, toRaw, tracked } from '../../lib/isolation/tracking';
import { isView, locate, locateStats, rootView, viewOf } from '../../lib/isolation/views';
import { describe as describeGraph, expectCode, expectSameGraph, inAction } from './helpers';

class Person {
  constructor(
    public name: string,
    public friends: Person[] = [],
  ) {}
  get firstFriend(): Person | undefined {
    return this.friends[0];
  }
  greet(): string {
    return `hi ${this.name}`;
  }
}

function makeState() {
  const bob = new Person('bob');
  return {
    title: 'demo',
    nested: { deep: { value: 1 }, list: [1, 2, 3] },
    people: [new Person('ann', [bob]), bob],
    byName: new Map<string, Person>([['bob', bob]]),
    tags: new Set(['a', 'b']),
    members: new Set([bob]),
    when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
    at: DateTime.fromMillis(0, { zone: 'utc' }),
    bytes: new Uint8Array([1, 2, 3]),
    buf: Buffer.from('hello'),
    dv: new DataView(new ArrayBuffer(4)),
    ab: new ArrayBuffer(2),
    re: /l+/g,
    bare: Object.assign(Object.create(null) as Record<string, unknown>, { k: { v: 1 } }),
  };
}

const violation =
  /READONLY_VIOLATION: cannot .* action method of the domain object \(one not marked @readonly\), so they are journaled/;

describe('read-only views', () => {
  it('say that a spread copies one level (regression: the advice to copy the data out by a spread left nested objects views, which refused the next change with the same advice)', () => {
    const v = rootView(makeState());
    const copy = { ...v.nested };
    let message = '';
    try {
      copy.list.push(4);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(violation);
    expect(message).toContain(
      'copyOf(view) (exported by prevalent) copies it deeply, classes, Maps, Sets and Dates included (a spread or Array.from of the view copies one level, its nested objects still views',
    );
    const deep = JSON.parse(JSON.stringify(v.nested)) as { list: number[] };
    deep.list.push(4);
    expect(deep.list).toEqual([1, 2, 3, 4]);
  });

  it('read like the raw object', () => {
    const raw = makeState();
    const v = rootView(raw);
    expect(isView(v)).toBe(true);
    expect(types.isProxy(v.nested)).toBe(true);
    expect(v.title).toBe('demo');
    expect(v.nested.deep.value).toBe(1);
    expect(Array.isArray(v.nested.list)).toBe(true);
    expect([...v.nested.list]).toEqual([1, 2, 3]);
    expect(v.nested.list.map((x) => x * 2)).toEqual([2, 4, 6]);
    expect(v.nested.list.length).toBe(3);
    expect(Object.keys(v.nested)).toEqual(['deep', 'list']);
    expect(Object.entries(v.nested.deep)).toEqual([['value', 1]]);
    expect({ ...v.nested.deep }).toEqual({ value: 1 });
    expect(JSON.stringify(v)).toBe(JSON.stringify(raw));
    expect(v.people[0] instanceof Person).toBe(true);
    expect(v.people[0]!.greet()).toBe('hi ann');
    expect(v.people[0]!.firstFriend).toBe(v.people[1]);
    expect(v.at).toBe(raw.at);
    expect(v.bare['k']).toEqual({ v: 1 });
    expect(Object.getPrototypeOf(v.bare)).toBeNull();
    expect('title' in v).toBe(true);
  });

  it('hands out views (the same one each time) for everything reachable', () => {
    const raw = makeState();
    const v = rootView(raw);
    expect(v.nested).toBe(v.nested);
    expect(viewOf(raw.nested)).toBe(v.nested);
    expect(rootView(raw)).toBe(v);
    expect(viewOf(v)).toBe(v);
    expect(toRaw(v.nested)).toBe(raw.nested);
    expect(viewOf(5)).toBe(5);
    expect(isView(raw)).toBe(false);
    const desc = Object.getOwnPropertyDescriptor(v, 'nested')!;
    expect(desc.value).toBe(v.nested);
    const withGetter = viewOf({
      inner: { x: 1 },
      get viaGetter() {
        return this.inner;
      },
      get bump() {
        return (this.inner.x += 1); // a getter that writes: refused on a view
      },
    });
    expect(withGetter.viaGetter).toBe(withGetter.inner);
    expect('value' in Object.getOwnPropertyDescriptor(withGetter, 'viaGetter')!).toBe(false);
    expectCode(() => withGetter.bump, 'READONLY_VIOLATION');
    const bob = v.byName.get('bob')!;
    expect(isView(bob)).toBe(true);
    expect(bob).toBe(v.people[1]);
    expect([...v.byName.values()][0]).toBe(bob);
    expect([...v.byName][0]).toEqual(['bob', bob]);
    expect([...v.byName.entries()][0]![1]).toBe(bob);
    expect([...v.members][0]).toBe(bob);
    expect([...v.members.entries()][0]).toEqual([bob, bob]);
    v.byName.forEach((p, k, m) => expect([p, k, m]).toEqual([bob, 'bob', v.byName]));
    v.members.forEach((p, p2, s) =>
      expect([p === bob, p2 === bob, s === v.members]).toEqual([true, true, true]),
    );
  });

  it('reads Maps, Sets, Dates, typed arrays, Buffers, DataViews and RegExps', () => {
    const raw = makeState();
    const v = rootView(raw);
    expect(v.byName.size).toBe(1);
    expect(v.byName.has('bob')).toBe(true);
    expect([...v.byName.keys()]).toEqual(['bob']);
    expect(v.tags.has('a')).toBe(true);
    expect([...v.tags]).toEqual(['a', 'b']);
    expect(v.members.has(v.people[1]!)).toBe(true);
    expect(v.when.getTime()).toBe(raw.when.getTime());
    expect(v.when.toISOString()).toBe('2024-01-02T03:04:05.678Z');
    expect(v.when instanceof Date).toBe(true);
    expect(+v.when).toBe(raw.when.getTime());
    expect(JSON.stringify(v.when)).toBe(JSON.stringify(raw.when));
    expect(v.bytes[1]).toBe(2);
    expect(v.bytes.length).toBe(3);
    expect([...v.bytes]).toEqual([1, 2, 3]);
    expect(v.bytes.slice(1)).toEqual(new Uint8Array([2, 3]));
    expect(isView(v.bytes.slice(1))).toBe(false); // a fresh copy is the caller's
    expect(isView(v.bytes.subarray(1))).toBe(true); // shares the state's memory
    v.bytes.forEach((_x, _i, arr) => expect(arr).toBe(v.bytes));
    expect(v.buf.toString()).toBe('hello');
    expect(v.buf.toString('base64')).toBe(raw.buf.toString('base64'));
    expect(Buffer.isBuffer(v.buf)).toBe(true);
    expect(v.buf.readUInt8(1)).toBe(101);
    expect(v.dv.getInt16(0)).toBe(0);
    expect(v.ab.byteLength).toBe(2);
    expect(v.re.source).toBe('l+');
    expect('hello'.replace(v.re, 'L')).toBe('heLo'); // leaves lastIndex at 0: allowed
    expect([...'hello'.matchAll(v.re)].length).toBe(1);
    expect('a,b'.split(v.re)).toEqual(['a,b']);
  });

  it('refuses every kind of mutation with READONLY_VIOLATION and leaves the state alone', () => {
    const raw = makeState();
    const before = describeGraph(raw);
    const v = rootView(raw) as any;
    const attempts: Array<() => unknown> = [
      () => (v.title = 'x'),
      () => (v.nested.deep.value = 2),
      () => (v.fresh = 1),
      () => delete v.title,
      () => Object.defineProperty(v, 'title', { value: 'x' }),
      () => Object.setPrototypeOf(v.nested, null),
      () => Object.preventExtensions(v.nested),
      () => Object.freeze(v.nested),
      () => Object.assign(v.nested, { a: 1 }),
      () => v.nested.list.push(4),
      () => v.nested.list.pop(),
      () => v.nested.list.shift(),
      () => v.nested.list.unshift(0),
      () => v.nested.list.splice(0, 1),
      () => v.nested.list.sort((a: number, b: number) => b - a),
      () => v.nested.list.reverse(),
      () => v.nested.list.fill(0),
      () => v.nested.list.copyWithin(0, 1),
      () => (v.nested.list.length = 0),
      () => (v.nested.list[0] = 9),
      () => v.byName.set('x', 1),
      () => v.byName.delete('bob'),
      () => v.byName.clear(),
      () => v.tags.add('c'),
      () => v.tags.delete('a'),
      () => v.tags.clear(),
      () => v.when.setTime(0),
      () => v.when.setFullYear(1999),
      () => v.when.setUTCMilliseconds(1),
      () => (v.bytes[0] = 9),
      () => v.bytes.fill(0),
      () => v.bytes.set([9], 0),
      () => v.bytes.sort(),
      () => v.bytes.reverse(),
      () => v.bytes.copyWithin(0, 1),
      () => (v.bytes.subarray(1)[0] = 9),
      () => v.buf.write('J'),
      () => v.buf.writeUInt8(1, 0),
      () => v.buf.swap16(),
      () => v.dv.setInt8(0, 1),
      () => (v.re.lastIndex = 3),
      () => v.re.test('hello'),
      () => v.re.exec('hello'),
      () => v.re.compile('x'),
      () => v.people[0].friends.push(v.people[0]),
      () => (v.people[0].name = 'x'),
      () => (v.bare.k.v = 2),
    ];
    attempts.forEach((attempt) => {
      const message = expectCode(attempt, 'READONLY_VIOLATION');
      expect(message).toMatch(violation);
    });
    expectSameGraph(raw, before);
  });
});

describe('views of Dates and RegExps in equality checks', () => {
  it("carry their type's toString tag, so jest's toEqual compares them with real ones (regression: a Date view was taken for a plain object and never equal)", () => {
    const raw = { when: new Date(86_400_000), re: /a+b/gi, meta: { when: new Date(5) } };
    const view = rootView(raw);
    expect(Object.prototype.toString.call(view.when)).toBe('[object Date]');
    expect(Object.prototype.toString.call(view.re)).toBe('[object RegExp]');
    expect(view.when).toEqual(new Date(86_400_000));
    expect(view.when).not.toEqual(new Date(86_400_001));
    expect(view.re).toEqual(/a+b/gi);
    expect(view.re).not.toEqual(/a+b/g);
    expect(view.meta).toEqual({ when: new Date(5) });
    expect(view).toEqual({ when: new Date(86_400_000), re: /a+b/gi, meta: { when: new Date(5) } });
    // a Date subclass's own tag wins
    class Stamp extends Date {
      get [Symbol.toStringTag](): string {
        return 'Stamp';
      }
    }
    expect(Object.prototype.toString.call(rootView({ s: new Stamp(0) }).s)).toBe('[object Stamp]');
  });

  it('carry it inside actions too, so a domain method sees the same in a query and an action', () => {
    const t = tracked({ when: new Date(0), re: /x/ });
    let tags: string[] = [];
    inAction(() => {
      tags = [Object.prototype.toString.call(t.when), Object.prototype.toString.call(t.re)];
    });
    expect(tags).toEqual(['[object Date]', '[object RegExp]']);
  });
});

describe('array mutators on views of short arrays', () => {
  it('refuses every mutator whatever the length (regression: sort, reverse, fill and copyWithin of 0 or 1 elements passed silently)', () => {
    const raw = { none: [] as number[], one: [1], bytes: new Uint8Array(0) };
    const v = rootView(raw) as any;
    for (const list of [v.none, v.one]) {
      for (const call of [
        () => list.sort(),
        () => list.reverse(),
        () => list.fill(0),
        () => list.copyWithin(0, 0),
        () => list.push(),
        () => list.pop(),
        () => list.shift(),
        () => list.unshift(),
        () => list.splice(0, 0),
      ]) {
        expect(expectCode(call, 'READONLY_VIOLATION')).toMatch(/Array\.prototype\.\w+\(\)/);
      }
    }
    expectCode(() => v.bytes.sort(), 'READONLY_VIOLATION');
    expect(raw).toEqual({ none: [], one: [1], bytes: new Uint8Array(0) });
  });
});

describe('telling views from other proxies', () => {
  it('does not take a foreign proxy that answers every key for a view', () => {
    const raw = makeState();
    const view = rootView(raw);
    // A catch-all proxy (as mocking libraries make) returns the same object for any key.
    const catchAll: object = new Proxy({}, { get: () => raw });
    expect(isView(catchAll)).toBe(false);
    expect(toRaw(catchAll)).toBe(catchAll);
    expect(isView(view)).toBe(true);
    expect(toRaw(view)).toBe(raw);
    // Even one that hands out a real view's target for every key.
    const mimic: object = new Proxy({}, { get: () => toRaw(view.nested) });
    expect(isView(mimic)).toBe(false);
  });

  it('treats a revoked proxy as no view instead of throwing', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(isView(proxy)).toBe(false);
  });

  // A prototype that answers every missing key with a default, as some libraries make.
  function withDefaults(fallback: unknown): object {
    const proto = new Proxy(Object.prototype, {
      get: (t, k, r) => (k in t ? Reflect.get(t, k, r) : fallback),
    });
    return Object.create(proto) as object;
  }

  it.each([
    ['null', null],
    ['0', 0],
    ['an object', { shared: true }],
    ['true', true],
  ])(
    'recognises the view of an object whose prototype answers every key with %s',
    (_label, fallback) => {
      const item = Object.assign(withDefaults(fallback), { n: 1 });
      const raw = { list: [item], other: {} as Record<string, unknown> };
      const view = rootView(raw).list[0]!;
      expect(isView(view)).toBe(true);
      expect(toRaw(view)).toBe(item);
      expect(locate(view, raw)).toEqual(['list', '0']);
      // Storing it inside an action is refused as a view (kept in a variable), whatever its prototype answers.
      const log = beginTracking();
      try {
        expect(() => {
          tracked(raw).other['x'] = view;
        }).toThrow(/storing a read-only view from inside an action/);
      } finally {
        endTracking();
        log.rollback();
      }
      expect(raw.other['x']).toBeUndefined();
    },
  );

  it('gives nothing to code that learned the private symbols from a foreign proxy', () => {
    const seen: symbol[] = [];
    const spy = new Proxy(
      {},
      {
        get(t, k, r) {
          if (typeof k === 'symbol') seen.push(k);
          return Reflect.get(t, k, r) as unknown;
        },
      },
    );
    const raw = { secret: { n: 1 } };
    const view = rootView(raw).secret;
    expect(toRaw(spy)).toBe(spy);
    expect(seen.length).toBeGreaterThan(0);
    for (const key of seen) {
      expect((view as unknown as Record<symbol, unknown>)[key]).toBeUndefined();
    }
    // Ordinary objects are never asked.
    const getterRuns: PropertyKey[] = [];
    const plain = Object.create(
      new Proxy({}, { get: (_t, k) => (getterRuns.push(k), undefined) }),
    ) as object;
    expect(isView(plain)).toBe(false);
    expect(getterRuns).toEqual([]);
  });

  it('reads the right Map when a method taken from one Map view is called on another', () => {
    const raw = {
      a: new Map([['k', { from: 'a' }]]),
      b: new Map([['k', { from: 'b' }]]),
    };
    const root = rootView(raw);
    const getOfA = root.a.get;
    expect(getOfA.call(root.b, 'k')?.from).toBe('b');
    const hasOfB = root.b.has;
    expect(root.a.get('k')?.from).toBe('a');
    expect(hasOfB.call(root.a, 'k')).toBe(true);
    expect(Reflect.apply(getOfA, root.a, ['k'])?.from).toBe('a');
  });

  it('hands out iterators with no property of their own (regression (red team): a Map or Set iterator kept the raw iterator as .inner, which yielded raw state objects, and .map made views of anything)', () => {
    const raw = makeState();
    const root = rootView(raw);
    const iterators: object[] = [
      root.byName.values(),
      root.byName.entries(),
      root.byName.keys(),
      root.byName[Symbol.iterator](),
      root.members.values(),
      root.members[Symbol.iterator](),
      root.people.values(),
      root.people.entries(),
      root.people[Symbol.iterator](),
    ];
    for (const it of iterators) expect(Reflect.ownKeys(it)).toEqual([]);
    inAction(() => {
      const p = tracked(raw);
      for (const it of [p.byName.values(), p.members.values(), p.people.entries()])
        expect(Reflect.ownKeys(it)).toEqual([]);
    });
    const [first] = root.members;
    expect(types.isProxy(first)).toBe(true);
  });

  it("refuses a Buffer view's copy() into the state and Node's utf8Write, latin1Write, … (regression (red team): both wrote into the raw state)", () => {
    const raw = { a: Buffer.from('aaaa'), b: Buffer.from('bbbb') };
    const root = rootView(raw);
    expectCode(() => root.a.copy(root.b), 'READONLY_VIOLATION');
    for (const w of ['utf8Write', 'latin1Write', 'asciiWrite', 'hexWrite', 'ucs2Write']) {
      expectCode(
        () => (root.a as unknown as Record<string, (s: string) => number>)[w]!('00'),
        'READONLY_VIOLATION',
      );
    }
    const mine = Buffer.alloc(4);
    expect(root.a.copy(mine)).toBe(4);
    expect(mine.toString()).toBe('aaaa');
    expect([raw.a.toString(), raw.b.toString()]).toEqual(['aaaa', 'bbbb']);
  });

  it('keeps raw objects free of any property of its own', () => {
    const raw = makeState();
    const keysBefore = Reflect.ownKeys(raw.people[0]!);
    const view = rootView(raw).people[0]!;
    expect(view.name).toBe('ann');
    expect(Reflect.ownKeys(raw.people[0]!)).toEqual(keysBefore);
    expect(Reflect.ownKeys(view)).toEqual(keysBefore);
  });
});

describe('array methods on views and tracking proxies', () => {
  function makeList() {
    // eslint-disable-next-line no-sparse-arrays
    const list: Array<{ n: number } | number | undefined> = [{ n: 1 }, 2, , { n: 3 }];
    return { list };
  }

  it('hand callbacks views (and the view as the array), and return views', () => {
    const raw = makeList();
    const list = rootView(raw).list;
    const seen: unknown[] = [];
    list.forEach((v, i, arr) => seen.push([isView(v) || typeof v, i, arr === list]));
    expect(seen).toEqual([
      [true, 0, true],
      ['number', 1, true],
      [true, 3, true],
    ]);
    const objects = list.filter((v) => typeof v === 'object');
    expect(objects.every(isView)).toBe(true);
    expect(objects).toEqual([list[0], list[3]]);
    expect(list.find((v) => typeof v === 'object' && v.n === 3)).toBe(list[3]);
    const findLast = (list as unknown as { findLast(cb: (v: unknown) => boolean): unknown })
      .findLast;
    expect(findLast.call(list, (v) => typeof v === 'object')).toBe(list[3]);
    expect(list.findIndex((v) => v === list[3])).toBe(3);
    const mapped = list.map((v) => isView(v));
    expect(mapped).toEqual([true, false, undefined, true]);
    expect(2 in mapped).toBe(false); // map keeps the hole
    expect(list.some((v) => v === list[0])).toBe(true);
    expect(list.reduce((acc: unknown[], v) => [...acc, isView(v)], [])).toEqual([
      true,
      false,
      true,
    ]);
    expect(isView(list.reduce((a) => a))).toBe(true); // no initial value: the first element is a view too
    expect(list.includes(list[3])).toBe(true);
    expect(list.indexOf(list[3])).toBe(3);
    expect([...list]).toEqual([list[0], 2, undefined, list[3]]);
    expect([...list.entries()][3]).toEqual([3, list[3]]);
    expect([...list.keys()]).toEqual([0, 1, 2, 3]);
  });

  it('record the element paths of what they hand out', () => {
    const raw = makeList();
    const [first] = rootView(raw).list.filter((v) => typeof v === 'object');
    const searchesBefore = locateStats.searches;
    expect(locate(first as object, raw)).toEqual(['list', '0']);
    expect(locateStats.searches).toBe(searchesBefore);
  });

  it('refuse writes through the views they hand out', () => {
    const raw = makeList();
    const list = rootView(raw).list as Array<{ n: number } | number | undefined>;
    expectCode(() => list.forEach((v) => typeof v === 'object' && (v.n = 9)), 'READONLY_VIOLATION');
    expectCode(() => list.forEach((_v, i, arr) => (arr[i] = 0)), 'READONLY_VIOLATION');
    expect(raw.list[0]).toEqual({ n: 1 });
  });

  it('on tracking proxies, hand out tracked elements so callbacks can change them', () => {
    const raw = makeList();
    const p = tracked(raw);
    const log = inAction(() => {
      p.list.forEach((v) => {
        if (typeof v === 'object') v.n *= 10;
      });
      const found = p.list.find((v) => typeof v === 'object' && v.n === 30) as { n: number };
      found.n = 0;
    });
    expect(raw.list[3]).toEqual({ n: 0 });
    expect(log.size).toBe(3);
    log.rollback();
    expect(raw.list[0]).toEqual({ n: 1 });
    expect(raw.list[3]).toEqual({ n: 3 });
  });
});

describe('the handler a view or tracking proxy gets (kind remembered per prototype)', () => {
  class Plain {
    n = 1;
  }
  class Registry extends Map<string, number> {}

  it('gives instances of an ordinary class, seen many times, plain handlers, and Map subclasses Map handlers', () => {
    const raw = { a: new Plain(), b: new Plain(), reg: new Registry([['k', 1]]) };
    const view = rootView(raw);
    expect(view.a.n).toBe(1);
    expect(view.b.n).toBe(1);
    expect(view.reg.get('k')).toBe(1);
    expectCode(() => view.reg.set('k', 2), 'READONLY_VIOLATION');
    const p = tracked(raw);
    inAction(() => {
      p.reg.set('k', 3);
      p.b.n = 2;
    });
    expect(raw.reg.get('k')).toBe(3);
    expect(raw.b.n).toBe(2);
  });

  it('cannot be used to reach the entries of a Map whose prototype chain holds no Map methods (plain handler: borrowed methods throw, nothing changes)', () => {
    const odd = Reflect.construct(Map, [], Plain) as unknown as Map<string, number>;
    Map.prototype.set.call(odd, 'k', 1);
    const bare = new Map([['k', 1]]);
    Object.setPrototypeOf(bare, Object.prototype);
    const raw = { odd, bare };
    const view = rootView(raw);
    for (const m of [view.odd, view.bare]) {
      expect(() => Map.prototype.set.call(m, 'k', 2)).toThrow(TypeError);
      expect(() => Map.prototype.get.call(m, 'k')).toThrow(TypeError);
    }
    const p = tracked(raw);
    inAction(() => {
      expect(() => Map.prototype.delete.call(p.odd, 'k')).toThrow(TypeError);
    });
    expect(Map.prototype.get.call(odd, 'k')).toBe(1);
    expect(Map.prototype.get.call(bare, 'k')).toBe(1);
  });
});
