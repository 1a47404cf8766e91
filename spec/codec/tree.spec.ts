import { firstDifference } from '../../lib/codec/equal';
import {
  decodeArgs,
  decodeTree,
  encodeArgs,
  encodeTree,
  type Encoded,
  type TreeContext,
} from '../../lib/codec/tree';
import { ClassRegistry } from '../../lib/codec/registry';
import { deepCopy } from '../../lib/codec/copy';
import { constructed, makeRegistry, Page, sharesNothing, thrown, viaTree } from './fixtures';
import { kindSamples } from './samples';

const ctx: TreeContext = { registry: makeRegistry() };

function tagsFirst(e: unknown): void {
  if (Array.isArray(e)) e.forEach(tagsFirst);
  else if (typeof e === 'object' && e !== null) {
    if (Object.prototype.hasOwnProperty.call(e, '$')) expect(Object.keys(e)[0]).toBe('$');
    Object.values(e).forEach(tagsFirst);
  } else if (typeof e === 'number') {
    expect(Number.isFinite(e) && !Object.is(e, -0)).toBe(true);
  }
}

describe('tree encoding', () => {
  describe.each(kindSamples())('%s', (_name, make) => {
    it('round-trips through JSON text exactly', () => {
      const value = make();
      expect(firstDifference(value, viaTree(value, ctx))).toBeUndefined();
    });

    it('is deep-copied (clone isolation) as the tree round trip restores it, sharing nothing', () => {
      const value = make();
      const copy = deepCopy(value, ctx.registry);
      expect(firstDifference(value, copy)).toBeUndefined();
      expect(firstDifference(viaTree(value, ctx), copy)).toBeUndefined();
      expect(sharesNothing(value, copy)).toBe(true);
    });

    it('is JSON-compatible, with the "$" tag as the first key of tagged objects', () => {
      const encoded = encodeTree(make(), ctx);
      expect(JSON.parse(JSON.stringify(encoded))).toEqual(encoded);
      tagsFirst(encoded);
    });
  });

  it('keeps JSON primitives, arrays and plain objects as they are', () => {
    const value = { s: 'x', n: 1.5, t: true, f: false, z: null, a: [1, 'b', [null]] };
    expect(encodeTree(value, ctx)).toEqual(value);
  });

  it('writes the documented tagged forms', () => {
    expect(encodeTree(undefined, ctx)).toEqual({ $: 'undef' });
    expect(encodeTree(NaN, ctx)).toEqual({ $: 'num', v: 'NaN' });
    expect(encodeTree(-0, ctx)).toEqual({ $: 'num', v: '-0' });
    expect(encodeTree(-Infinity, ctx)).toEqual({ $: 'num', v: '-Infinity' });
    expect(encodeTree(12n, ctx)).toEqual({ $: 'big', v: '12' });
    expect(encodeTree(new Date(7), ctx)).toEqual({ $: 'date', v: 7 });
    expect(encodeTree(new Map([['k', 1]]), ctx)).toEqual({ $: 'map', e: [['k', 1]] });
    expect(encodeTree(new Set([1]), ctx)).toEqual({ $: 'set', e: [1] });
    expect(JSON.stringify(encodeTree(new Page('p'), ctx))).toBe(
      '{"$":"cls","c":"Page","v":{"title":"p","history":[]}}',
    );
  });

  it('escapes keys that start with "$" by one more "$" and unescapes them', () => {
    const value = { $: 1, $$x: 2, $ref: 3, a$: 4 };
    expect(encodeTree(value, ctx)).toEqual({ $$: 1, $$$x: 2, $$ref: 3, a$: 4 });
    expect(viaTree(value, ctx)).toEqual(value);
    expect(Object.keys(viaTree(value, ctx) as object)).toEqual(['$', '$$x', '$ref', 'a$']);
  });

  it('encodes an args array of primitives as itself', () => {
    const args = ['a', 1, true, null, 'b'];
    expect(encodeArgs(args, ctx)).toEqual(args);
    expect(decodeArgs(encodeArgs(args, ctx), ctx)).toEqual(args);
  });

  describe('shared references and cycles', () => {
    it('numbers objects in pre-order and refers back to them', () => {
      const inner = { i: 1 };
      const value = [{ a: inner }, inner];
      expect(encodeTree(value, ctx)).toEqual([{ a: { i: 1 } }, { $: 'ref', i: 2 }]);
    });

    it('counts leaves and Map/Set containers in the numbering', () => {
      const shared = { s: 1 };
      const value = [new Date(1), new Map([[1, new Set([2])]]), shared, shared];
      const encoded = encodeTree(value, ctx) as Encoded[];
      expect(encoded[3]).toEqual({ $: 'ref', i: 4 });
      const back = viaTree(value, ctx) as unknown[];
      expect(back[3]).toBe(back[2]);
    });

    it('keeps identity of shared objects and cycles', () => {
      const node: Record<string, unknown> = { name: 'n' };
      node.self = node;
      const date = new Date(3);
      const back = viaTree({ node, list: [node, date, date] }, ctx) as {
        node: Record<string, unknown>;
        list: unknown[];
      };
      expect(back.node.self).toBe(back.node);
      expect(back.list[0]).toBe(back.node);
      expect(back.list[1]).toBe(back.list[2]);
    });

    it('shares numbering across the arguments of one action', () => {
      const shared = { x: 1 };
      const encoded = encodeArgs([shared, 'p', shared], ctx);
      expect(encoded[2]).toEqual({ $: 'ref', i: 0 });
      const back = decodeArgs(JSON.parse(JSON.stringify(encoded)) as Encoded[], ctx);
      expect(back[2]).toBe(back[0]);
    });
  });

  describe('external hook', () => {
    const home = new Page('home');
    const other = { o: 1 };
    const path = { $: 'path', p: ['pages', 'home'] } as const;

    it('is called for every object and replaces it, unnumbered', () => {
      const seen: object[] = [];
      const external = (obj: object): Encoded | undefined => {
        seen.push(obj);
        return obj === home ? { ...path, p: [...path.p] } : undefined;
      };
      const args = [{ page: home, other }, other];
      const encoded = encodeArgs(args, { ...ctx, external });
      expect(encoded).toEqual([
        { page: path, other: { o: 1 } },
        { $: 'ref', i: 1 },
      ]);
      expect(seen).toEqual(expect.arrayContaining([args[0], home, other]));
    });

    it('hands path objects to resolveExternal on decode', () => {
      const external = (obj: object): Encoded | undefined =>
        obj === home ? { $: 'path', p: ['pages', 'home'] } : undefined;
      const resolved: unknown[] = [];
      const resolveExternal = (tagged: { $: 'path'; [k: string]: unknown }): unknown => {
        resolved.push(tagged);
        return home;
      };
      const full: TreeContext = { ...ctx, external, resolveExternal };
      const back = decodeArgs(encodeArgs([[home, home]], full), full) as [Page[]];
      expect(back[0][0]).toBe(home);
      expect(back[0][1]).toBe(home);
      expect(resolved).toEqual([path, path]);
    });

    it('refuses to decode a path without resolveExternal', () => {
      const err = thrown(() => decodeTree({ $: 'path', p: 'x' }, ctx));
      expect(err.code).toBe('INVALID_OPTION');
    });
  });

  describe('registered classes', () => {
    it('restores the prototype without running the constructor', () => {
      const page = new Page('home');
      page.history.push('v1', 'v2');
      const before = constructed.count;
      const back = viaTree(page, ctx) as Page;
      expect(constructed.count).toBe(before);
      expect(Object.getPrototypeOf(back)).toBe(Page.prototype);
      expect(back.size).toBe(2);
      back.rename('x');
      expect(back.title).toBe('x');
    });

    it('restores own enumerable properties in their order and skips non-enumerable ones', () => {
      const page = new Page('home');
      Object.defineProperty(page, '_clock', { value: { now: 1 }, enumerable: false });
      (page as unknown as Record<string, unknown>).added = 'later';
      const back = viaTree(page, ctx) as Page;
      expect(Object.keys(back)).toEqual(['title', 'history', 'added']);
      expect(Object.getOwnPropertyNames(back)).not.toContain('_clock');
    });

    it('throws UNKNOWN_CLASS for a class name that is not registered', () => {
      const encoded = encodeTree({ p: new Page('x') }, ctx);
      const err = thrown(() => decodeTree(encoded, { registry: new ClassRegistry() }));
      expect(err.code).toBe('UNKNOWN_CLASS');
      expect(err.message).toContain('"Page"');
    });
  });

  describe('malformed records', () => {
    it.each<[string, Encoded]>([
      ['unknown tag', { $: 'nope' }],
      ['reference to an unknown object', [{ $: 'ref', i: 5 }]],
      ['bad special number', { $: 'num', v: 'NaNa' }],
      ['bad BigInt', { $: 'big', v: '1.5' }],
      ['bad typed array', { $: 'ta', t: 'Float64Array', v: 'AAA=' }],
      ['Map without entries', { $: 'map' }],
      ['bad RegExp', { $: 're', s: '(', f: '' }],
    ])('throws JOURNAL_CORRUPT on %s', (_name, encoded) => {
      expect(thrown(() => decodeTree(encoded, ctx)).code).toBe('JOURNAL_CORRUPT');
    });
  });
});
