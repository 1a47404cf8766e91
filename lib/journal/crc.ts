import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, initial?: number) => number;

// zlib.crc32 arrived in Node 20.15 / 22.2; older runtimes get the table below.
const native: Crc32Fn | undefined = (zlib as { crc32?: Crc32Fn }).crc32;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 (IEEE, the zlib/PNG polynomial) computed in plain JavaScript.
 * Same results as {@link crc32}; exported so tests can compare the two.
 */
export function crc32Portable(data: Uint8Array, initial = 0): number {
  const t = crcTable();
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    c = (t[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 of `data` as an unsigned 32-bit integer. Pass a previous result as
 * `initial` to continue a checksum over several pieces. Uses node's native
 * `zlib.crc32` when the runtime has it.
 */
export const crc32: Crc32Fn = native ? (data, initial = 0) => native(data, initial) : crc32Portable;
