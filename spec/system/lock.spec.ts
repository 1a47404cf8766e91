// The directory lock on disk (lib/system/lock.ts): one file `LOCK` while the
// directory is open and none after; records of dead, live, foreign and
// copied holders; arbitration files left by a takeover that crashed; the
// plain LOCK and the `LOCK.<generation>` records of earlier versions; and
// temporary record files.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initSystem, isPrevalenceError } from '../../lib';
import { incarnationOf } from '../../lib/system/lock-records';
import { freshBasedir, tmpDir } from '../support/tmp';

class Counter {
  n = 0;
  inc(): number {
    return ++this.n;
  }
}

const generation = (g: number): string => `LOCK.${String(g).padStart(16, '0')}`;
const lockFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('LOCK'))
    .sort();
const read = (dir: string, file: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
/** The arbitration file for the current content of lock file `name` (docs/FORMAT.md). */
const takeover = (dir: string, name: string): string =>
  `LOCK.takeover-${createHash('sha256')
    .update(name)
    .update('\0')
    .update(fs.readFileSync(path.join(dir, name)))
    .digest('hex')
    .slice(0, 16)}`;

/** Every file of `dir` with its bytes: what a byte-for-byte comparison needs. */
function contents(dir: string): Record<string, string> {
  const all: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    all[name] = fs.readFileSync(path.join(dir, name)).toString('base64');
  }
  return all;
}

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

/** A live pid other than ours: a child that sleeps until the end of this file. */
let sleeper: ChildProcess | undefined;
function livePid(): number {
  sleeper ??= spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' });
  if (sleeper.pid === undefined) throw new Error('could not run a child');
  return sleeper.pid;
}
afterAll(() => {
  sleeper?.kill('SIGKILL');
});

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
    token: createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 16),
    ...fields,
  });
}

