// takeSnapshot({ into }) whose backup directory cannot be created for a disk
// error (EIO, ENOSPC) fails with SNAPSHOT_WRITE_FAILED, as any failed
// snapshot write does; the raw Node error used to escape (found by the
// fault sweep, spec/crash/fault-sweep.spec.ts: EIO at the mkdir of the
// backup directory).
import * as path from 'node:path';
import { initSystem, realFs } from '../../lib';
import type { FileSystem } from '../../lib';
import { Wiki } from '../fixtures/wiki';
import { prevalenceErrorOf } from '../support/errors';
import { filesIn, freshBasedir, tmpDir } from '../support/tmp';

const failing = (code: string, dir: string): FileSystem => ({
  ...realFs,
  mkdirSync: (d) => {
    if (path.resolve(d) === path.resolve(dir)) {
      throw Object.assign(new Error(`${code}: i/o error, mkdir '${d}'`), {
        code,
        syscall: 'mkdir',
      });
    }
    realFs.mkdirSync(d);
  },
});

describe('takeSnapshot({ into }) when the backup directory cannot be created', () => {
  it.each(['EIO', 'ENOSPC'])(
    'throws SNAPSHOT_WRITE_FAILED for %s (regression: the raw Node error escaped), and the system goes on',
    async (code) => {
      const dir = freshBasedir();
      const target = path.join(tmpDir(), 'backup');
      const wiki = initSystem(new Wiki(), { basedir: dir, fileSystem: failing(code, target) });
      wiki.createPage('home', 'x');
      const own = filesIn(dir);
      const err = prevalenceErrorOf(() => wiki.takeSnapshot({ into: target }));
      expect(err.code).toBe('SNAPSHOT_WRITE_FAILED');
      expect(err.message).toContain(target);
      expect(err.message).toContain(code);
      expect((err.cause as NodeJS.ErrnoException).code).toBe(code);
      // Nothing of the system's own directory was touched, and it goes on.
      expect(filesIn(dir)).toEqual(own);
      wiki.createPage('after', 'y');
      await wiki.close();
      const again = initSystem(new Wiki(), dir);
      expect(Object.keys(again.pages)).toEqual(['home', 'after']);
      await again.close();
    },
  );
});
