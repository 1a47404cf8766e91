// An open that continues the newest journal file, on a disk gone bad: its
// fdatasync fails, and so does the close of the file after it. The open
// refuses with JOURNAL_WRITE_FAILED naming the fdatasync failure (as
// DURABILITY.md says); the raw error of the close used to take its place
// (found by the fault sweep, spec/crash/fault-sweep.spec.ts, 'dead' disk).
import { initSystem, realFs } from '../../lib';
import type { FileSystem } from '../../lib';
import { Wiki } from '../fixtures/wiki';
import { prevalenceErrorOf } from '../support/errors';
import { freshBasedir } from '../support/tmp';

const eio = (syscall: string): Error =>
  Object.assign(new Error(`EIO: i/o error, ${syscall}`), { code: 'EIO', syscall });

/** Fails every fdatasync, and every close once an fdatasync has failed (the descriptor is still released). */
function dyingDisk(): FileSystem {
  let dead = false;
  return {
    ...realFs,
    fdatasyncSync: () => {
      dead = true;
      throw eio('fdatasync');
    },
    closeSync: (fd) => {
      realFs.closeSync(fd);
      if (dead) throw eio('close');
    },
  };
}

describe('an open whose journal fdatasync fails, and the close after it too', () => {
  it('refuses with JOURNAL_WRITE_FAILED about the fdatasync (regression: the raw close error escaped), and opens on a healthy disk', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Wiki(), dir);
    first.createPage('home', 'x');
    await first.close();

    const err = prevalenceErrorOf(() =>
      initSystem(new Wiki(), { basedir: dir, fileSystem: dyingDisk() }),
    );
    expect(err.code).toBe('JOURNAL_WRITE_FAILED');
    expect(err.message).toMatch(/^JOURNAL_WRITE_FAILED: could not make the records of .* durable/);
    expect((err.cause as Error).message).toBe('EIO: i/o error, fdatasync');

    // The lock was released and nothing was lost.
    const again = initSystem(new Wiki(), dir);
    expect(Object.keys(again.pages)).toEqual(['home']);
    await again.close();
  });
});