function write(dir: string, name: string, text: string): void {
  fs.writeFileSync(path.join(dir, name), text);
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

/** Opens `dir`: `LOCK` is then the only lock file and names us; closing leaves no lock file. */
async function opensAndCleansUp(dir: string): Promise<void> {
  const sys = initSystem(Counter, dir);
  expect(lockFiles(dir)).toEqual(['LOCK']);
  expect(read(dir, 'LOCK')).toMatchObject({ state: 'held', pid: process.pid, dir: identity(dir) });
  await sys.close();
  expect(lockFiles(dir)).toEqual([]);
}

describe('the directory lock file', () => {
  it('close then reopen: LOCK while open, no lock file after close', async () => {
    const dir = freshBasedir();
    for (let i = 0; i < 30; i++) {
      const sys = initSystem(Counter, dir);
      sys.inc();
      expect(lockFiles(dir)).toEqual(['LOCK']);
      expect(read(dir, 'LOCK')).toMatchObject({ state: 'held', pid: process.pid });
      await sys.close();
      expect(lockFiles(dir)).toEqual([]);
    }
    const sys = initSystem(Counter, dir);
    expect(sys.n).toBe(30);
    await sys.close();
  });

  it('a refused open leaves the directory byte for byte as it was (regression: the lock records changed)', async () => {
    const dir = freshBasedir();
    const sys = initSystem(Counter, dir);
    for (let i = 0; i < 9; i++) sys.inc();
    await sys.close();
    const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!;
    const file = path.join(dir, journal);
    const bytes = fs.readFileSync(file);
    const lines = bytes.toString('utf8').split('\n');
    const at = lines.slice(0, 4).join('\n').length + 1 + Math.floor(lines[4]!.length / 2);
    bytes[at] = bytes[at]! ^ 0x01;
    fs.writeFileSync(file, bytes);
    const before = contents(dir);

    let err: unknown;
    try {
      initSystem(Counter, dir);
    } catch (e) {
      err = e;
    }
    expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
    expect((err as Error).message).toContain('Nothing was changed');
    expect(contents(dir)).toEqual(before);
  });

  it('takes over the LOCK of a dead holder, and of an unreadable one (an empty file)', async () => {
    for (const text of [(dir: string) => record(dir, { pid: deadPid() }), () => '']) {
      const dir = emptyDir();
      write(dir, 'LOCK', text(dir));
      await opensAndCleansUp(dir);
    }
  });

  it('gives LOCKED for a live holder, on this host or another, naming it and changing nothing', () => {
    for (const fields of [{ pid: livePid() }, { pid: 4242, hostname: 'elsewhere.example' }]) {
      const dir = emptyDir();
      write(dir, 'LOCK', record(dir, fields));
      const before = contents(dir);
      expect(lockedError(dir).message).toMatch(new RegExp(`process ${fields.pid} on `));
      expect(contents(dir)).toEqual(before);
    }
  });

  it('opens over a live holder of a copied directory', async () => {
    const dir = emptyDir();
    write(dir, 'LOCK', record(dir, { pid: livePid(), dir: identity(tmpDir()) }));
    await opensAndCleansUp(dir);
  });

  it('reads a plain LOCK of an earlier version: a live holder gives LOCKED, a dead one is taken over', async () => {
    const old = (pid: number): string =>
      JSON.stringify({ pid, hostname: os.hostname(), acquired: '2020-01-01T00:00:00.000Z' });
    const live = emptyDir();
    write(live, 'LOCK', old(livePid()));
    expect(lockedError(live).message).toMatch(new RegExp(`process ${livePid()} on `));
    expect(lockFiles(live)).toEqual(['LOCK']);

    const dead = emptyDir();
    write(dead, 'LOCK', old(deadPid()));
    await opensAndCleansUp(dead);
  });

  it('is not blocked by takeovers that crashed: arbitration files of dead writers, nested (regression: four levels left a directory only a person could unlock)', async () => {
    for (const levels of [1, 2, 3, 8, 15]) {
      const dir = emptyDir();
      write(dir, 'LOCK', record(dir, { pid: deadPid() }));
      let name = 'LOCK';
      for (let level = 0; level < levels; level++) {
        const arbitration = takeover(dir, name);
        write(dir, arbitration, record(dir, { pid: deadPid(), level }));
        name = arbitration;
      }
      await opensAndCleansUp(dir);
    }
  });

  it('gives LOCKED while a live process is taking over, naming it', () => {
    const dir = emptyDir();
    write(dir, 'LOCK', record(dir, { pid: deadPid() }));
    write(dir, takeover(dir, 'LOCK'), record(dir, { pid: livePid() }));
    const before = contents(dir);
    expect(lockedError(dir).message).toMatch(new RegExp(`process ${livePid()} on `));
    expect(contents(dir)).toEqual(before);
  });

  it('gives LOCKED naming the leftovers after sixteen takeovers that crashed one after the other', () => {
    const dir = emptyDir();
    write(dir, 'LOCK', record(dir, { pid: deadPid() }));
    let name = 'LOCK';
    for (let level = 0; level < 16; level++) {
      const arbitration = takeover(dir, name);
      write(dir, arbitration, record(dir, { pid: deadPid(), level }));
      name = arbitration;
    }
    const before = contents(dir);
    expect(lockedError(dir).message).toMatch(/delete LOCK and every LOCK\.takeover-\* file/);
    expect(contents(dir)).toEqual(before);
  });

  it('deletes the records of the generation design; a live holder of the current one gives LOCKED', async () => {
    const stale = emptyDir();
    write(stale, generation(3), record(stale, { state: 'released', pid: deadPid() }));
    write(stale, generation(4), record(stale, { pid: deadPid() }));
    await opensAndCleansUp(stale);

    const live = emptyDir();
    write(live, generation(3), record(live, { state: 'released', pid: deadPid() }));
    write(live, generation(4), record(live, { pid: livePid() }));
    const before = contents(live);
    expect(lockedError(live).message).toMatch(new RegExp(`process ${livePid()} on `));
    expect(contents(live)).toEqual(before);
  });

  it('removes the temporary record files of dead writers only; snapshot cleanup never touches them', async () => {
    const dir = emptyDir();
    const liveTemp = `LOCK.${livePid()}.0123abcd.tmp`;
    const deadTemp = `LOCK.${deadPid()}.4567ef01.tmp`;
    write(dir, liveTemp, '');
    write(dir, deadTemp, '');
    const sys = initSystem(Counter, dir);
    sys.inc();
    expect(lockFiles(dir)).toEqual(['LOCK', liveTemp].sort());
    await sys.close();
    expect(lockFiles(dir)).toEqual([liveTemp]);
  });

  it('refuses a second open in this process through another path to the same directory, saying it is this process (regression: it named its own pid as "process N")', async () => {
    const dir = freshBasedir();
    const sys = initSystem(Counter, dir);
    const link = path.join(tmpDir(), 'link');
    fs.symlinkSync(dir, link);
    expect(lockedError(link).message).toMatch(
      /is already open in this process \(since .*\); await the close\(\) of the system that has it/,
    );
    await sys.close();
    expect(lockFiles(dir)).toEqual([]);
  });
});

// Regressions (lock review): ways a second writer got into an open directory, or a dead
// holder kept it locked.
describe('holders the lock was wrong about', () => {
  it('refuses an open by a second copy of prevalent loaded in this process (regression: a second installed copy, or the module registry jest gives each test file, took over the lock and both wrote one journal)', async () => {
    const dir = freshBasedir();
    let copy: typeof import('../../lib') | undefined;
    jest.isolateModules(() => {
      // A second copy of the module, as jest gives each test file: only require loads one here.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      copy = require('../../lib') as typeof import('../../lib');
    });
    expect(copy!.initSystem).not.toBe(initSystem);
    const sys = initSystem(Counter, dir);
    sys.inc();
    let code: string | undefined;
    try {
      copy!.initSystem(Counter, dir);
    } catch (err) {
      code = copy!.isPrevalenceError(err) ? err.code : String(err);
    }
    expect(code).toBe('LOCKED');
    await sys.close();
    const again = copy!.initSystem(Counter, dir);
    expect(again.n).toBe(1);
    await again.close();
    expect(lockFiles(dir)).toEqual([]);
  });

  it('still takes over a leftover record of this thread that no copy holds', async () => {
    const dir = emptyDir();
    write(dir, 'LOCK', record(dir, { pid: process.pid, thread: 0 }));
    await opensAndCleansUp(dir);
  });

  it("opens a copy on another file system whose inode number is the original's (regression (review): comparing inode numbers alone refused a backup at a volume's root while the original ran)", async () => {
    const dir = emptyDir();
    const [dev, ino] = identity(dir).split(':');
    write(dir, 'LOCK', record(dir, { pid: livePid(), dir: `${Number(dev) + 1}:${ino}` }));
    await opensAndCleansUp(dir);
  });

  const linux = fs.existsSync('/proc/self/stat') ? it : it.skip;
  linux(
    'takes over the lock of a holder that died but was not reaped, a zombie (regression: LOCKED for as long as its parent ran, forever under a pid 1 that never reaps)',
    async () => {
      // The shell forks a child that exits at once, then becomes `sleep`, which never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 60'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const zombie = await new Promise<number>((resolve) =>
          parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
        );
        const state = (): string => {
          const stat = fs.readFileSync(`/proc/${zombie}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        };
        for (let i = 0; i < 1000 && state() !== 'Z'; i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(state()).toBe('Z');
        const dir = emptyDir();
        write(dir, 'LOCK', record(dir, { pid: zombie }));
        await opensAndCleansUp(dir);
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it('takes over records no version writes: pid 0, -1, 1.5, or no host (regression: LOCKED forever)', async () => {
    for (const fields of [
      { pid: 0 },
      { pid: -1 },
      { pid: 1.5 },
      { pid: livePid(), hostname: undefined },
    ]) {
      const dir = emptyDir();
      write(dir, 'LOCK', record(dir, fields));
      await opensAndCleansUp(dir);
    }
  });

  it('says what to do when LOCK is a directory (regression: a bare EISDIR)', () => {
    const dir = emptyDir();
    fs.mkdirSync(path.join(dir, 'LOCK'));
    expect(lockedError(dir).message).toMatch(/LOCK is a directory.*remove it once sure/);
  });

  // Regressions (corruption review): a LOCK that is a symbolic link to nothing was "already open
  // by another system", and a plain record of an early version without its time said "since
  // undefined".
  it('says what a LOCK linking to nothing is, and what to do', () => {
    const dir = emptyDir();
    fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'LOCK'));
    expect(lockedError(dir).message).toMatch(
      /LOCK is a symbolic link to a file that does not exist.*remove it once sure/,
    );
  });

  it('names a live holder whose record has no time without "undefined"', () => {
    const dir = emptyDir();
    write(dir, 'LOCK', JSON.stringify({ pid: 4242, hostname: 'elsewhere.example' }));
    const message = lockedError(dir).message;
    expect(message).toMatch(/process 4242 on elsewhere\.example since a time it did not record/);
    expect(message).not.toMatch(/undefined/);
  });

  it('keeps working in the directory it opened when a symlink on its path is re-pointed (regression: its snapshots and journals went into the new target, held by another system, and its lock stayed behind)', async () => {
    const base = tmpDir();
    const [v1, v2, link] = ['v1', 'v2', 'current'].map((n) => path.join(base, n)) as [
      string,
      string,
      string,
    ];
    fs.mkdirSync(v1);
    fs.mkdirSync(v2);
    fs.symlinkSync(v1, link);
    const first = initSystem(Counter, { basedir: link, journalMaxBytes: 200 });
    first.inc();
    fs.unlinkSync(link);
    fs.symlinkSync(v2, link);
    const second = initSystem(Counter, link);
    second.inc();
    for (let i = 0; i < 20; i++) first.inc(); // rotates journal files
    first.takeSnapshot();
    expect(first.basedirAbspath()).toBe(link);
    fs.unlinkSync(link);
    fs.symlinkSync(v1, link);
    expect(() => first.takeSnapshot({ into: link })).toThrow(
      /names the system's own data directory/,
    );
    await first.close();
    await second.close();
    expect(lockFiles(v1)).toEqual([]);
    const again1 = initSystem(Counter, v1);
    const again2 = initSystem(Counter, v2);
    expect([again1.n, again2.n]).toEqual([21, 1]);
    await again1.close();
    await again2.close();
  });

  it('says how to free a lock held on another host (regression: only "close that system first", though no process here can)', () => {
    const dir = emptyDir();
    write(dir, 'LOCK', record(dir, { pid: 4242, hostname: 'elsewhere.example' }));
    expect(lockedError(dir).message).toMatch(
      /if elsewhere\.example no longer runs it .*delete LOCK in the directory by hand/,
    );
  });
});

// Regression (concurrency review): a worker thread shares its process's pid, so it took the
// record of a system open on the main thread for a leftover of its own process, opened the
// directory too, and its close removed LOCK: the next open found the journal with a repeated seq
// (JOURNAL_CORRUPT).
/** Where a worker finds the TypeScript loader and the library. */
const workerPaths = {
  register: path.join(__dirname, '..', 'support', 'register.js'),
  lib: path.join(__dirname, '..', '..', 'lib'),
};

/** A worker's source: it loads the library (workerData.register, workerData.lib), defines Counter, then runs `body`. */
function counterWorker(body: string): string {
  return `
      const { parentPort, workerData } = require('node:worker_threads');
      require(workerData.register);
      const { initSystem } = require(workerData.lib);
      class Counter { n = 0; inc() { return ++this.n; } }
${body}`;
}

/** Writes the LOCK record a worker thread `thread` of this process writes, started `started`. */
function writeThreadRecord(dir: string, thread: number, started: string | undefined): void {
  const st = fs.statSync(dir);
  const record = {
    state: 'held',
    pid: process.pid,
    hostname: os.hostname(),
    since: '2026-11-25T00:00:00.000Z',
    dir: `${st.dev}:${st.ino}`,
    token: 'aaaaaaaaaaaaaaaa',
    thread,
    started,
  };
  fs.writeFileSync(path.join(dir, 'LOCK'), JSON.stringify(record));
}

describe('worker threads of one process', () => {
  it('refuses a directory open on another thread with LOCKED, and leaves its LOCK alone', async () => {
    const { Worker } = await import('node:worker_threads');
    const dir = freshBasedir();
    const main = initSystem(new Counter(), dir);
    main.inc();
    const { register, lib } = workerPaths;
    const code = counterWorker(`
      try {
        const s = initSystem(new Counter(), workerData.dir);
        s.inc();
        s.close().then(() => parentPort.postMessage('opened'));
      } catch (err) {
        parentPort.postMessage(String(err.message));
      }`);
    const answer = await new Promise<string>((resolve, reject) => {
      const worker = new Worker(code, { eval: true, workerData: { register, lib, dir } });
      worker.once('message', (m: string) => {
        resolve(m);
        void worker.terminate();
      });
      worker.once('error', reject);
    });
    expect(answer).toMatch(
      /^LOCKED: the data directory .* is already open in the main thread of this process/,
    );
    expect(lockFiles(dir)).toEqual(['LOCK']);
    expect(main.inc()).toBe(2);
    await main.close();
    const again = initSystem(Counter, dir);
    expect(again.n).toBe(2);
    await again.close();
  });

  it('says what to do about a directory a terminated worker keeps (regression (async review): the advice was to close it in a thread that no longer exists)', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Counter(), dir);
    await first.close();
    // The record a worker of this process writes (worker.terminate() runs no exit handlers, so
    // one it terminated may leave it; whether it does depends on timing, so it is written here).
    writeThreadRecord(dir, 42, incarnationOf(process.pid));
    let message = '';
    try {
      initSystem(new Counter(), dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^LOCKED: .* worker thread 42 of this process/);
    expect(message).toContain('worker.terminate()');
    expect(message).toContain('until this process ends');
    fs.unlinkSync(path.join(dir, 'LOCK'));
  });

  // Regression (diff review of the fix above): a worker that ended with the directory open left a
  // record that held for as long as the process lived.
  it('releases what a worker had open when it ends with an uncaught exception', async () => {
    const { Worker } = await import('node:worker_threads');
    const dir = freshBasedir();
    const { register, lib } = workerPaths;
    const code = counterWorker(`
      const s = initSystem(new Counter(), workerData.dir);
      s.inc();
      // A listener of the program's own, run after the library's: the system is closed by then.
      process.on('exit', () => {
        let outcome = 'journaled';
        try { s.inc(); } catch (err) { outcome = err.code; }
        require('node:fs').writeFileSync(workerData.out, outcome);
      });
      parentPort.postMessage('opened');
      setTimeout(() => { throw new Error('a bug in the worker'); }, 10);`);
    const out = path.join(tmpDir(), 'outcome');
    await new Promise<void>((resolve) => {
      const worker = new Worker(code, { eval: true, workerData: { register, lib, dir, out } });
      worker.on('error', () => undefined);
      worker.once('exit', () => resolve());
    });
    // Regression (second review): the lock went first, and such a late action was journaled while
    // another thread could already have the directory.
    expect(fs.readFileSync(out, 'utf8')).toBe('CLOSED');
    const main = initSystem(Counter, dir);
    expect(main.n).toBe(1);
    await main.close();
  });

  // Regression (diff review): a record of a worker of an earlier process that had this pid (a
  // container restarted as pid 1) was taken for one of this process's threads and held for good.
  (fs.existsSync('/proc/self/stat') ? it : it.skip)(
    'takes over a record of another thread of an earlier process that had this pid',
    async () => {
      const dir = freshBasedir();
      const first = initSystem(new Counter(), dir);
      first.inc();
      await first.close();
      writeThreadRecord(dir, 2, 'another-boot:1');
      const again = initSystem(Counter, dir);
      expect(again.n).toBe(1);
      expect(read(dir, 'LOCK')['pid']).toBe(process.pid);
      await again.close();
    },
  );
});

describe('a lock file that cannot be written (a full disk)', () => {
  class Plain {
    n = 0;
    bump(): void {
      this.n++;
    }
  }

  it('leaves no temporary lock file behind and names the data directory (regression (async review): each failed open left a LOCK.<pid>.<random>.tmp, and the error was a bare "ENOSPC ... write")', async () => {
    const dir = freshBasedir();
    await initSystem(new Plain(), dir).close();
    // The module object itself (the namespace import above cannot be spied on).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require('node:fs') as typeof fs;
    const real = nodeFs.writeFileSync;
    const spy = jest.spyOn(nodeFs, 'writeFileSync').mockImplementation(((
      file: fs.PathOrFileDescriptor,
      data: string | NodeJS.ArrayBufferView,
      options?: fs.WriteFileOptions,
    ) => {
      if (typeof file === 'string' && /LOCK\.\d+\.[0-9a-f]+\.tmp$/.test(file)) {
        // The file is created, then the write fails, as on a full disk.
        real(file, '', options);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      real(file, data, options);
    }) as typeof fs.writeFileSync);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        let caught: unknown;
        try {
          initSystem(new Plain(), dir);
        } catch (err) {
          caught = err;
        }
        expect((caught as NodeJS.ErrnoException).code).toBe('ENOSPC');
        expect((caught as Error).message).toContain(dir);
      }
    } finally {
      spy.mockRestore();
    }
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const again = initSystem(new Plain(), dir);
    again.bump();
    await again.close();
  });
});
