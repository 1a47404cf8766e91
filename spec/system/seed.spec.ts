import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, verifyReplay } from '../../lib';
import type { Clock } from '../../lib';
import { realFs } from '../../lib/fs/seam';
import { listSnapshots, readSnapshot } from '../../lib/snapshot/loader';
import { writeSnapshot } from '../../lib/snapshot/writer';
import { filesIn, freshBasedir, tmpDir } from '../support/tmp';

const TS = 1_700_000_000_000;
const SEED = /^[0-9a-f]{32}$/;

class Log {
  entries: Array<{ r: number; id: string }> = [];
  declare readonly _clock: Clock;

  record(): void {
    this.entries.push({ r: this._clock.random(), id: this._clock.uuid() });
  }
}

/** Opens `dir` with every action stamped `TS` (the same millisecond everywhere). */
function openAtTs(dir: string, onWarning: (m: string) => void = failOnWarning) {
  jest.spyOn(Date, 'now').mockReturnValue(TS);
  return initSystem(new Log(), { basedir: dir, onWarning });
}

function failOnWarning(message: string): void {
  throw new Error(`unexpected warning: ${message}`);
}

/** The raw header fields of every snapshot in `dir`, oldest first. */
function headers(dir: string): Array<Record<string, unknown>> {
  return listSnapshots(realFs, dir)
    .reverse()
    .map(({ path: file }) => {
      const raw = fs.readFileSync(file, 'utf8');
      return JSON.parse(raw.slice(0, raw.indexOf('\n'))) as Record<string, unknown>;
    });
}

/** Rewrites the snapshot at `file` with the same body and `seed` (undefined: none, as before seeds). */
function rewriteSeed(file: string, seed: string | undefined): void {
  const lines: string[] = [];
  const info = readSnapshot(realFs, file, (line) => lines.push(line));
  writeSnapshot(
    realFs,
    path.dirname(file),
    { seq: info.seq, ts: info.ts, rootClass: info.rootClass, seed },
    (emit) => lines.forEach((line) => emit(line)),
  );
}

afterEach(() => jest.restoreAllMocks());

describe('directory seed', () => {
  it('gives two directories different uuid() and random() for the same seq and ts (regression: 18 of 18 same-millisecond pairs collided)', async () => {
    const a = openAtTs(freshBasedir());
    const b = openAtTs(freshBasedir());
    for (let i = 0; i < 18; i++) {
      a.record();
      b.record();
    }
    const ids = new Set([...a.entries, ...b.entries].map((e) => e.id));
    expect(ids.size).toBe(36);
    a.entries.forEach((e, i) => expect(b.entries[i]!.r).not.toBe(e.r));
    await a.close();
    await b.close();
  });

  it('is drawn once when the directory is initialised and carried into every snapshot', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    const [first] = headers(dir);
    expect(first?.['seed']).toMatch(SEED);
    log.record();
    log.takeSnapshot();
    await log.close();
    const again = openAtTs(dir);
    again.record();
    again.takeSnapshot();
    await again.close();
    const all = headers(dir);
    expect(all.map((h) => h['seq'])).toEqual([0, 1, 2]);
    for (const h of all) expect(h['seed']).toBe(first?.['seed']);
    const other = freshBasedir();
    await openAtTs(other).close();
    expect(headers(other)[0]?.['seed']).toMatch(SEED);
    expect(headers(other)[0]?.['seed']).not.toBe(first?.['seed']);
  });

  it('replays the same values after a restart, from the journal and from a later snapshot', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    for (let i = 0; i < 3; i++) log.record();
    const fromJournal = JSON.stringify(log.entries);
    await log.close();

    const replayed = openAtTs(dir);
    expect(JSON.stringify(replayed.entries)).toBe(fromJournal);
    replayed.takeSnapshot();
    for (let i = 0; i < 3; i++) replayed.record(); // seq 4..6, replayed after snapshot 3
    const live = JSON.stringify(replayed.entries);
    await replayed.close();

    const restored = openAtTs(dir);
    expect(JSON.stringify(restored.entries)).toBe(live);
    await restored.close();
  });

  it('replays the same values when restore falls back to an older snapshot', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    log.record();
    log.takeSnapshot();
    log.record();
    const live = JSON.stringify(log.entries);
    await log.close();
    const newest = listSnapshots(realFs, dir)[0]!.path;
    fs.truncateSync(newest, fs.statSync(newest).size - 10);
    const warnings: string[] = [];
    const again = openAtTs(dir, (m) => warnings.push(m));
    expect(JSON.stringify(again.entries)).toBe(live);
    expect(warnings.join('\n')).toContain(newest);
    await again.close();
  });

  it('lets verifyReplay report ok on a clean history', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    log.record();
    log.takeSnapshot();
    log.record();
    log.record();
    log.takeSnapshot();
    log.record();
    await log.close();
    expect(verifyReplay(dir, Log)).toMatchObject({
      ok: true,
      snapshotsChecked: 2,
      actionsReplayed: 4,
    });
  });

  it('makes verifyReplay report snapshots that carry another seed', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    log.record();
    log.takeSnapshot();
    await log.close();
    const newest = listSnapshots(realFs, dir)[0]!.path;
    rewriteSeed(newest, 'ffffffffffffffffffffffffffffffff');
    const report = verifyReplay(dir, Log);
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({ agreedThrough: 0, seq: 1, snapshot: newest });
    expect(report.divergence?.message).toContain('seed ffffffffffffffffffffffffffffffff');
  });

  it('stays with a copy of the directory, which replays identically (a backup is the same directory)', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    log.record();
    log.record();
    const live = JSON.stringify(log.entries);
    await log.close();
    const copy = path.join(tmpDir(), 'copy');
    fs.cpSync(dir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'LOCK'), { force: true });
    expect(headers(copy)[0]?.['seed']).toBe(headers(dir)[0]?.['seed']);
    const restored = openAtTs(copy);
    expect(JSON.stringify(restored.entries)).toBe(live);
    await restored.close();
  });

  it('warns that a rebuild from the journal alone cannot know the seed', async () => {
    const dir = freshBasedir();
    const log = openAtTs(dir);
    log.record();
    await log.close();
    for (const { path: file } of listSnapshots(realFs, dir)) fs.renameSync(file, `${file}.aside`);
    const warnings: string[] = [];
    const rebuilt = openAtTs(dir, (m) => warnings.push(m));
    expect(rebuilt.entries).toHaveLength(1);
    expect(warnings.join('\n')).toContain('journals but no snapshot');
    await rebuilt.close();
  });
});

