import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { initSystem } from '../../lib';
import type { Durability } from '../../lib';
import type { FileSystem } from '../../lib/fs/seam';
import { realFs } from '../../lib/fs/seam';
import { filesIn, freshBasedir } from '../support/tmp';

/**
 * What outside readers and outside file systems may rely on. Both were
 * broken by a writer that wrote 'always' records over space reserved ahead
 * of them (taken back; docs/FORMAT.md says why).
 */

class Notes {
  notes: string[] = [];
  add(note: string): void {
    this.notes.push(note);
  }
}

const MODES: Durability[] = ['always', 'batch', 'none'];

function journalLines(dir: string): string[] {
  return filesIn(dir)
    .filter((f) => /^journal-\d{16}\.jsonl$/.test(f))
    .flatMap((f) => nodeFs.readFileSync(path.join(dir, f), 'utf8').split('\n'));
}

describe('the journal files of a running system', () => {
  it.each(MODES)(
    "hold one JSON record per line and nothing else, while the system runs, in '%s' mode (regression: space reserved ahead read as empty lines)",
    async (durability) => {
      const dir = freshBasedir();
      const sys = initSystem(new Notes(), { basedir: dir, durability });
      for (let i = 0; i < 25; i++) {
        sys.add(`note ${i}`);
        await sys.sync();
        const lines = journalLines(dir);
        // Every file ends with a newline, so splitting leaves one empty string per file, last.
        expect(lines.pop()).toBe('');
        const records = lines.map((line) => JSON.parse(line) as { rec: { seq: number } });
        expect(records.map((r) => r.rec.seq)).toEqual(
          Array.from({ length: i + 1 }, (_, k) => k + 1),
        );
      }
      await sys.close();
    },
  );
});

describe('a fileSystem option written against the seam', () => {
  it.each(MODES)(
    "keeps every record when its writeSync takes the four arguments the seam defines, in '%s' mode (regression: records written at a position it dropped were lost)",
    async (durability) => {
      const dir = freshBasedir();
      const fourArgs: FileSystem = {
        ...realFs,
        writeSync: (fd: number, buf: Uint8Array, offset: number, length: number) =>
          nodeFs.writeSync(fd, buf, offset, length),
      };
      const sys = initSystem(new Notes(), { basedir: dir, durability, fileSystem: fourArgs });
      for (let i = 0; i < 40; i++) sys.add(`note ${i}`);
      await sys.close();
      const again = initSystem(new Notes(), { basedir: dir, durability });
      expect(again.notes).toEqual(Array.from({ length: 40 }, (_, i) => `note ${i}`));
      await again.close();
    },
  );
});

describe('the file-system seam as the package exports it', () => {
  it('lets a user spread realFs and override one method to inject a fault (regression: FileSystem and realFs were not exported, though the error for an incomplete fileSystem told users to spread realFs)', async () => {
    const api = await import('../../lib');
    expect(api.realFs).toBe(realFs);
    let writes = 0;
    const failing: import('../../lib').FileSystem = {
      ...api.realFs,
      writeSync(fd, buf, offset, length) {
        if (++writes > 3) throw Object.assign(new Error('ENOSPC: no space'), { code: 'ENOSPC' });
        return api.realFs.writeSync(fd, buf, offset, length);
      },
    };
    const dir = freshBasedir();
    const sys = api.initSystem(new Notes(), { basedir: dir, fileSystem: failing });
    let code: string | undefined;
    for (let i = 0; i < 10 && code === undefined; i++) {
      try {
        sys.add(`note ${i}`);
      } catch (err) {
        code = (err as { code?: string }).code;
      }
    }
    expect(code).toBe('JOURNAL_WRITE_FAILED');
    await sys.close().catch(() => undefined);
    const msg = (() => {
      try {
        api.initSystem(new Notes(), { basedir: freshBasedir(), fileSystem: {} as never });
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(msg).toContain('spread realFs, exported by prevalent');
  });
});

// Regression (docs audit): after a journal failure, takeSnapshot() wrote the snapshot, then
// failed the journal rotation after it with JOURNAL_WRITE_FAILED saying "the action was not
// recorded", so the caller took the snapshot for lost.
describe('takeSnapshot() after a journal failure', () => {
  it('writes the snapshot and returns its path; the next open loads it', async () => {
    let fail = false;
    const failing: FileSystem = {
      ...realFs,
      fdatasyncSync(fd) {
        if (fail) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        realFs.fdatasyncSync(fd);
      },
    };
    const dir = freshBasedir();
    const sys = initSystem(new Notes(), { basedir: dir, fileSystem: failing });
    sys.add('kept');
    fail = true;
    expect(() => sys.add('lost')).toThrow(/JOURNAL_WRITE_FAILED/);
    fail = false;
    const snapshot = sys.takeSnapshot();
    expect(path.basename(snapshot)).toBe('snapshot-0000000000000001.snap');
    expect(() => sys.add('refused')).toThrow(/JOURNAL_WRITE_FAILED/);
    await expect(sys.close()).resolves.toBeUndefined();
    const again = initSystem(Notes, dir);
    expect(again.notes).toEqual(['kept']);
    await again.close();
  });
});

// Regression: after a failed background fdatasync, takeSnapshot() made every acknowledged
// action durable in its snapshot, yet sync() and close() still rejected with "closed without
// making actions after seq N durable", so a program that saved its state as DURABILITY.md says
// was told it had lost it.
describe('sync() and close() after a snapshot that followed a failed fdatasync', () => {
  /** A 'batch' system whose background fdatasyncs fail while `fault.on`. */
  function batchWithFailingSync(dir: string, fault: { on: boolean }) {
    const failing: FileSystem = {
      ...realFs,
      fdatasync(fd) {
        if (fault.on) {
          return Promise.reject(Object.assign(new Error('EIO: injected'), { code: 'EIO' }));
        }
        return realFs.fdatasync(fd);
      },
    };
    return initSystem(new Notes(), {
      basedir: dir,
      durability: 'batch',
      fileSystem: failing,
      onWarning: () => undefined,
    });
  }

  it('resolve, since the snapshot holds every acknowledged action', async () => {
    const fault = { on: false };
    const dir = freshBasedir();
    const sys = batchWithFailingSync(dir, fault);
    sys.add('synced');
    await sys.sync();
    fault.on = true;
    sys.add('acknowledged');
    await expect(sys.sync()).rejects.toThrow(/JOURNAL_WRITE_FAILED/);
    expect(() => sys.add('refused')).toThrow(/JOURNAL_WRITE_FAILED/);
    fault.on = false;
    sys.takeSnapshot();
    await expect(sys.sync()).resolves.toBeUndefined();
    await expect(sys.close()).resolves.toBeUndefined();
    const again = initSystem(Notes, dir);
    expect(again.notes).toEqual(['synced', 'acknowledged']);
    await again.close();
  });

  it('still reject without such a snapshot', async () => {
    const dir = freshBasedir();
    const sys = batchWithFailingSync(dir, { on: true });
    sys.add('acknowledged');
    await expect(sys.sync()).rejects.toThrow(/JOURNAL_WRITE_FAILED/);
    sys.takeSnapshot({ into: path.join(path.dirname(dir), 'backup') });
    await expect(sys.close()).rejects.toThrow(/closed without making actions after seq 0 durable/);
  });
});
