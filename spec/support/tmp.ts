import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordLine } from '../../lib/journal/record';

const made: string[] = [];

/** A fresh empty directory under the OS temp dir, removed after the test file. */
export function tmpDir(label = 'prevalent'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  made.push(dir);
  return dir;
}

/** A path inside a fresh temp dir that does not exist yet (for basedirs). */
export function freshBasedir(label = 'data'): string {
  return path.join(tmpDir(), label);
}

afterAll(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Names of the files in `dir` (sorted). */
export function filesIn(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** Every journal record in `dir`, parsed, in order. */
export function journalRecords(
  dir: string,
): Array<{ seq: number; method: string; args: unknown[]; threw: boolean; ts: number; v?: number }> {
  return filesIn(dir)
    .filter((f) => f.startsWith('journal-') && f.endsWith('.jsonl'))
    .flatMap((f) =>
      fs
        .readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        // A crash can leave zero bytes after the last record: no line.
        .filter((line) => line.length > 0 && !/^\0+$/.test(line))
        .map((line) => JSON.parse(line).rec),
    );
}

/**
 * Appends records after the last one of the closed data directory `dir`, as
 * a version of the library may have journaled them: `[method, argsJson]`
 * pairs, numbered on from the last record, with its timestamp, in record
 * format `version` (1: an earlier version, which wrote no `v`).
 */
export function appendJournaled(
  dir: string,
  calls: Array<[string, string]>,
  version: 1 | 2 = 1,
): void {
  const file = filesIn(dir)
    .filter((f) => f.startsWith('journal-'))
    .pop()!;
  const last = journalRecords(dir).pop()!;
  const lines = calls.map(([method, argsJson], i) =>
    encodeRecordLine(last.seq + 1 + i, last.ts, method, argsJson, false, version),
  );
  fs.appendFileSync(path.join(dir, file), Buffer.concat(lines));
}
