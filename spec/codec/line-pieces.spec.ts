import fc from 'fast-check';
import { firstDifference } from '../../lib/codec/equal';
import { encodeGraph, GraphDecoder } from '../../lib/codec/graph';
import { safeCut } from '../../lib/codec/line-bytes';
import { linePieces, setLinePiecesForTests } from '../../lib/codec/line-pieces';
import { isPrevalenceError } from '../../lib/errors';
import { containers, link, valueFactory, type Factory } from './arbitraries';
import { graphLines, makeRegistry, Page, thrown } from './fixtures';
import { sparse } from './samples';

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

/** Decodes `lines`, each longer than the read size fed as bytes cut at `cuts` (cycled). */
function decodeInParts(lines: readonly string[], cuts: readonly number[]): unknown {
  const decoder = new GraphDecoder(registry);
  let c = 0;
  for (const line of lines) {
    const bytes = Buffer.from(line, 'utf8');
    if (bytes.length <= linePieces.read) {
      decoder.push(line);
      continue;
    }
    for (let at = 0; at < bytes.length;) {
      const size = Math.max(1, cuts.length === 0 ? bytes.length : (cuts[c++ % cuts.length] ?? 1));
      decoder.pushBytes(bytes.subarray(at, at + size));
      at += size;
    }
    decoder.endBytes();
  }
  return decoder.finish();
}

