import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, readonly } from '../../lib';
import type { Prevalent, RestoreProgress, SystemOptions } from '../../lib';
import { makeTempDir, recordFigures, removeTempDir, secondsSince, snapshotFiles } from './figures';

/**
 * One container whose own snapshot line is longer than V8's largest string
 * (536,870,888 characters in Node 20): an array of 1150 strings of 1 MiB, a
 * Map of as many, a Buffer whose base64 is 600 MiB. Each is snapshotted,
 * the journal deleted, and restored from the snapshot alone. Run one at a
 * time (`-t`) for a peak RSS of its own: jest runs the scale suite in one
 * process, whose peak only grows.
 */
const d = process.env.PREVALENT_SCALE ? describe : describe.skip;

const MiB = 1024 * 1024;
const STRINGS = 1150;
const STRING_CHARS = MiB;
const PER_ACTION = 50;
const BYTES = 450 * MiB;
const LONGEST_STRING = 536_870_888;

/** Plain text, and text JSON escapes (a quote, a backslash, a tab): one byte per character either way. */
const PLAIN = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ESCAPED = 'abcdefghij"klmnopq\\rstuvwxyz\t0123456789';

/** String n: its number, then `text` rotated by n (so strings differ), STRING_CHARS long. */
function blob(n: number, text: string): string {
  const head = `#${String(n).padStart(9, '0')}:`;
  const filler = text.repeat(Math.ceil(STRING_CHARS / text.length) + 1);
  const from = n % text.length;
  return head + filler.slice(from, from + STRING_CHARS - head.length);
}

/** What is checked of string `s` as number `n`: its number, length, a middle and its end. */
function probeOf(s: string | undefined): string {
  if (s === undefined) return 'missing';
  return `${s.slice(0, 11)}|${s.length}|${s.slice(500_000, 500_020)}|${s.slice(-20)}`;
}

