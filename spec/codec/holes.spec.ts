import { firstDifference } from '../../lib/codec/equal';
import { decodeTree, encodeTree, type Encoded } from '../../lib/codec/tree';
import { decodeLines, graphLines, makeRegistry, thrown, viaGraph, viaTree } from './fixtures';
import { sparse } from './samples';

const ctx = { registry: makeRegistry() };

/** Indexes of the holes of `arr`. */
function holesOf(arr: unknown[]): number[] {
  const holes: number[] = [];
  for (let i = 0; i < arr.length; i++) if (!(i in arr)) holes.push(i);
  return holes;
}

// Regression: both encodings wrote a hole as undefined, so `i in arr`, Object.keys and the
// key order came back different after a restart from a snapshot or a replayed argument.
describe('array holes', () => {
  const cases: [string, () => unknown[]][] = [
    ['a hole at the start', () => sparse(3, [1, 'a'], [2, 'b'])],
    ['a hole in the middle', () => sparse(3, [0, 'a'], [2, 'b'])],
    ['a hole at the end', () => sparse(3, [0, 'a'], [1, 'b'])],
    ['runs of holes and undefined elements', () => sparse(12, [3, undefined], [4, 1], [9, null])],
    ['only holes', () => new Array<unknown>(5)],
    ['a hole before an object', () => sparse(3, [2, { o: 1 }])],
    ['a long run of holes', () => sparse(1_000_001, [1_000_000, 1])],
  ];

  describe.each(cases)('%s', (_name, make) => {
    it.each([
      ['tree', viaTree],
      ['graph', viaGraph],
    ])('come back as holes through the %s encoding', (_codec, via) => {
      const value = make();
      const back = via(value) as unknown[];
      expect(back.length).toBe(value.length);
      expect(holesOf(back)).toEqual(holesOf(value));
      expect(Object.keys(back)).toEqual(Object.keys(value));
      expect(firstDifference(value, back)).toBeUndefined();
      const wrapped = { list: [value, value] };
      expect(firstDifference(wrapped, via(wrapped))).toBeUndefined();
    });
  });

  it('writes one hole as {"$":"hole"} and a run of n as {"$":"hole","n":n} (tree)', () => {
    expect(encodeTree(sparse(6, [1, 'a'], [4, undefined]), ctx)).toEqual([
      { $: 'hole' },
      'a',
      { $: 'hole', n: 2 },
      { $: 'undef' },
      { $: 'hole' },
    ]);
    expect(encodeTree([1, 2], ctx)).toEqual([1, 2]);
  });

  it('writes one hole as ["h"] and a run of n as ["h",n] (graph)', () => {
    expect(graphLines(sparse(6, [1, 'a'], [4, undefined]))).toEqual([
      '["a",["h"],"a",["h",2],["u"],["h"]]',
    ]);
  });

  it('keeps a long run of holes small in both encodings', () => {
    const value = sparse(1_000_001, [1_000_000, 1]);
    expect(JSON.stringify(encodeTree(value, ctx))).toBe('[{"$":"hole","n":1000000},1]');
    expect(graphLines(value)).toEqual(['["a",["h",1000000],1]']);
  });

  it('decodes data written before holes were stored as it always did: undefined elements', () => {
    const tree = decodeTree([1, { $: 'undef' }, 3], ctx) as unknown[];
    expect(1 in tree).toBe(true);
    expect(tree).toEqual([1, undefined, 3]);
    const graph = decodeLines(['["o","a",[1,"a"]]', '["a",["u"],2,["u"]]']) as { a: unknown[] };
    expect(holesOf(graph.a)).toEqual([]);
    expect(graph.a).toEqual([undefined, 2, undefined]);
  });

  it.each<[string, Encoded]>([
    ['a hole outside an array', { a: { $: 'hole' } }],
    ['a hole as the whole value', { $: 'hole' }],
    ['a run of zero holes', [{ $: 'hole', n: 0 }]],
    ['a run of a fractional count', [{ $: 'hole', n: 1.5 }]],
    ['a run given as text', [{ $: 'hole', n: '3' }]],
    ['a run past the largest array', [1, { $: 'hole', n: 2 ** 32 - 1 }]],
  ])('throws JOURNAL_CORRUPT on %s (tree)', (_name, encoded) => {
    expect(thrown(() => decodeTree(encoded, ctx)).code).toBe('JOURNAL_CORRUPT');
  });

  it.each<[string, string[]]>([
    ['a hole outside an array', ['["o","a",["h"]]']],
    ['a hole in a Set', ['["s",["h"]]']],
    ['a run of zero holes', ['["a",["h",0]]']],
    ['a run of a fractional count', ['["a",["h",1.5]]']],
    ['a run with extra elements', ['["a",["h",2,3]]']],
    ['a JSON object that looks like a hole', ['["a",{"0":"h"}]']],
    ['a run past the largest array', ['["a",1,["h",4294967295]]']],
  ])('throws SNAPSHOT_CORRUPT on %s (graph)', (_name, lines) => {
    expect(thrown(() => decodeLines(lines)).code).toBe('SNAPSHOT_CORRUPT');
  });
});