describe('a directory written before directory seeds', () => {
  // What the generator gave actions 1..3 at TS before seeds existed
  // (computed with the previous lib/clock/random.ts).
  const OLD = [
    { r: 0.1892913336089831, id: '4384f182-6ec3-4259-b410-f98f4d51ee9b' },
    { r: 0.4958490759735784, id: 'b66be5b6-0509-4140-871f-764ed48a4ee3' },
    { r: 0.020230216380061505, id: '100edb2e-3702-4763-9628-5aaddd7b479b' },
  ];

  /** A directory whose snapshot 0 has no seed, as the previous writer made it. */
  async function oldDirectory(): Promise<string> {
    const dir = freshBasedir();
    await openAtTs(dir).close();
    rewriteSeed(path.join(dir, 'snapshot-0000000000000000.snap'), undefined);
    expect(headers(dir)[0]).not.toHaveProperty('seed');
    return dir;
  }

  it('keeps seeding as before, live and in replay, and never gains a seed', async () => {
    const dir = await oldDirectory();
    const log = openAtTs(dir);
    for (let i = 0; i < 3; i++) log.record();
    expect(log.entries).toEqual(OLD);
    await log.close();

    const replayed = openAtTs(dir);
    expect(replayed.entries).toEqual(OLD);
    replayed.takeSnapshot();
    replayed.record();
    const live = JSON.stringify(replayed.entries);
    await replayed.close();

    const restored = openAtTs(dir);
    expect(JSON.stringify(restored.entries)).toBe(live);
    await restored.close();
    for (const h of headers(dir)) expect(h).not.toHaveProperty('seed');
    expect(verifyReplay(dir, Log)).toMatchObject({ ok: true, snapshotsChecked: 1 });
  });

  it('replays identically from its snapshot 0 whichever later snapshot exists', async () => {
    const dir = await oldDirectory();
    const log = openAtTs(dir);
    log.record();
    log.takeSnapshot();
    log.record();
    log.record();
    await log.close();
    // Without the newer snapshot, replay starts at snapshot 0 and must agree.
    fs.rmSync(listSnapshots(realFs, dir)[0]!.path);
    const fromZero = openAtTs(dir);
    expect(fromZero.entries).toEqual(OLD);
    await fromZero.close();
    expect(filesIn(dir).filter((f) => f.endsWith('.snap'))).toEqual([
      'snapshot-0000000000000000.snap',
    ]);
  });
});
