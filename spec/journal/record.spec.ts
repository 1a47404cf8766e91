import * as zlib from 'node:zlib';
import fc from 'fast-check';
import stableStringify from 'fast-json-stable-stringify';
import { isPrevalenceError } from '../../lib/errors';
import { crc32, crc32Portable } from '../../lib/journal/crc';
import {
  decodeRecordAt,
  encodeRecordLine,
  parseRecordLine,
  RecordEncoder,
} from '../../lib/journal/record';
import { thrown } from './helpers';

describe('crc32', () => {
  it('gives the standard check value for "123456789"', () => {
    const data = Buffer.from('123456789');
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32Portable(data)).toBe(0xcbf43926);
  });

  it('portable table and native zlib agree, also when continued over pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (bytes, cut) => {
        const data = Buffer.from(bytes);
        const at = Math.min(cut, data.length);
        const whole = zlib.crc32(data);
        expect(crc32Portable(data)).toBe(whole);
        expect(crc32(data)).toBe(whole);
        const first = crc32Portable(data.subarray(0, at));
        expect(crc32Portable(data.subarray(at), first)).toBe(whole);
      }),
    );
  });
});

describe('record line format', () => {
  it('writes the documented envelope with sorted keys and a CRC over the REC bytes', () => {
    const line = encodeRecordLine(7, 1234, 'rename', '["Zoë",{"a":1}]', true).toString('utf8');
    const rec = '{"args":["Zoë",{"a":1}],"method":"rename","seq":7,"threw":true,"ts":1234,"v":2}';
    const crc = zlib.crc32(Buffer.from(rec, 'utf8')).toString(16).padStart(8, '0');
    const len = Buffer.byteLength(rec);
    expect(len).toBe(rec.length + 1); // ë takes two bytes: len counts bytes
    expect(line).toBe(`{"crc":"${crc}","len":${len},"rec":${rec}}\n`);
    expect(line).toBe(stableStringify(JSON.parse(line)) + '\n');
  });

  /** seq - 1, ts, method, args, threw: any record the writer may be asked to encode. */
  const recordFields = [
    fc.nat({ max: Number.MAX_SAFE_INTEGER - 1 }),
    fc.integer({ min: -8.64e15, max: 8.64e15 }),
    fc.string({ unit: 'binary' }),
    fc.array(fc.jsonValue()),
    fc.boolean(),
  ] as const;

  it('RecordEncoder writes the same bytes as encodeRecordLine, line after line, small and huge', () => {
    const encoder = new RecordEncoder();
    fc.assert(
      fc.property(...recordFields, (seq0, ts, method, args, threw) => {
        const argsJson = JSON.stringify(args);
        const expected = encodeRecordLine(seq0 + 1, ts, method, argsJson, threw);
        const a = Buffer.from(encoder.encode(seq0 + 1, ts, method, argsJson, threw));
        expect(a.equals(expected)).toBe(true);
      }),
    );
    // Past the reused buffer's size the encoder falls back to a line of its own.
    const huge = JSON.stringify(['é'.repeat(40_000)]);
    const line = encoder.encode(1, 2, 'put', huge, false);
    expect(Buffer.from(line).equals(encodeRecordLine(1, 2, 'put', huge, false))).toBe(true);
    // A method name JSON escapes to 6 bytes a character (regression: the line was cut short).
    const method = '\u0001'.repeat(11_000);
    const escaped = encoder.encode(3, 4, method, '[]', false);
    expect(Buffer.from(escaped).equals(encodeRecordLine(3, 4, method, '[]', false))).toBe(true);
  });

  it('round-trips any method name and JSON arguments through encode and parse', () => {
    fc.assert(
      fc.property(...recordFields, (seq0, ts, method, args, threw) => {
        const seq = seq0 + 1;
        // The envelope's own keys are sorted; sorted args make the whole line canonical.
        const argsJson = stableStringify(args);
        const line = encodeRecordLine(seq, ts, method, argsJson, threw);
        expect(line.subarray(0, 8).toString()).toBe('{"crc":"');
        expect(line[line.length - 1]).toBe(0x0a);
        expect(line.subarray(0, -1).includes(0x0a)).toBe(false);
        expect(parseRecordLine(line)).toEqual({
          seq,
          ts,
          method,
          args: JSON.parse(argsJson),
          threw,
          version: 2,
        });
        const asText = line.toString('utf8');
        expect(stableStringify(JSON.parse(asText)) + '\n').toBe(asText);
      }),
    );
  });

  it('decodes a line at an offset inside a larger buffer and reports its length', () => {
    const a = encodeRecordLine(1, 10, 'a', '[]', false);
    const b = encodeRecordLine(2, 20, 'b', '[1]', false);
    const buf = Buffer.concat([a, b]);
    const r = decodeRecordAt(buf, a.length, buf.length);
    expect(r).toEqual({
      ok: true,
      length: b.length,
      record: { seq: 2, ts: 20, method: 'b', args: [1], threw: false, version: 2 },
    });
  });

  /** A line holding `rec` as it is, with its own len and CRC. */
  function lineWithRec(rec: string): Buffer {
    const bytes = Buffer.from(rec, 'utf8');
    const crc = zlib.crc32(bytes).toString(16).padStart(8, '0');
    return Buffer.from(`{"crc":"${crc}","len":${bytes.length},"rec":${rec}}\n`, 'utf8');
  }

  it('reads a record without "v" (an earlier version wrote it) as version 1, by either parser', () => {
    const old = encodeRecordLine(4, 40, 'put', '["k",1]', false, 1);
    expect(old.toString()).toContain('"ts":40}}');
    expect(parseRecordLine(old)).toMatchObject({ seq: 4, args: ['k', 1], version: 1 });
    const notPlain = encodeRecordLine(4, 40, 'put', '[{"a":1}]', false, 1);
    expect(parseRecordLine(notPlain)).toMatchObject({ args: [{ a: 1 }], version: 1 });
  });

  it('decodes a record of a version it does not know (the replay refuses it; it is not damage)', () => {
    const rec = '{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":3}';
    expect(parseRecordLine(lineWithRec(rec))).toMatchObject({ seq: 1, version: 3 });
  });

  it.each(['0', '-1', '2.5', '"2"', 'null', 'true', '9007199254740993', '{"major":3}'])(
    'decodes a record whose "v" is %s as of an unknown version (not damage: its CRC holds; regression (review): it was cut as a torn tail)',
    (v) => {
      const line = lineWithRec(`{"args":[],"method":"m","seq":1,"threw":false,"ts":0,"v":${v}}`);
      expect(parseRecordLine(line).version).toBeNaN();
    },
  );

  it('asks for the full length when given only the start of a line', () => {
    const line = encodeRecordLine(3, 30, 'c', '["long enough"]', false);
    const r = decodeRecordAt(line, 0, 60);
    expect(r).toMatchObject({ ok: false, needed: line.length });
  });

  const good = encodeRecordLine(5, 50, 'put', '["k",1]', false).toString('latin1');
  const cases: [string, string, RegExp][] = [
    ['an empty line', '', /incomplete record header/],
    ['a torn header', good.slice(0, 20), /incomplete record header/],
    [
      'uppercase hex',
      good.replace(/"crc":"([0-9a-f]{8})"/, (_m, h: string) => `"crc":"${h.toUpperCase()}"`),
      /crc is not 8 lowercase hex/,
    ],
    [
      'a wrong len',
      good.replace(/"len":(\d+)/, (_m, n: string) => `"len":${Number(n) - 1}`),
      /does not end with/,
    ],
    ['a len with a leading zero', good.replace(/"len":(\d+)/, '"len":0$1'), /bad "len"/],
    ['a changed payload', good.replace('"put"', '"pot"'), /checksum mismatch/],
    ['no newline', good.slice(0, -1), /incomplete record/],
    ['extra bytes', good + 'x', /unexpected bytes/],
  ];
  it.each(cases)('rejects %s with JOURNAL_CORRUPT', (_name, text, reason) => {
    const err = thrown(() => parseRecordLine(Buffer.from(text, 'latin1')));
    expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
    expect(err.message).toMatch(reason);
  });

  it('rejects a well-framed record whose fields have the wrong types', () => {
    const rec = '{"args":{},"method":"m","seq":1,"threw":false,"ts":1}';
    const crc = zlib.crc32(Buffer.from(rec)).toString(16).padStart(8, '0');
    const line = `{"crc":"${crc}","len":${rec.length},"rec":${rec}}\n`;
    expect(thrown(() => parseRecordLine(line)).message).toMatch(/no valid "args"/);
  });
});
