import * as crypto from 'node:crypto';
import { crc32 } from '../../lib/journal/crc';

// docs/FORMAT.md shows two journal records and a snapshot body: their `len`,
// `crc`, and the snapshot's trailer, must be what a reader computes from them.

const records: Array<[string, number, string]> = [
  [
    '{"args":["home","Hello"],"method":"createPage","seq":1,"threw":false,"ts":1795440848150,"v":2}',
    94,
    '9dace1ab',
  ],
  [
    '{"args":["about","About us",{"$":"path","p":["pages","home"]}],"method":"createPage","seq":2,"threw":false,"ts":1795440848158,"v":2}',
    132,
    '582f25e3',
  ],
];

const body = [
  '["c","Wiki","pages",[1,"o"],"counter",2]',
  '["o","home",[2,"c","WikiPage"],"about",[3,"c","WikiPage"]]',
  '["c","WikiPage","history",[4,"a"],"id","home","content","Hello"]',
  '["c","WikiPage","history",[5,"a"],"id","about","content","About us","parent",[2]]',
  '["a"]',
  '["a"]',
]
  .map((line) => `${line}\n`)
  .join('');

it.each(records)('the record %s has the len and crc FORMAT.md gives', (rec, len, crc) => {
  const bytes = Buffer.from(rec, 'utf8');
  expect(bytes.length).toBe(len);
  expect((crc32(bytes) >>> 0).toString(16).padStart(8, '0')).toBe(crc);
});

const header =
  '{"code":"5c0e4d3a9b7f2e18","created":"2026-11-23T13:34:08.159Z","format":"prevalent-snapshot","rootClass":"Wiki","seed":"9f1c2e7ab04d6e53c8a1f0b7d2e94c61","seq":2,"ts":1795440848158,"version":1}';

it('the snapshot FORMAT.md shows has the bytes, lines, crc and digest its trailer gives', () => {
  expect(Buffer.byteLength(body)).toBe(259);
  expect(body.split('\n').length - 1).toBe(6);
  const crc = crc32(Buffer.from(`${header}\n${body}`, 'utf8')) >>> 0;
  expect(crc.toString(16).padStart(8, '0')).toBe('b6f9461e');
  expect(crypto.createHash('sha256').update(body).digest('hex')).toBe(
    '5316863017c059ddc8452149a0266fc33446f3893b3f7594831bf9764c5cf35f',
  );
});