/** 450 MiB: a 251-byte pattern repeated (a slice cut at the wrong place shows), marked every MiB. */
function bigBytes(): Buffer {
  const pattern = Buffer.from(Array.from({ length: 251 }, (_, i) => (i * 97 + 13) % 256));
  const bytes = Buffer.alloc(BYTES);
  bytes.fill(pattern);
  for (let at = 0; at < BYTES; at += MiB) bytes.writeUInt32BE(at / MiB, at);
  bytes.writeUInt32BE(0xdeadbeef, BYTES - 4);
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class OneArray {
  items: string[] = [];

  add(from: number, count: number): void {
    for (let n = from; n < from + count; n++) this.items.push(blob(n, PLAIN));
  }

  @readonly
  summary(): string {
    let chars = 0;
    for (const s of this.items) chars += s.length;
    const probes = [0, 1, 575, STRINGS - 1].map((n) => probeOf(this.items[n]));
    return JSON.stringify({ count: this.items.length, chars, probes });
  }
}

export class OneMap {
  items = new Map<string, string>();

  add(from: number, count: number): void {
    for (let n = from; n < from + count; n++) this.items.set(`key ${n}`, blob(n, ESCAPED));
  }

  @readonly
  summary(): string {
    let chars = 0;
    let order = true;
    let n = 0;
    for (const [key, s] of this.items) {
      chars += s.length;
      if (key !== `key ${n++}`) order = false;
    }
    const probes = [0, 1, 575, STRINGS - 1].map((i) => probeOf(this.items.get(`key ${i}`)));
    return JSON.stringify({ count: this.items.size, chars, order, probes });
  }
}

export class OneBuffer {
  bytes: Buffer = Buffer.alloc(0);
  note = 'after the bytes';

  fill(): void {
    this.bytes = bigBytes();
  }

  @readonly
  summary(): string {
    const b = this.bytes;
    const marks = [0, 1, 299, 449].map((m) => b.readUInt32BE(m * MiB));
    return JSON.stringify({
      length: b.length,
      own: b.byteOffset === 0 && b.buffer.byteLength === b.length,
      sha256: sha256(b),
      marks,
      end: b.readUInt32BE(b.length - 4),
      note: this.note,
    });
  }
}

/** Peak resident set size of this process so far, in MiB. */
function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function roundTrip<T extends { summary(): string }>(
  label: string,
  root: new () => T,
  fill: (sys: Prevalent<T>) => void,
  expectedSummary: string,
  options: Partial<SystemOptions> = {},
): Promise<void> {
  const dir = makeTempDir(label.replace(/\W+/g, '-'));
  try {
    const basedir = path.join(dir, 'data');
    const open = (onProgress?: (p: RestoreProgress) => void): Prevalent<T> =>
      initSystem(root, { ...options, basedir, durability: 'none', onProgress });
    let sys: Prevalent<T> | undefined = open();
    fill(sys);
    expect(sys.summary()).toBe(expectedSummary);

    let start = process.hrtime.bigint();
    const file = sys.takeSnapshot();
    const snapshotSeconds = secondsSince(start);
    const bytes = fs.statSync(file).size;
    // The longest body line (the container's) is past the longest string.
    expect(bytes).toBeGreaterThan(LONGEST_STRING);
    await sys.close();
    sys = undefined;

    // Only the snapshot is left to restore from.
    for (const name of fs.readdirSync(basedir)) {
      if (name.startsWith('journal-')) fs.rmSync(path.join(basedir, name));
    }
    expect(snapshotFiles(basedir).at(-1)).toBe(path.basename(file));

    const progress: RestoreProgress[] = [];
    start = process.hrtime.bigint();
    const back = open((p) => progress.push({ ...p }));
    const restoreSeconds = secondsSince(start);
    try {
      expect(back.summary()).toBe(expectedSummary);
      const snap = progress.filter((p) => p.phase === 'snapshot');
      expect(snap.length).toBeGreaterThan(1);
      expect(snap.at(-1)?.done).toBe(snap.at(-1)?.total);
    } finally {
      await back.close();
    }
    recordFigures(label, {
      snapshotBytes: bytes,
      snapshotWriteSeconds: snapshotSeconds,
      snapshotWriteMBPerSecond: bytes / 1e6 / snapshotSeconds,
      restoreSeconds,
      restoreMBPerSecond: bytes / 1e6 / restoreSeconds,
      progressEvents: progress.length,
      peakRssMiB: peakRssMiB(),
    });
  } finally {
    removeTempDir(dir);
  }
}

function expectedStrings(map: boolean): string {
  const chars = STRINGS * STRING_CHARS;
  const probes = [0, 1, 575, STRINGS - 1].map((n) => probeOf(blob(n, map ? ESCAPED : PLAIN)));
  return JSON.stringify(
    map ? { count: STRINGS, chars, order: true, probes } : { count: STRINGS, chars, probes },
  );
}

d('one container whose snapshot line is past the longest string', () => {
  it(
    'an array of 1150 strings of 1 MiB',
    async () => {
      await roundTrip(
        'one array of 1150 strings of 1 MiB',
        OneArray,
        (sys) => {
          for (let from = 0; from < STRINGS; from += PER_ACTION) {
            sys.add(from, Math.min(PER_ACTION, STRINGS - from));
          }
        },
        expectedStrings(false),
      );
    },
    30 * 60 * 1000,
  );

  it(
    'a Map of 1150 strings of 1 MiB',
    async () => {
      await roundTrip(
        'one Map of 1150 strings of 1 MiB',
        OneMap,
        (sys) => {
          for (let from = 0; from < STRINGS; from += PER_ACTION) {
            sys.add(from, Math.min(PER_ACTION, STRINGS - from));
          }
        },
        expectedStrings(true),
      );
    },
    30 * 60 * 1000,
  );

  it(
    'a Buffer of 450 MiB (600 MiB of base64)',
    async () => {
      const expected = JSON.stringify({
        length: BYTES,
        own: true,
        sha256: sha256(bigBytes()),
        marks: [0, 1, 299, 449],
        end: 0xdeadbeef,
        note: 'after the bytes',
      });
      // The query hashes the Buffer itself, not a view of it.
      await roundTrip('one Buffer of 450 MiB', OneBuffer, (sys) => sys.fill(), expected, {
        isolation: 'none',
      });
    },
    30 * 60 * 1000,
  );
});
