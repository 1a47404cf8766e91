import fc from 'fast-check';
import { types } from 'node:util';
import { mutatorStats } from '../../lib/isolation/array-mutators';
import { toRaw, tracked } from '../../lib/isolation/tracking';
import { locate, locateStats, rootView } from '../../lib/isolation/views';
import { describe as describeGraph, expectSameGraph, findProxies, inAction } from './helpers';

/**
 * The fast paths of the array methods that move elements (shift, unshift,
 * splice, sort, reverse, fill) on a tracking proxy: the same results and
 * array as plain JavaScript, one undo entry restoring the array exactly,
 * and the element-by-element path where a plain run could not be the same.
 */

interface Item {
  id: number;
  seen?: number;
}

type ElementSpec =
  { t: 'num'; n: number } | { t: 'undef' } | { t: 'hole' } | { t: 'item'; i: number };

const elementArb: fc.Arbitrary<ElementSpec> = fc.oneof(
  fc.record({ t: fc.constant('num' as const), n: fc.integer({ min: -3, max: 30 }) }),
  fc.constant({ t: 'undef' as const }),
  fc.constant({ t: 'hole' as const }),
  fc.record({ t: fc.constant('item' as const), i: fc.nat(3) }),
);

/** An index argument as a program might pass it: in and out of range, negative, fractional, special. */
const indexArb = fc.oneof(
  fc.integer({ min: -12, max: 12 }),
  fc.constantFrom(undefined, NaN, Infinity, -Infinity, 1.5, -0.5, -0),
);

type Op =
  | ['shift']
  | ['unshift', ElementSpec[]]
  | ['splice', unknown[], ElementSpec[]]
  | ['sort', 'none' | 'byValue' | 'throws' | 'marks']
  | ['reverse']
  | ['fill', number, unknown[]];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant(['shift'] as Op),
  fc.tuple(fc.constant('unshift' as const), fc.array(elementArb, { maxLength: 3 })),
  fc.tuple(
    fc.constant('splice' as const),
    fc.array(indexArb, { maxLength: 2 }),
    fc.array(elementArb, { maxLength: 3 }),
  ),
  fc.tuple(fc.constant('sort' as const), fc.constantFrom('none', 'byValue', 'throws', 'marks')),
  fc.constant(['reverse'] as Op),
  fc.tuple(
    fc.constant('fill' as const),
    fc.integer({ min: 0, max: 9 }),
    fc.array(indexArb, { maxLength: 2 }),
  ),
) as fc.Arbitrary<Op>;

interface State {
  items: Item[];
  list: unknown[];
}

function makeState(specs: ElementSpec[]): State {
  const items: Item[] = [{ id: 0 }, { id: 1 }, { id: 2 }, { id: 3 }];
  const list: unknown[] = [];
  specs.forEach((spec, i) => {
    if (spec.t !== 'hole') list[i] = element(spec, items);
  });
  list.length = specs.length;
  return { items, list };
}

function element(spec: ElementSpec, items: Item[]): unknown {
  if (spec.t === 'num') return spec.n;
  if (spec.t === 'item') return items[spec.i];
  return undefined;
}

/** Orders numbers before items (by id), items by id: a total order for the byValue comparator. */
function rank(v: unknown): number {
  if (typeof v === 'number') return v;
  return 1000 + (v as Item).id;
}

function applyOp(s: State, op: Op): unknown {
  const list = s.list;
  switch (op[0]) {
    case 'shift':
      return list.shift();
    case 'unshift':
      return list.unshift(...op[1].map((e) => element(e, s.items)));
    case 'splice':
      return (list.splice as (...a: unknown[]) => unknown[])(
        ...op[1],
        ...op[2].map((e) => element(e, s.items)),
      );
    case 'sort':
      if (op[1] === 'none') return list.sort();
      if (op[1] === 'byValue') return list.sort((a, b) => rank(a) - rank(b));
      if (op[1] === 'marks') {
        return list.sort((a, b) => {
          // The comparator changes the elements it is handed: tracked, so undone.
          if (typeof a === 'object' && a !== null) (a as Item).seen = rank(b);
          return rank(b) - rank(a);
        });
      }
      return list.sort(() => {
        throw new RangeError('comparator');
      });
    case 'reverse':
      return list.reverse();
    case 'fill':
      return (list.fill as (...a: unknown[]) => unknown[])(op[1], ...op[2]);
  }
}

/** A result as a comparable shape: the state's own objects by their ids, arrays element by element. */
function shapeOf(value: unknown, s: State): unknown {
  const raw = toRaw(value);
  if (raw === toRaw(s.list)) return 'the list';
  if (Array.isArray(raw)) {
    const out: unknown[] = [];
    for (let i = 0; i < raw.length; i++) out.push(i in raw ? shapeOf(raw[i], s) : 'hole');
    return out;
  }
  if (typeof raw === 'object' && raw !== null) return { item: s.items.indexOf(raw as Item) };
  return raw;
}

function run(s: State, ops: Op[]): unknown[] {
  return ops.map((op) => {
    try {
      return shapeOf(applyOp(s, op), s);
    } catch (err) {
      return (err as Error).constructor.name;
    }
  });
}

