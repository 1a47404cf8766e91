import type { FileSystem } from './seam';
import { realFs } from './seam';

/**
 * A view of a file system that never changes anything: reads pass through,
 * and every call that would write, truncate, rename or delete does nothing.
 * `verifyReplay` reads a live data directory through it, so a torn journal
 * tail is skipped in memory instead of being cut off on disk.
 */
export function readOnlyFs(inner: FileSystem = realFs): FileSystem {
  const nothing = (): void => undefined;
  return {
    ...inner,
    openSync: (file, flags) => inner.openSync(file, flags.startsWith('r') ? 'r' : 'r'),
    writeSync: (_fd, _buf, _offset, length) => length,
    fdatasyncSync: nothing,
    fdatasync: () => Promise.resolve(),
    fsyncSync: nothing,
    ftruncateSync: nothing,
    renameSync: nothing,
    unlinkSync: nothing,
    copyFileSync: nothing,
    mkdirSync: nothing,
    fsyncDirSync: nothing,
  };
}
