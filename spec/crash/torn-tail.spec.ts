// Torn writes and corruption at the system level. A journal cut anywhere
// inside its last record (what a crash mid-write leaves) opens, says so, and
// holds everything but that action; a damaged record anywhere else refuses
// to open with JOURNAL_CORRUPT naming file and offset, and recover:
// 'truncate' opens up to it, keeping the damaged data aside.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError } from '../../lib';
import type { SystemOptions } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { Ledger, dumpLedger, modelAfter, textFor } from './support/ledger';

// Hundreds of opens in a loop: generous for a busy CI machine, never a timing check.
jest.setTimeout(30_000);

/** "offset 123", "byte offset 123", "offset: 123": the message names that offset. */
const namesOffset = (offset: number): RegExp => new RegExp(`offset\\D{0,12}${offset}\\b`);
/** The message names that sequence number. */
const namesSeq = (seq: number): RegExp => new RegExp(`seq\\D{0,12}${seq}\\b`);

const journalFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => /^journal-\d+\.jsonl$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));

/** [start, end) of every record line of a journal file. */
function recordSpans(bytes: Buffer): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(0x0a, start) + 1;
    spans.push([start, end]);
    start = end;
  }
  return spans;
}

/** A closed system with actions 1..n; `snapshotAfter` takes a snapshot (and so rotates the journal) after that action. */
async function ledgerDir(
  n: number,
  options: SystemOptions = {},
  snapshotAfter?: number,
): Promise<string> {
  const dir = freshBasedir('torn');
  const sys = initSystem(Ledger, { ...options, basedir: dir });
  for (let i = 1; i <= n; i++) {
    sys.step(i, textFor(i));
    if (i === snapshotAfter) sys.takeSnapshot();
  }
  await sys.close();
  return dir;
}

function open(dir: string, options: SystemOptions = {}) {
  const warnings: string[] = [];
  const sys = initSystem(Ledger, {
    ...options,
    basedir: dir,
    isolation: 'none',
    onWarning: (w) => warnings.push(w),
  });
  return { sys, warnings };
}

function openError(dir: string): Error {
  try {
    initSystem(Ledger, { basedir: dir, onWarning: () => {} });
  } catch (err) {
    return err as Error;
  }
  throw new Error(`${dir} opened although its journal is damaged`);
}

/**
 * Cuts the newest journal file at every offset inside its last record
 * (action n) short of its newline (without only the newline, the record is
 * there whole and kept: see below) and checks each time: opens, one warning naming file and
 * offset, everything but action n, the file repaired; and now and then that
 * the system goes on from there.
 */
async function everyCutOfTheLastRecord(dir: string, n: number): Promise<number> {
  const file = journalFiles(dir).at(-1)!;
  const original = fs.readFileSync(file);
  const [lastStart, size] = recordSpans(original).at(-1)!;
  expect(size).toBe(original.length);
  let cuts = 0;
  for (let cut = lastStart; cut < size - 1; cut++) {
    const where = `${file} cut at ${cut} (last record at ${lastStart}..${size})`;
    fs.writeFileSync(file, original.subarray(0, cut));
    const { sys, warnings } = open(dir);
    expect({ where, state: dumpLedger(sys) }).toEqual({ where, state: modelAfter(n - 1) });
    if (cut === lastStart) {
      // The record is wholly absent: a clean end, nothing to say.
      expect({ where, warnings }).toEqual({ where, warnings: [] });
    } else {
      expect({ where, count: warnings.length }).toEqual({ where, count: 1 });
      expect(warnings[0]).toContain(file);
      expect(warnings[0]).toMatch(namesOffset(lastStart));
    }
    // The torn bytes are gone from the file.
    expect({ where, size: fs.statSync(file).size }).toEqual({ where, size: lastStart });
    const goOn = cut % 16 === 0 || cut === size - 2;
    if (goOn) sys.step(n, textFor(n));
    await sys.close();
    if (goOn) {
      const again = open(dir);
      expect({ where, state: dumpLedger(again.sys) }).toEqual({ where, state: modelAfter(n) });
      expect(again.warnings).toEqual([]);
      await again.sys.close();
    }
    cuts++;
  }
  return cuts;
}

/** Flips one bit of byte `at` in `file`. */
function flip(file: string, at: number): Buffer {
  const bytes = fs.readFileSync(file);
  bytes[at] = (bytes[at] as number) ^ 0x01;
  fs.writeFileSync(file, bytes);
  return bytes;
}