const stateArb = fc.array(elementArb, { maxLength: 8 });
const opsArb = fc.array(opArb, { minLength: 1, maxLength: 8 });

describe('array methods that move elements, run on the raw array in an action', () => {
  it('give the results and the array plain JavaScript gives, holes and odd indices included (property-based)', () => {
    const before = mutatorStats.fast;
    fc.assert(
      fc.property(stateArb, opsArb, (specs, ops) => {
        const viaProxy = makeState(specs);
        const direct = makeState(specs);
        let results: unknown[] = [];
        inAction(() => {
          results = run(tracked(viaProxy), ops);
        });
        expect(results).toEqual(run(direct, ops));
        expect(findProxies(viaProxy)).toEqual([]);
        expect(describeGraph(viaProxy).shape).toEqual(describeGraph(direct).shape);
      }),
      { numRuns: 500 },
    );
    // The runs above went through the fast paths, not only the proxied ones.
    expect(mutatorStats.fast - before).toBeGreaterThan(1000);
  });

  it('are rolled back exactly, elements, holes, length and the objects the comparator changed (property-based)', () => {
    fc.assert(
      fc.property(stateArb, opsArb, (specs, ops) => {
        const raw = makeState(specs);
        const before = describeGraph(raw);
        const log = inAction(() => run(tracked(raw), ops));
        log.rollback();
        expectSameGraph(raw, before);
      }),
      { numRuns: 500 },
    );
  });

  it('shift on a long state array records one undo entry, not one per element moved', () => {
    const raw = { queue: Array.from({ length: 10_000 }, (_, id) => ({ id })) };
    const first = raw.queue[0];
    let taken: unknown;
    const log = inAction(() => {
      taken = tracked(raw).queue.shift();
    });
    expect(log.size).toBe(1);
    expect(toRaw(taken)).toBe(first);
    expect(raw.queue).toHaveLength(9_999);
    log.rollback();
    expect(raw.queue).toHaveLength(10_000);
    expect(raw.queue[0]).toBe(first);
    expect(raw.queue[9_999]).toEqual({ id: 9_999 });
  });

  it('hands the removed elements back tracked, so a change to them is recorded', () => {
    const raw = { list: [{ id: 1 }, { id: 2 }, { id: 3 }] as Item[] };
    const log = inAction(() => {
      const s = tracked(raw);
      const first = s.list.shift()!;
      expect(types.isProxy(first)).toBe(true);
      first.seen = 1;
      const [second] = s.list.splice(0, 1);
      expect(types.isProxy(second)).toBe(true);
      second!.seen = 2;
    });
    log.rollback();
    expect(raw.list.map((i) => i.seen)).toEqual([undefined, undefined, undefined]);
  });

  it('takes the proxied path on an array with an element getter, which then runs with the proxy as this', () => {
    const raw = { list: [1, 2, 3, 4] as unknown[] };
    const thisWasProxy: boolean[] = [];
    const before = mutatorStats.fast;
    inAction(() => {
      const list = tracked(raw).list;
      Object.defineProperty(list, 1, {
        get(this: unknown) {
          thisWasProxy.push(types.isProxy(this));
          return 20;
        },
        set(this: unknown) {
          thisWasProxy.push(types.isProxy(this));
        },
        enumerable: true,
        configurable: true,
      });
      list.reverse();
    });
    expect(mutatorStats.fast).toBe(before);
    expect(thisWasProxy.length).toBeGreaterThan(0);
    expect(thisWasProxy.every(Boolean)).toBe(true);
  });

  it('writes back through the proxy when the comparator defined an element getter during the sort', () => {
    const raw = { list: [3, 1, 2] as unknown[] };
    let defined = false;
    const log = inAction(() => {
      const list = tracked(raw).list;
      list.sort((a, b) => {
        if (!defined) {
          defined = true;
          Object.defineProperty(list, 0, {
            get: () => 0,
            set: () => undefined,
            enumerable: true,
            configurable: true,
          });
        }
        return (a as number) - (b as number);
      });
    });
    // The setter took the write to index 0, as in plain JavaScript.
    expect([...raw.list]).toEqual([0, 2, 3]);
    log.rollback();
    expect(Object.getOwnPropertyDescriptor(raw.list, 0)).toMatchObject({
      value: 3,
      writable: true,
    });
    expect(raw.list).toEqual([3, 1, 2]);
  });

  it('leaves a view of a moved element found by its place in the array, without searching the state', () => {
    const raw = { list: Array.from({ length: 50 }, (_, id) => ({ id })), other: { deep: [{}] } };
    const view = rootView(raw) as typeof raw;
    const tenth = view.list[10]!;
    inAction(() => {
      tracked(raw).list.splice(0, 3);
      tracked(raw).list.reverse();
    });
    const searches = locateStats.searches;
    const path = locate(tenth, raw);
    expect(path).toEqual(['list', String(46 - 7)]);
    expect(locateStats.searches).toBe(searches);
    // Found once, the new place is the link: the next locate walks it directly.
    expect(locate(tenth, raw)).toEqual(path);
  });
});
