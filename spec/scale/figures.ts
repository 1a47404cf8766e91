import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the scale tests record their figures; bench/report.js puts them into bench/RESULTS.md. */
export const SCALE_RESULTS = path.resolve(__dirname, '../../bench/results/scale.json');

/** Merges `figures` under `test` into bench/results/scale.json. */
export function recordFigures(
  test: string,
  figures: Record<string, number | string | boolean>,
): void {
  let all: Record<string, unknown> = {};
  try {
    all = JSON.parse(fs.readFileSync(SCALE_RESULTS, 'utf8')) as Record<string, unknown>;
  } catch {
    // first figures of this file
  }
  all[test] = { ...figures, node: process.version, date: new Date().toISOString() };
  fs.mkdirSync(path.dirname(SCALE_RESULTS), { recursive: true });
  const tmp = `${SCALE_RESULTS}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n');
  fs.renameSync(tmp, SCALE_RESULTS);
}

/** A fresh directory under the OS temp dir; remove it with {@link removeTempDir}. */
export function makeTempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `prevalent-scale-${label}-`));
}

export function removeTempDir(dir: string | undefined): void {
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
}

/** Seconds since `start` (a process.hrtime.bigint() value). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Total size of the snapshot files in `dir`. */
export function snapshotFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^snapshot-\d+\.snap$/.test(f))
    .sort();
}
