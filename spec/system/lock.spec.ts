// The lock records on disk (lib/system/lock.ts): generations that grow and are
// cleaned up, records of dead, live, foreign and copied holders, the plain
// LOCK of earlier versions, and temporary record files.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initSystem, isPrevalenceError } from '../../lib';
import { freshBasedir, tmpDir } from '../support/tmp';

class Counter {
  n = 0;
  inc(): number {
    return ++this.n;
  }
}

const name = (generation: number): string => `LOCK.${String(generation).padStart(16, '0')}`;
const lockFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('LOCK'))
    .sort();
const read = (dir: string, file: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;

function identity(dir: string): string {
  const st = fs.statSync(dir);
  return `${st.dev}:${st.ino}`;
}

/** A pid that no longer exists (a child that ran and exited). */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('could not run a child');
  return pid;
}

/** A live pid other than ours: jest's parent process. */
const livePid = (): number => process.ppid;

function emptyDir(): string {
  const dir = freshBasedir();
  fs.mkdirSync(dir);
  return dir;
}

function record(dir: string, fields: Record<string, unknown>): string {
  return JSON.stringify({
    state: 'held',
    hostname: os.hostname(),
    since: '2020-01-01T00:00:00.000Z',
    dir: identity(dir),
    token: 'abc',
    ...fields,
  });
}

function lockedError(dir: string): Error {
  try {
    initSystem(Counter, dir);
  } catch (err) {
    expect(isPrevalenceError(err, 'LOCKED')).toBe(true);
    return err as Error;
  }
  throw new Error(`initSystem opened ${dir} although it is locked`);
}

describe('the directory lock records', () => {
  it('close then reopen: generations grow, old records are removed, one file stays', async () => {
    const dir = freshBasedir();
    let last = 0;
    for (let i = 0; i < 30; i++) {
      const sys = initSystem(Counter, dir);
      sys.inc();
      const [held] = lockFiles(dir);
      expect(lockFiles(dir)).toEqual([held]);
      expect(read(dir, held!)).toMatchObject({ state: 'held', pid: process.pid });
      const generation = Number(held!.slice('LOCK.'.length));
      expect(generation).toBeGreaterThan(last);
      await sys.close();
      expect(lockFiles(dir)).toEqual([name(generation + 1)]);
      expect(read(dir, name(generation + 1))).toMatchObject({ state: 'released' });
      last = generation + 1;
    }
    const sys = initSystem(Counter, dir);
    expect(sys.n).toBe(30);
    await sys.close();
  });

  it('takes over the record of a dead holder, and removes it', async () => {
    const dir = emptyDir();
    fs.writeFileSync(path.join(dir, name(7)), record(dir, { pid: deadPid() }));
    const sys = initSystem(Counter, dir);
    expect(lockFiles(dir)).toEqual([name(8)]);
    await sys.close();
  });

  it('takes over an unreadable record (an empty file)', async () => {
    const dir = emptyDir();
    fs.writeFileSync(path.join(dir, name(2)), '');
    const sys = initSystem(Counter, dir);
    expect(lockFiles(dir)).toEqual([name(3)]);
    await sys.close();
  });

  it('gives LOCKED for a live holder, in this host or another, naming it and changing nothing', () => {
    for (const fields of [{ pid: livePid() }, { pid: 4242, hostname: 'elsewhere.example' }]) {
      const dir = emptyDir();
      fs.writeFileSync(path.join(dir, name(3)), record(dir, fields));
      expect(lockedError(dir).message).toMatch(new RegExp(`process ${fields.pid} on `));
      expect(lockFiles(dir)).toEqual([name(3)]);
    }
  });

  it('opens over a released record of another host, and over a live holder of a copied directory', async () => {
    const released = emptyDir();
    fs.writeFileSync(
      path.join(released, name(3)),
      record(released, { state: 'released', pid: 4242, hostname: 'elsewhere.example' }),
    );
    const copied = emptyDir();
    fs.writeFileSync(
      path.join(copied, name(3)),
      record(copied, { pid: livePid(), dir: identity(tmpDir()) }),
    );
    for (const dir of [released, copied]) {
      const sys = initSystem(Counter, dir);
      expect(lockFiles(dir)).toEqual([name(4)]);
      await sys.close();
    }
  });

  it('reads a plain LOCK of an earlier version: a dead holder is taken over, a live one gives LOCKED', async () => {
    const old = (dir: string, pid: number): string =>
      JSON.stringify({ pid, hostname: os.hostname(), acquired: '2020-01-01T00:00:00.000Z' });
    const live = emptyDir();
    fs.writeFileSync(path.join(live, 'LOCK'), old(live, livePid()));
    expect(lockedError(live).message).toMatch(new RegExp(`process ${livePid()} on `));
    expect(lockFiles(live)).toEqual(['LOCK']);
    // A generation record does not hide a live plain LOCK.
    fs.writeFileSync(path.join(live, name(1)), record(live, { state: 'released', pid: 1 }));
    expect(isPrevalenceError(lockedError(live), 'LOCKED')).toBe(true);

    const dead = emptyDir();
    fs.writeFileSync(path.join(dead, 'LOCK'), old(dead, deadPid()));
    const sys = initSystem(Counter, dead);
    expect(lockFiles(dead)).toEqual([name(1)]);
    await sys.close();
    expect(lockFiles(dead)).toEqual([name(2)]);
  });

  it('removes the temporary record files of dead writers only; snapshot cleanup never touches them', async () => {
    const dir = emptyDir();
    const liveTemp = `LOCK.${livePid()}.0123abcd.tmp`;
    const deadTemp = `LOCK.${deadPid()}.4567ef01.tmp`;
    fs.writeFileSync(path.join(dir, liveTemp), '');
    fs.writeFileSync(path.join(dir, deadTemp), '');
    const sys = initSystem(Counter, dir);
    sys.inc();
    expect(lockFiles(dir)).toEqual([liveTemp, name(1)].sort());
    await sys.close();
    const again = initSystem(Counter, dir);
    expect(lockFiles(dir)).toEqual([liveTemp, name(3)].sort());
    await again.close();
  });

  it('refuses a second open in this process through another path to the same directory', async () => {
    const dir = freshBasedir();
    const sys = initSystem(Counter, dir);
    const link = path.join(tmpDir(), 'link');
    fs.symlinkSync(dir, link);
    expect(lockedError(link).message).toMatch(new RegExp(`process ${process.pid} on `));
    await sys.close();
  });
});
