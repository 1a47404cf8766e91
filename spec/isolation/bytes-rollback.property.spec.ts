// Byte writers save only the range they write (Buffer write*, typed-array set
// and fill with plain numbers) since the cliff review: a 4-byte write into a
// 100 MB buffer copied all of it. Rollback must still restore every byte,
// whatever the arguments (negative, out of range, missing, not numbers).
import fc from 'fast-check';
import { tracked } from '../../lib/isolation/tracking';
import { inAction } from './helpers';

type Op =
  | { op: 'write'; method: string; offset: unknown }
  | { op: 'set'; source: number[]; offset: unknown; f64: boolean }
  | { op: 'fill'; start: unknown; end: unknown; f64: boolean };

const WRITERS = [
  'writeUInt8',
  'writeUint16LE',
  'writeInt32BE',
  'writeFloatLE',
  'writeDoubleBE',
  'writeBigUInt64LE',
];
const index = fc.oneof(
  fc.integer({ min: -20, max: 40 }),
  fc.constant(undefined),
  fc.constant('3'),
  fc.constant(2.5),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('write' as const),
    method: fc.constantFrom(...WRITERS),
    offset: index,
  }),
  fc.record({
    op: fc.constant('set' as const),
    source: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }),
    offset: index,
    f64: fc.boolean(),
  }),
  fc.record({ op: fc.constant('fill' as const), start: index, end: index, f64: fc.boolean() }),
);

interface Bufs {
  buf: Buffer;
  f64: Float64Array;
}

function apply(b: Bufs, op: Op, n: number): void {
  try {
    if (op.op === 'write') {
      const value = op.method.includes('Big') ? BigInt(n) : n;
      (b.buf as unknown as Record<string, (v: unknown, o: unknown) => void>)[op.method]!(
        value,
        op.offset,
      );
    } else if (op.op === 'set') {
      (op.f64 ? b.f64 : b.buf).set(op.source, op.offset as number);
    } else {
      (op.f64 ? b.f64 : b.buf).fill(n, op.start as number, op.end as number);
    }
  } catch {
    // an argument the writer refuses: nothing written
  }
}

const fresh = (): Bufs => ({
  buf: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)),
  f64: Float64Array.from({ length: 6 }, (_, i) => i / 3),
});

describe('byte writers in actions (property-based)', () => {
  it('write what they write without prevalent, and a rollback restores every byte', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        const raw = fresh();
        const direct = fresh();
        const before = { buf: Buffer.from(raw.buf), f64: Float64Array.from(raw.f64) };
        const log = inAction(() => {
          const p = tracked(raw);
          ops.forEach((op, i) => apply(p, op, 100 + i));
        });
        ops.forEach((op, i) => apply(direct, op, 100 + i));
        expect(Buffer.compare(raw.buf, direct.buf)).toBe(0);
        expect([...raw.f64]).toEqual([...direct.f64]);
        log.rollback();
        expect(Buffer.compare(raw.buf, before.buf)).toBe(0);
        expect([...raw.f64]).toEqual([...before.f64]);
      }),
      { numRuns: 500 },
    );
  });
});

// Regression: the bytes a writer saves were taken from the array's `buffer`, `byteOffset` and
// `byteLength` read as properties, which an action may define: a fill after claiming a byteLength
// of 1 saved one byte, and the rollback left the rest written.
describe('byte writers in actions after an own byteLength, byteOffset or buffer was defined', () => {
  it.each([
    ['byteLength', 1],
    ['byteOffset', 30],
    ['buffer', new ArrayBuffer(32)],
  ] as const)('a rollback restores every byte (own %s)', (name, value) => {
    const raw = fresh();
    const before = Buffer.from(raw.buf);
    const log = inAction(() => {
      const p = tracked(raw);
      Object.defineProperty(p.buf, name, { value, configurable: true });
      p.buf.fill(9);
      p.buf.writeUInt8(1, 20);
    });
    expect(raw.buf[0]).toBe(9);
    log.rollback();
    expect(Object.hasOwn(raw.buf, name)).toBe(false);
    expect(Buffer.compare(raw.buf, before)).toBe(0);
  });
});
