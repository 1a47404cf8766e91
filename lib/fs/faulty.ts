import type { FileSystem } from './seam';
import { realFs } from './seam';

/** What a {@link FaultyFs} does to the calls it intercepts. */
export interface FaultPlan {
  /** Fail every `writeSync` once this many bytes have been written in total (ENOSPC by default). */
  failWritesAfterBytes?: number;
  /** Error code used for injected write failures. */
  writeErrorCode?: string;
  /** Write at most this many bytes per `writeSync` call (short writes). */
  maxBytesPerWrite?: number;
  /** Fail fdatasync/fsync calls with EIO. */
  failSync?: boolean;
  /** Fail renames (e.g. a snapshot's final rename) with EIO. */
  failRename?: boolean;
}

/**
 * A {@link FileSystem} over the real one that injects faults according to a
 * mutable {@link FaultPlan}: tests flip `plan` fields to simulate a full disk
 * or an I/O error at a chosen moment.
 */
export class FaultyFs implements FileSystem {
  bytesWritten = 0;
  // Only where the inner one has them: a missing identity means "no file there".
  fileIdentity?: (file: string) => string | undefined;
  fdIdentity?: (fd: number) => string;

  constructor(
    public plan: FaultPlan = {},
    private readonly inner: FileSystem = realFs,
  ) {
    if (inner.fileIdentity !== undefined && inner.fdIdentity !== undefined) {
      this.fileIdentity = (file) => inner.fileIdentity!(file);
      this.fdIdentity = (fd) => inner.fdIdentity!(fd);
    }
  }

  private fail(code: string, syscall: string): never {
    const err = new Error(`${code}: injected fault, ${syscall}`) as NodeJS.ErrnoException;
    err.code = code;
    err.syscall = syscall;
    throw err;
  }

  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number {
    const { failWritesAfterBytes, maxBytesPerWrite } = this.plan;
    let n = length;
    if (maxBytesPerWrite !== undefined) n = Math.min(n, maxBytesPerWrite);
    if (failWritesAfterBytes !== undefined) {
      const room = failWritesAfterBytes - this.bytesWritten;
      if (room <= 0) this.fail(this.plan.writeErrorCode ?? 'ENOSPC', 'write');
      n = Math.min(n, room);
    }
    const written = this.inner.writeSync(fd, buf, offset, n);
    this.bytesWritten += written;
    return written;
  }
  fdatasyncSync(fd: number): void {
    if (this.plan.failSync) this.fail('EIO', 'fdatasync');
    this.inner.fdatasyncSync(fd);
  }
  fdatasync(fd: number): Promise<void> {
    if (this.plan.failSync) return Promise.reject(this.capture('EIO', 'fdatasync'));
    return this.inner.fdatasync(fd);
  }
  fsyncSync(fd: number): void {
    if (this.plan.failSync) this.fail('EIO', 'fsync');
    this.inner.fsyncSync(fd);
  }
  renameSync(from: string, to: string): void {
    if (this.plan.failRename) this.fail('EIO', 'rename');
    this.inner.renameSync(from, to);
  }
  private capture(code: string, syscall: string): Error {
    try {
      this.fail(code, syscall);
    } catch (err) {
      return err as Error;
    }
  }

  openSync = (file: string, flags: string) => this.inner.openSync(file, flags);
  closeSync = (fd: number) => this.inner.closeSync(fd);
  readSync = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) =>
    this.inner.readSync(fd, buf, offset, length, position);
  ftruncateSync = (fd: number, length: number) => this.inner.ftruncateSync(fd, length);
  fstatSize = (fd: number) => this.inner.fstatSize(fd);
  unlinkSync = (file: string) => this.inner.unlinkSync(file);
  copyFileSync = (from: string, to: string) => this.inner.copyFileSync(from, to);
  linkCount = (file: string) => this.inner.linkCount?.(file) ?? 1;
  entryKind = (file: string) => this.inner.entryKind?.(file) ?? 'file';
  readdirSync = (dir: string) => this.inner.readdirSync(dir);
  mkdirSync = (dir: string) => this.inner.mkdirSync(dir);
  existsSync = (file: string) => this.inner.existsSync(file);
  readFileSync = (file: string) => this.inner.readFileSync(file);
  fsyncDirSync = (dir: string) => {
    if (this.plan.failSync) this.fail('EIO', 'fsync');
    this.inner.fsyncDirSync(dir);
  };
}
