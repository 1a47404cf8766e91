// Unit checks of putting a journal file's records back under its name (lib/journal/replaced.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realFs, type FileSystem } from '../../lib/fs/seam';
import { holdsSameBytes } from '../../lib/journal/replaced';
import { tmpDir } from '../support/tmp';

describe('holdsSameBytes', () => {
  function files(): { a: string; b: string } {
    const dir = tmpDir();
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.writeFileSync(a, 'same bytes\n');
    fs.writeFileSync(b, 'same bytes\n');
    return { a, b };
  }

  it('compares the open file with the named one, byte for byte', () => {
    const { a, b } = files();
    const fd = fs.openSync(a, 'r');
    try {
      expect(holdsSameBytes(realFs, fd, 11, b)).toBe(true);
      fs.writeFileSync(b, 'same bytez\n');
      expect(holdsSameBytes(realFs, fd, 11, b)).toBe(false);
      expect(holdsSameBytes(realFs, fd, 11, `${b}-missing`)).toBe(false);
    } finally {
      fs.closeSync(fd);
    }
  });

  // Regression (review): a failing close of the named file threw out of it, and the writer took
  // that for a failed put-back, stopping the system though the records were under the name.
  it('answers, and does not throw, when closing the named file fails', () => {
    const { a, b } = files();
    const closing: FileSystem = {
      ...realFs,
      closeSync(fd: number) {
        realFs.closeSync(fd);
        throw Object.assign(new Error('EIO: close'), { code: 'EIO' });
      },
    };
    const fd = fs.openSync(a, 'r');
    try {
      expect(holdsSameBytes(closing, fd, 11, b)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });
});
