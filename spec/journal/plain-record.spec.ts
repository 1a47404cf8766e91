import fc from 'fast-check';
import { parsePlainRecord } from '../../lib/journal/plain-record';

function recordBytes(
  args: unknown[],
  method: string,
  seq: number,
  threw: boolean,
  ts: number,
  v?: unknown,
): Buffer {
  const rec = { args, method, seq, threw, ts, v };
  return Buffer.from(JSON.stringify(rec), 'utf8');
}

/** What the record decoder makes of the JSON.parse of a record: `v` as `version` (1 when absent). */
function asRecord(parsed: { v?: number }): unknown {
  const { v, ...rest } = parsed;
  return { ...rest, version: v ?? 1 };
}

describe('parsePlainRecord', () => {
  it('gives exactly what JSON.parse gives whenever it parses, and parses every record of plain arguments', () => {
    const plainArg = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const anyArg = fc.oneof(plainArg, fc.string({ unit: 'binary' }), fc.jsonValue());
    fc.assert(
      fc.property(
        fc.array(fc.oneof(plainArg, anyArg), { maxLength: 5 }),
        fc.string({ unit: 'grapheme-ascii', minLength: 1 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.boolean(),
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }),
        (args, method, seq, threw, ts, v) => {
          const bytes = recordBytes(args, method, seq, threw, ts, v);
          // Padding around the record: the parser must stay inside [start, end).
          const buf = Buffer.concat([Buffer.from('xx'), bytes, Buffer.from('"\\\n')]);
          const parsed = parsePlainRecord(buf, 2, 2 + bytes.length);
          const expected = asRecord(JSON.parse(bytes.toString('utf8')) as { v?: number });
          const json = bytes.toString('utf8');
          const plainValue = (a: unknown): boolean =>
            a === null ||
            typeof a === 'string' ||
            typeof a === 'boolean' ||
            (typeof a === 'number' && Number.isSafeInteger(a));
          const plain = !/\\/.test(json) && args.every(plainValue);
          if (plain) expect(parsed).toBeDefined();
          if (parsed !== undefined) {
            expect(parsed).toEqual(expected);
            parsed.args.forEach((a, k) =>
              expect(Object.is(a, (expected as { args: unknown[] }).args[k])).toBe(true),
            );
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('reuses the last method name only for the same bytes (same-length names, long and UTF-8 names)', () => {
    const long = 'm'.repeat(100);
    const names = ['ab', 'ac', 'ab', 'ab', 'éa', 'aé', 'aé', long, `${long}x`, long, 'ab', 'é'];
    names.forEach((method, k) => {
      const bytes = recordBytes([k], method, k + 1, false, 0);
      expect(parsePlainRecord(bytes, 0, bytes.length)?.method).toBe(method);
    });
  });

  it('declines what it does not handle, for JSON.parse to judge', () => {
    const cases = [
      '{"args":[{"$":"undef"}],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":["a\\"b"],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[],"method":"m","seq":0,"threw":false,"ts":0}',
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"x":1}',
      '{"args":[],"method":"m","seq":1,"threw":maybe,"ts":0}',
      '{"args":[1 2],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"method":"m","args":[],"seq":1,"threw":false,"ts":0}',
      // Numbers JSON.parse refuses (regression: Number() accepted them).
      '{"args":[01],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[+1],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[1.],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[.5],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[-01],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[00],"method":"m","seq":1,"threw":false,"ts":0}',
      '{"args":[],"method":"m","seq":01,"threw":false,"ts":0}',
      // Fractions and exponents are left to JSON.parse.
      '{"args":[1.5],"method":"m","seq":1,"threw":false,"ts":0}',
      // A record version that is not a positive integer, or keys after it.
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":0}',
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":-2}',
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":2.5}',
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":"2"}',
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":2,"x":1}',
      '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":}',
    ];
    for (const c of cases) {
      const buf = Buffer.from(c, 'utf8');
      expect(parsePlainRecord(buf, 0, buf.length)).toBeUndefined();
    }
  });
});