/** Feeds `line` as the bytes of one long line of a fresh decoder, cut at `cuts`, and finishes. */
function decodeLine(line: string | Buffer, cuts: readonly number[] = []): unknown {
  const decoder = new GraphDecoder(registry);
  const bytes = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    decoder.pushBytes(bytes.subarray(from, Math.max(from, cut)));
    from = Math.max(from, cut);
  }
  decoder.endBytes();
  return decoder.finish();
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
          // a number, which is never cut, up to 25); a line whole: at most about the size.
          const longest = Math.max(...pieces.map((piece) => piece.length));
          if (pieces.length > 1) expect(longest).toBeLessThanOrEqual(Math.max(size + 1, 25));
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

  it('writes a number whole, the longest ones included (regression: 25 characters were counted 24)', () => {
    const value = [-0.0000010030549853324861, -2.2250738585072014e-308, -1.2345678901234567e20, 7];
    const whole = graphLines(value, registry);
    setLinePiecesForTests({ write: 16 });
    const calls = emitted(value);
    setLinePiecesForTests();
    expect(calls.map((c) => c.text).join('')).toBe(whole[0]);
    expect(Math.max(...calls.map((c) => c.text.length))).toBe(25);
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

describe('a line read from its bytes in parts', () => {
  it('gives the value the whole lines give, cut anywhere', () => {
    fc.assert(
      fc.property(
        graphFactory,
        sizes,
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
        (make, size, cuts) => {
          const value = make();
          const lines = graphLines(value, registry);
          setLinePiecesForTests({ read: size });
          const back = decodeInParts(lines, cuts);
          setLinePiecesForTests();
          expect(firstDifference(value, back)).toBeUndefined();
        },
      ),
      runs,
    );
  });

  it('decodes a long string cut at every byte, escapes and surrogate pairs included', () => {
    const text = 'q"\\\n\u0001é€😀\ud800x\udc00😀"\u2028\t/\\u'.repeat(4);
    const line = JSON.stringify(['a', text, 'é'.repeat(40), 7]);
    setLinePiecesForTests({ read: 16 });
    const bytes = Buffer.from(line, 'utf8');
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(decodeLine(bytes, [cut])).toEqual([text, 'é'.repeat(40), 7]);
      expect(decodeLine(bytes, [cut, cut + 1, cut + 5])).toEqual([text, 'é'.repeat(40), 7]);
    }
    // One byte at a time.
    expect(
      decodeLine(
        bytes,
        Array.from({ length: bytes.length }, (_, i) => i),
      ),
    ).toEqual([text, 'é'.repeat(40), 7]);
  });

  it('cuts a slice of a string only between characters and escapes', () => {
    const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
    expect(safeCut(enc('abc'))).toBe(3);
    expect(safeCut(enc('ab\\'))).toBe(2);
    expect(safeCut(enc('ab\\\\'))).toBe(4);
    expect(safeCut(enc('ab\\\\\\'))).toBe(4);
    expect(safeCut(enc('ab\\u00'))).toBe(2);
    expect(safeCut(enc('ab\\u0041'))).toBe(8);
    expect(safeCut(enc('ab\\\\u00'))).toBe(7);
    expect(safeCut(enc('ab\\n'))).toBe(4);
    const euro = enc('a€');
    expect(safeCut(euro.subarray(0, 2))).toBe(1);
    expect(safeCut(euro.subarray(0, 3))).toBe(1);
    expect(safeCut(euro)).toBe(4);
    const smile = enc('a😀');
    for (let end = 2; end < 5; end++) expect(safeCut(smile.subarray(0, end))).toBe(1);
    expect(safeCut(smile)).toBe(5);
  });

  it('takes the keys and values of objects, Maps and class instances split across runs', () => {
    const map = new Map<unknown, unknown>([
      ['k'.repeat(70), 'v'.repeat(70)],
      [{ key: 'x'.repeat(80) }, [1, 2]],
      [3, 'three'],
    ]);
    const page = new Page('t'.repeat(100));
    const value = {
      ['long key '.repeat(10)]: 'long value '.repeat(10),
      short: 1,
      map,
      page,
      nul: Object.assign(Object.create(null) as object, { ['n'.repeat(90)]: 'y'.repeat(90) }),
      holes: sparse(7, [1, 'x'.repeat(70)], [5, 'y'.repeat(70)]),
    };
    const lines = graphLines(value, registry);
    for (const size of [16, 20, 33, 64]) {
      setLinePiecesForTests({ read: size });
      for (const cut of [1, 2, 3, 5, 7, 11, 64]) {
        expect(firstDifference(value, decodeInParts(lines, [cut]))).toBeUndefined();
      }
    }
  });

  it('decodes long base64, BigInt digits, RegExp sources and class names from parts', () => {
    const bytes = Buffer.from(Array.from({ length: 1001 }, (_, i) => (i * 31) % 256));
    const value = [
      bytes,
      new Uint16Array(bytes.buffer.slice(0, 600)),
      bytes.buffer.slice(1, 1000),
      Buffer.alloc(0),
      bytes.subarray(0, 100),
      bytes.subarray(0, 101),
      bytes.subarray(0, 102),
      -(7n ** 300n),
      new RegExp('(x|y)'.repeat(40), 'gy'),
    ];
    const lines = graphLines(value, registry);
    setLinePiecesForTests({ read: 16 });
    for (const cut of [1, 3, 4, 13, 100, 5000]) {
      const back = decodeInParts(lines, [cut]) as unknown[];
      expect(firstDifference(value, back)).toBeUndefined();
      const restored = back[0] as Buffer;
      // A Buffer of its own, as a whole line gives.
      expect(restored.buffer.byteLength).toBe(restored.length);
    }
  });
});

describe('a malformed long line', () => {
  const malformed = [
    '',
    '   ',
    '{"o":1}',
    '"a"',
    '["o","k"',
    '["o","k",1',
    '["o","k","unterminated',
    '["o","k",1]]',
    '["o","k",1] x',
    '["o","k",1,]',
    '["o","k",,1]',
    '[,"o","k",1]',
    '["o" "k",1]',
    '["o","k",[1}]',
    '["o","k",{"a":1}]',
    '["o","k",[1,2]',
    '["o","k",nul]',
    '["o","k","bad \\x escape"]',
    '["o","k","raw \u0001 control"]',
    '["o","k"]["o"]',
    '["o","k","' + 'x'.repeat(100) + '" 1]',
    '["o","k","' + 'x'.repeat(100) + '",]',
    '["o","k",[0,"b","' + 'QUJD'.repeat(30) + '",]]',
    '["o","k",[0,"b","' + 'QUJD'.repeat(30) + '" 5]]',
    '["o","k",[0,"b" "' + 'QUJD'.repeat(30) + '"]]',
    '["o","k",[0,,"b","' + 'QUJD'.repeat(30) + '"]]',
    '["o","k",[0,"b","' + 'QUJD'.repeat(30) + '"}]',
    '["o","k",[0,"b","' + 'QUJD'.repeat(30),
    '["o","k",[0,"x","' + 'QUJD'.repeat(30) + '"]]',
    '["o","' + 'k'.repeat(100) + '"]',
    '["o",' + '1,'.repeat(60) + '1]',
    '["a",["h",0],"' + 'x'.repeat(100) + '"]',
    '["o","k",[7]]',
  ];

  it.each(malformed.map((line) => [line.slice(0, 60), line]))(
    'gives SNAPSHOT_CORRUPT, cut anywhere: %s',
    (_name, line) => {
      setLinePiecesForTests({ read: 16 });
      const bytes = Buffer.from(line, 'utf8');
      for (let cut = 0; cut <= bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) {
        const err = thrown(() => decodeLine(bytes, [cut]));
        expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
      }
      // The whole-line parser says the same.
      setLinePiecesForTests();
      const whole = thrown(() => {
        const decoder = new GraphDecoder(registry);
        decoder.push(line);
        decoder.finish();
      });
      expect(isPrevalenceError(whole, 'SNAPSHOT_CORRUPT')).toBe(true);
    },
  );

  it('gives only SNAPSHOT_CORRUPT or a value for damaged lines, never another error', () => {
    fc.assert(
      fc.property(
        graphFactory,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.nat(),
        fc.integer({ min: 1, max: 30 }),
        (make, flips, truncate, cut) => {
          const lines = graphLines(make(), registry);
          setLinePiecesForTests({ read: 16 });
          const decoder = new GraphDecoder(registry);
          try {
            for (const [n, line] of lines.entries()) {
              const bytes = Buffer.from(line, 'utf8');
              if (n === lines.length - 1) {
                for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
              }
              const end = n === lines.length - 1 ? bytes.length - (truncate % 3) : bytes.length;
              for (let at = 0; at < end; at += cut)
                decoder.pushBytes(bytes.subarray(at, Math.min(end, at + cut)));
              decoder.endBytes();
            }
            decoder.finish();
          } catch (err) {
            if (
              !isPrevalenceError(err, 'SNAPSHOT_CORRUPT') &&
              !isPrevalenceError(err, 'UNKNOWN_CLASS')
            ) {
              throw err;
            }
          }
        },
      ),
      runs,
    );
  });
});
