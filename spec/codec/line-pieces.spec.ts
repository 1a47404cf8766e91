import fc from 'fast-check';
import { encodeGraph } from '../../lib/codec/graph';
import { setLinePiecesForTests } from '../../lib/codec/line-pieces';
import { containers, link, valueFactory, type Factory } from './arbitraries';
import { graphLines, makeRegistry } from './fixtures';

const registry = makeRegistry();

afterEach(() => setLinePiecesForTests());

/** A nested value plus extra links between its containers (as in properties.spec.ts). */
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

/** What encodeGraph emits: each call's text and whether the line goes on. */
function emitted(value: unknown): { text: string; more: boolean }[] {
  const calls: { text: string; more: boolean }[] = [];
  encodeGraph(value, registry, (text, more) => calls.push({ text, more: more === true }));
  return calls;
}

const sizes = fc.integer({ min: 16, max: 300 });
const runs = { numRuns: 300 };

describe('a line written in pieces', () => {
  it('adds up to the bytes of the line written whole, in pieces no longer than the size', () => {
    fc.assert(
      fc.property(graphFactory, sizes, (make, size) => {
        const value = make();
        const whole = graphLines(value, registry);
        setLinePiecesForTests({ write: size });
        const calls = emitted(value);
        setLinePiecesForTests();
        const lines: string[] = [];
        let pieces: string[] = [];
        for (const { text, more } of calls) {
          pieces.push(text);
          if (more) continue;
          // A line in pieces: none longer than the size (one more for a slice's quote, and
          // a number, which is never cut, up to 24); a line whole: at most about the size.
          const longest = Math.max(...pieces.map((piece) => piece.length));
          if (pieces.length > 1) expect(longest).toBeLessThanOrEqual(Math.max(size + 1, 24));
          else expect(longest).toBeLessThanOrEqual(2 * size + 64);
          lines.push(pieces.join(''));
          pieces = [];
        }
        expect(pieces).toEqual([]);
        expect(lines).toEqual(whole);
      }),
      runs,
    );
  });

  it('slices a string that needs escapes at every place, never inside a surrogate pair', () => {
    const core = 'a"\\\n\u0001é€😀\ud800x\udc00😀😀"\u2028\t';
    for (const size of [16, 17, 18, 23, 24, 30, 36]) {
      for (let pad = 0; pad < 7; pad++) {
        const value = ['p'.repeat(pad) + core.repeat(3)];
        const whole = graphLines(value, registry);
        setLinePiecesForTests({ write: size });
        const calls = emitted(value);
        setLinePiecesForTests();
        expect(calls.length).toBeGreaterThan(3);
        expect(calls.map((c) => c.text).join('')).toBe(whole[0]);
        for (const { text } of calls) {
          // No lone surrogate escaped where the whole line has a pair.
          expect(text).not.toMatch(/\\ud83d|\\ude00/);
        }
      }
    }
  });

  it('writes a binary leaf whose base64 is longer than a piece in slices of whole base64 groups', () => {
    const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
    const value = {
      b: bytes,
      t: new Float64Array(bytes.buffer.slice(0, 800)),
      ab: bytes.buffer.slice(0, 999),
      n: 12345678901234567890n * 10n ** 80n,
      r: /a{1,2}b+c*(d|e)f?g[h-k]lmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz/gu,
    };
    value.r.lastIndex = 3;
    const whole = graphLines(value, registry);
    for (const size of [16, 40, 64, 100, 1000]) {
      setLinePiecesForTests({ write: size });
      const calls = emitted(value);
      setLinePiecesForTests();
      expect(calls.map((c) => c.text).join('')).toBe(whole.join(''));
      expect(Math.max(...calls.map((c) => c.text.length))).toBeLessThanOrEqual(size + 1);
    }
  });

  it('writes a value root in pieces too', () => {
    for (const value of ['x'.repeat(500), Buffer.alloc(300, 7), 10n ** 200n]) {
      const whole = graphLines(value, registry);
      setLinePiecesForTests({ write: 16 });
      const calls = emitted(value);
      setLinePiecesForTests();
      expect(calls.length).toBeGreaterThan(1);
      expect(calls.map((c) => c.text).join('')).toBe(whole[0]);
    }
  });
});