describe('crash: torn tail and corruption at the system level', () => {
  it('opens after a cut at every byte offset of the last record, losing only that action', async () => {
    // Action 12 stores 12 × 'aé✓𝄞': cuts fall inside multi-byte characters too.
    const dir = await ledgerDir(12);
    expect(journalFiles(dir)).toHaveLength(1);
    expect(await everyCutOfTheLastRecord(dir, 12)).toBeGreaterThan(100);
  });

  it('opens after a cut of a last record that is alone in a new journal file (right after a snapshot)', async () => {
    const dir = await ledgerDir(10, {}, 9);
    expect(journalFiles(dir)).toHaveLength(2);
    await everyCutOfTheLastRecord(dir, 10);
  });

  // Regression (corruption review): a last record lacking only its newline, or with that byte
  // damaged, was cut as a torn write with no copy kept, though it verifies and was acknowledged.
  it.each([
    ['missing', (b: Buffer) => b.subarray(0, -1)],
    ['replaced by a space', (b: Buffer) => Buffer.concat([b.subarray(0, -1), Buffer.from(' ')])],
  ])('keeps the last action when only its newline is %s, and goes on', async (_how, damage) => {
    const dir = await ledgerDir(10);
    const file = journalFiles(dir).at(-1)!;
    const original = fs.readFileSync(file);
    fs.writeFileSync(file, damage(original));
    const { sys, warnings } = open(dir);
    expect(dumpLedger(sys)).toEqual(modelAfter(10));
    expect(warnings).toEqual([expect.stringMatching(/the last record \(seq 10\).*is kept/)]);
    expect(fs.readFileSync(file).equals(original)).toBe(true);
    sys.step(11, textFor(11));
    await sys.close();
    const again = open(dir);
    expect(dumpLedger(again.sys)).toEqual(modelAfter(11));
    expect(again.warnings).toEqual([]);
    await again.sys.close();
  });

  it.each([
    ['its first byte', (s: number) => s],
    ['a digit of its checksum', (s: number) => s + 10],
    ['a byte of its JSON', (s: number, e: number) => Math.floor((s + e) / 2)],
    ['its closing brace', (_s: number, e: number) => e - 2],
    ['its newline', (_s: number, e: number) => e - 1],
  ])(
    'a middle record with a flipped bit in %s: JOURNAL_CORRUPT naming file and offset; recover: truncate opens before it',
    async (_what, position) => {
      const dir = await ledgerDir(10);
      const [file] = journalFiles(dir) as [string];
      const [start, end] = recordSpans(fs.readFileSync(file))[5]!; // action 6
      const damaged = flip(file, position(start, end));

      const err = openError(dir);
      expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
      expect(err.message).toContain(file);
      expect(err.message).toMatch(namesOffset(start));
      expect(err.message).toMatch(namesSeq(6));
      // Refusing changed nothing, and released the directory: the same answer again.
      expect(fs.readFileSync(file).equals(damaged)).toBe(true);
      expect(openError(dir).message).toBe(err.message);

      const { sys, warnings } = open(dir, { recover: 'truncate' });
      expect(dumpLedger(sys)).toEqual(modelAfter(5));
      expect(warnings.join('\n')).toMatch(namesSeq(6));
      // The damaged original is kept aside, byte for byte; the journal ends before it.
      const aside = fs.readdirSync(dir).filter((f) => f.includes('.damaged-'));
      expect(aside).toHaveLength(1);
      expect(fs.readFileSync(path.join(dir, aside[0]!)).equals(damaged)).toBe(true);
      expect(fs.statSync(file).size).toBe(start);
      // And it goes on from there, with contiguous seqs.
      sys.step(6, textFor(6));
      await sys.close();
      const again = open(dir);
      expect(dumpLedger(again.sys)).toEqual(modelAfter(6));
      expect(again.warnings).toEqual([]);
      await again.sys.close();
    },
  );

  it('refuses damage in the last record of a journal file that is not the newest (not a torn write)', async () => {
    const dir = await ledgerDir(30, { journalMaxBytes: 1000 });
    const files = journalFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    const file = files[0]!;
    const spans = recordSpans(fs.readFileSync(file));
    const [start, end] = spans.at(-1)!;
    const damaged = flip(file, Math.floor((start + end) / 2));
    const lostFrom = spans.length; // the seq of the damaged record

    const err = openError(dir);
    expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(namesOffset(start));

    const { sys } = open(dir, { recover: 'truncate' });
    expect(dumpLedger(sys)).toEqual(modelAfter(lostFrom - 1));
    await sys.close();
    // The damaged file is copied aside, every later file renamed aside: nothing deleted.
    const aside = fs.readdirSync(dir).filter((f) => f.includes('.damaged-'));
    expect(aside).toHaveLength(files.length);
    const copy = aside.find((f) => f.startsWith(path.basename(file)))!;
    expect(fs.readFileSync(path.join(dir, copy)).equals(damaged)).toBe(true);
    expect(journalFiles(dir)).toEqual([file]);
  });
});
