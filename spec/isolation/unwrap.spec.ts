import { types } from 'node:util';
import {
  beginTracking,
  endTracking,
  exportValue,
  toRaw,
  tracked,
  unwrapDeep,
} from '../../lib/isolation/tracking';
import { isView, rootView } from '../../lib/isolation/views';
import { findProxies, inAction } from './helpers';

interface Held {
  a: { x: number };
  map: Map<unknown, unknown>;
  set: Set<unknown>;
  slot: unknown;
}

describe('unwrapping values stored into the state', () => {
  it('never lets a proxy into the raw state', () => {
    const raw = {
      a: { x: 1 },
      list: [{ y: 2 }] as unknown[],
      map: new Map<unknown, unknown>(),
      set: new Set<unknown>(),
      slot: null as unknown,
    };
    const p = tracked(raw);
    const log = inAction(() => {
      const cyclic: Record<string, unknown> = { a: p.a };
      cyclic['self'] = cyclic;
      p.slot = {
        direct: p.a,
        nested: [p.list, { deeper: [p.list[0]] }],
        map: new Map<unknown, unknown>([[p.a, p.list[0]]]),
        set: new Set([p.a, p.list]),
        cyclic,
      };
      p.list.push(p.a, [p.a]);
      p.map.set(p.a, { back: p.list });
      p.map.set('k', p.a);
      p.set.add(p.a).add(p.list);
      Object.defineProperty(p, 'defined', {
        value: { ref: p.a },
        configurable: true,
        enumerable: true,
      });
      Object.assign(p.a, { same: p.a });
    });
    expect(findProxies(raw)).toEqual([]);
    const slot = raw.slot as { direct: unknown; map: Map<unknown, unknown> };
    expect(slot.direct).toBe(raw.a);
    expect([...slot.map.keys()][0]).toBe(raw.a);
    expect(raw.map.get(raw.a)).toEqual({ back: raw.list });
    log.rollback();
    expect(raw).toEqual({
      a: { x: 1 },
      list: [{ y: 2 }],
      map: new Map(),
      set: new Set(),
      slot: null,
    });
  });

  // A view inside an action was kept in a variable (the state comes as tracking proxies there): a
  // replay could not reach it. Stored, it was unwrapped to the raw object, and read it answered;
  // the restart then lost or refused what the live run did.
  it.each([
    ['stored directly', (p: Held, v: Held['a']) => (p.slot = v)],
    ['added to a Set', (p: Held, v: Held['a']) => p.set.add(v)],
    ['set in a Map', (p: Held, v: Held['a']) => p.map.set('k', v)],
    ['read', (p: Held, v: Held['a']) => (p.slot = v.x)],
    ['asked with in', (p: Held, v: Held['a']) => (p.slot = 'x' in v)],
    ['listed', (p: Held, v: Held['a']) => (p.slot = Object.keys(v))],
  ])('refuses a view kept in a variable and %s inside an action', (_label, use) => {
    const raw: Held = { a: { x: 1 }, map: new Map(), set: new Set(), slot: null };
    const held = rootView(raw).a;
    const log = beginTracking();
    // (Inside a fresh value, the walk at a live action's end refuses it: spec/system/actions.spec.ts.)
    expect(() => {
      try {
        use(tracked(raw), held);
      } finally {
        endTracking();
      }
    }).toThrow(/ a read-only view from inside an action \(a view kept in a variable/);
    expect(log.refusal).toBeDefined();
    log.rollback();
    expect(raw).toEqual({ a: { x: 1 }, map: new Map(), set: new Set(), slot: null });
  });

  it('catches proxies written into a fresh object after it was stored', () => {
    const raw = { a: { x: 1 }, box: null as null | { ref?: unknown } };
    const p = tracked(raw);
    inAction(() => {
      const box: { ref?: unknown } = {};
      p.box = box;
      box.ref = p.a; // the raw box is already part of the state
    });
    expect(findProxies(raw)).toEqual([]);
    expect(raw.box!.ref).toBe(raw.a);
  });

  it('finds proxies under symbol keys and non-enumerable keys of a fresh class instance', () => {
    class Box {
      plain = 1;
    }
    const key = Symbol('ref');
    const raw = { a: { x: 1 }, bySymbol: null as null | Box, hidden: null as null | Box };
    const p = tracked(raw);
    inAction(() => {
      const bySymbol = new Box();
      (bySymbol as unknown as Record<symbol, unknown>)[key] = p.a;
      p.bySymbol = bySymbol;
      const hidden = new Box();
      Object.defineProperty(hidden, 'ref', { value: p.a, configurable: true, writable: true });
      p.hidden = hidden;
    });
    expect(findProxies(raw)).toEqual([]);
    expect((raw.bySymbol as unknown as Record<symbol, unknown>)[key]).toBe(raw.a);
    expect((raw.hidden as unknown as Record<string, unknown>)['ref']).toBe(raw.a);
  });

  it('finds proxies inside stored instances of Map and Set subclasses (class instances are told apart by their kind)', () => {
    class Registry extends Map<string, unknown> {}
    class Members extends Set<unknown> {}
    class Stamp extends Date {}
    const raw = {
      a: { x: 1 },
      reg: null as unknown,
      members: null as unknown,
      stamp: null as unknown,
    };
    const p = tracked(raw);
    inAction(() => {
      p.reg = new Registry([['a', p.a]]);
      p.members = new Members([p.a]);
      const stamp = new Stamp(0);
      p.stamp = stamp;
      (raw.reg as Registry).set('later', p.a); // through the raw reference, after the store
    });
    expect(findProxies(raw)).toEqual([]);
    expect((raw.reg as Registry).get('a')).toBe(raw.a);
    expect((raw.reg as Registry).get('later')).toBe(raw.a);
    expect([...(raw.members as Members)][0]).toBe(raw.a);
    expect((raw.stamp as Stamp).getTime()).toBe(0);
  });

  it('unwrapDeep returns raw targets and changes fresh containers in place', () => {
    const raw = { a: { x: 1 } };
    const p = tracked(raw);
    const fresh = { list: [p.a], map: new Map([[1, p.a]]) };
    expect(unwrapDeep(p.a)).toBe(raw.a);
    expect(unwrapDeep(rootView(raw))).toBe(raw);
    expect(unwrapDeep(fresh)).toBe(fresh);
    expect(fresh.list[0]).toBe(raw.a);
    expect(fresh.map.get(1)).toBe(raw.a);
    expect(unwrapDeep(3)).toBe(3);
    expect(toRaw(p)).toBe(raw);
  });
});

describe('exportValue', () => {
  function actionResult() {
    const raw = { a: { x: 1 }, list: [{ y: 2 }] };
    const p = tracked(raw);
    beginTracking();
    const result = { one: p.a, many: [p.list[0], p.a], keyed: new Map([['a', p.a]]), n: 1 };
    endTracking();
    return { raw, p, result };
  }

  it("'readonly' turns tracking proxies (also inside fresh containers) into views", () => {
    const { raw, p, result } = actionResult();
    expect(exportValue(p.a, 'readonly')).toBe(rootView(raw).a);
    const out = exportValue(result, 'readonly');
    expect(out).toBe(result);
    expect(isView(out.one)).toBe(true);
    expect(out.one).toBe(rootView(raw).a);
    expect(out.many.every(isView)).toBe(true);
    expect(isView(out.keyed.get('a'))).toBe(true);
    expect(exportValue(rootView(raw).a, 'readonly')).toBe(rootView(raw).a);
    expect(exportValue('s', 'readonly')).toBe('s');
  });

  it("'none' turns tracking proxies and views into raw objects", () => {
    const { raw, p, result } = actionResult();
    expect(exportValue(p.a, 'none')).toBe(raw.a);
    expect(exportValue(rootView(raw), 'none')).toBe(raw);
    const out = exportValue(result, 'none');
    expect(out.one).toBe(raw.a);
    expect(out.many).toEqual([raw.list[0], raw.a]);
    expect(types.isProxy(out.keyed.get('a'))).toBe(false);
    expect(findProxies(out)).toEqual([]);
  });
});
