import fc from 'fast-check';
import { firstDifference } from '../../lib/codec/equal';
import { deepCopy } from '../../lib/codec/copy';
import {
  decodeLines,
  graphLines,
  makeRegistry,
  sharesNothing,
  viaGraph,
  viaTree,
} from './fixtures';
import { containers, link, mutate, valueFactory, type Factory } from './arbitraries';

const registry = makeRegistry();
const ctx = { registry };
const runs = { numRuns: 300 };

/** A nested value plus extra links between its containers: shared references and cycles. */
const graphFactory = fc
  .tuple(valueFactory, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }))
  .map(([make, edges]): Factory => {
    const build = (): unknown => {
      const root = make();
      const found = containers(root);
      if (found.length === 0) return root;
      edges.forEach(([from, to], slot) => {
        link(found[from % found.length] as object, found[to % found.length] as object, slot);
      });
      return root;
    };
    return Object.assign(build, {
      toString: () => `${String(make)} + links ${JSON.stringify(edges)}`,
    });
  });

describe('codec properties', () => {
  it('builds equal values from one factory (sanity check of the comparison)', () => {
    fc.assert(
      fc.property(graphFactory, (make) => firstDifference(make(), make()) === undefined),
      runs,
    );
  });

  it('round-trips nested values through the tree encoding', () => {
    fc.assert(
      fc.property(valueFactory, (make) => {
        const value = make();
        expect(firstDifference(value, viaTree(value, ctx))).toBeUndefined();
      }),
      runs,
    );
  });

  it('round-trips graphs with shared references and cycles through the tree encoding', () => {
    fc.assert(
      fc.property(graphFactory, (make) => {
        const value = make();
        expect(firstDifference(value, viaTree(value, ctx))).toBeUndefined();
      }),
      runs,
    );
  });

  it('deep-copies graphs (clone isolation) as the tree round trip restores them, sharing nothing', () => {
    fc.assert(
      fc.property(graphFactory, (make) => {
        const value = make();
        const copy = deepCopy(value, registry);
        expect(firstDifference(value, copy)).toBeUndefined();
        expect(firstDifference(viaTree(value, ctx), copy)).toBeUndefined();
        expect(sharesNothing(value, copy)).toBe(true);
      }),
      runs,
    );
  });

  it('round-trips graphs through the graph encoding, deterministically', () => {
    fc.assert(
      fc.property(graphFactory, (make) => {
        const value = make();
        const lines = graphLines(value, registry);
        expect(graphLines(make(), registry)).toEqual(lines);
        const back = decodeLines(lines, registry);
        expect(firstDifference(value, back)).toBeUndefined();
        expect(graphLines(back, registry)).toEqual(lines);
      }),
      runs,
    );
  });

  it('finds a difference after a random mutation of a decoded copy', () => {
    fc.assert(
      fc.property(graphFactory, fc.nat(), fc.nat(), (make, which, pick) => {
        const value = make();
        const copy = viaGraph(value, registry);
        const found = containers(copy);
        if (found.length === 0) {
          expect(firstDifference(value, [copy])).toBeDefined();
          return;
        }
        mutate(found[which % found.length] as object, pick);
        expect(firstDifference(value, copy)).toBeDefined();
      }),
      runs,
    );
  });
});
