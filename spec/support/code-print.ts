import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/**
 * Rewrites every snapshot of `dir` as a prevalent from before code prints
 * wrote it: its header without `code`, the trailer's CRC-32 (which covers
 * the header) recomputed. A test that changes a method between opens to
 * stand for records an earlier prevalent wrote needs this: with the print,
 * the open would take the change for a deploy of other code.
 */
export function withoutCodePrints(dir: string): void {
  for (const name of fs.readdirSync(dir).filter((f) => /^snapshot-\d{16}\.snap$/.test(f))) {
    const file = path.join(dir, name);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    delete header['code'];
    lines[0] = JSON.stringify(Object.fromEntries(Object.entries(header).sort()));
    const trailerAt = lines.length - 2;
    const trailer = JSON.parse(lines[trailerAt]!) as Record<string, unknown>;
    const covered = Buffer.from(`${lines.slice(0, trailerAt).join('\n')}\n`);
    trailer['crc'] = zlib.crc32(covered).toString(16).padStart(8, '0');
    lines[trailerAt] = JSON.stringify(Object.fromEntries(Object.entries(trailer).sort()));
    fs.writeFileSync(file, lines.join('\n'));
  }
}
