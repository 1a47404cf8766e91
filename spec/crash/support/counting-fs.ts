// A file-system seam that counts every call and fails the Nth one.
//
// Every method of the seam (the optional ones too) is numbered as it is
// called; call number `failAt` gets the fault of `kind` (for `dead` and
// `full`, every call from it on). Every other call is passed on to the inner
// file system, so a sweep over N = 1..T puts the failure at every point of a
// workload.
import type { EntryKind, FileSystem } from '../../../lib/fs/seam';
import { realFs } from '../../../lib/fs/seam';

/**
 * - `EIO`: call N throws EIO, whatever it is (an async fdatasync rejects);
 * - `ENOSPC`: call N throws ENOSPC, writing nothing (sweep writes only);
 * - `short`: write N writes half of what it was asked (a short write), then all is well;
 * - `torn`: write N writes half and the next write throws ENOSPC (a disk filling up mid-record);
 * - `dead`: every call from N on throws EIO (a disk gone bad);
 * - `full`: every write from N on throws ENOSPC (a disk that stays full).
 */
export type FaultKind = 'EIO' | 'ENOSPC' | 'short' | 'torn' | 'dead' | 'full';

/** The kinds that fail only writes (swept over the writes of a run). */
export const WRITE_KINDS: ReadonlySet<FaultKind> = new Set(['ENOSPC', 'short', 'torn', 'full']);

/** Marks the errors this seam made, to tell them from the library's own: the name of the call that threw it. */
export const INJECTED = Symbol('injected fault');

/** Calls that never fail in Node (existsSync answers false instead): counted, never failed. */
export const NEVER_THROWS: ReadonlySet<string> = new Set(['existsSync']);

export class CountingFs implements FileSystem {
  /** Calls made so far. */
  count = 0;
  /** The name of each call, in order (index n - 1 for call n). */
  readonly names: string[] = [];
  /** The call that got the (first) fault, once one did (for `torn`, the short write). */
  faultedAt: number | undefined;
  /** How many faults were injected so far. */
  faults = 0;
  /** The error thrown for the fault, once one was. */
  injected: Error | undefined;
  #tornPending = false;
  /** The flags each open fd was opened with, to tell closes of read-only files apart. */
  readonly #flags = new Map<number, string>();

  constructor(
    /** The call to fail (1-based); undefined: count only. */
    readonly failAt: number | undefined = undefined,
    readonly kind: FaultKind = 'EIO',
    private readonly inner: FileSystem = realFs,
  ) {}

  #error(code: string, call: string): Error {
    const err = new Error(`${code}: injected fault, ${call}`) as NodeJS.ErrnoException;
    err.code = code;
    err.syscall = call;
    Object.defineProperty(err, INJECTED, { value: call });
    this.injected = err;
    this.faults++;
    return err;
  }

  /** Numbers a call; true when it is the one to fail. */
  #hit(name: string): boolean {
    this.count++;
    this.names.push(name);
    if (this.failAt === undefined || NEVER_THROWS.has(name)) return false;
    const sticky = this.kind === 'dead' || this.kind === 'full';
    if (sticky ? this.count < this.failAt : this.count !== this.failAt) return false;
    if (WRITE_KINDS.has(this.kind) && name !== 'writeSync') return false;
    this.faultedAt ??= this.count;
    return true;
  }

  #call<T>(name: string, run: () => T): T {
    if (this.#hit(name)) throw this.#error('EIO', name);
    return run();
  }

  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number {
    const hit = this.#hit('writeSync');
    if (this.#tornPending) {
      this.#tornPending = false;
      this.faultedAt ??= this.count;
      throw this.#error('ENOSPC', 'writeSync');
    }
    if (!hit) return this.inner.writeSync(fd, buf, offset, length);
    if (this.kind === 'EIO' || this.kind === 'dead') throw this.#error('EIO', 'writeSync');
    if (this.kind === 'ENOSPC' || this.kind === 'full') throw this.#error('ENOSPC', 'writeSync');
    if (this.kind === 'torn') this.#tornPending = true;
    return this.inner.writeSync(fd, buf, offset, Math.max(1, Math.floor(length / 2)));
  }

  fdatasync(fd: number): Promise<void> {
    if (this.#hit('fdatasync')) return Promise.reject(this.#error('EIO', 'fdatasync'));
    return this.inner.fdatasync(fd);
  }

  // Like Linux: a close that reports EIO has still released the descriptor.
  closeSync(fd: number): void {
    const flags = this.#flags.get(fd);
    this.#flags.delete(fd);
    const name = `closeSync ${flags ?? '?'}`;
    const hit = this.#hit(name);
    this.inner.closeSync(fd);
    if (hit) throw this.#error('EIO', name);
  }

  openSync = (file: string, flags: string): number => {
    const fd = this.#call(`openSync ${flags}`, () => this.inner.openSync(file, flags));
    this.#flags.set(fd, flags);
    return fd;
  };
  readSync = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) =>
    this.#call('readSync', () => this.inner.readSync(fd, buf, offset, length, position));
  fdatasyncSync = (fd: number): void =>
    this.#call('fdatasyncSync', () => this.inner.fdatasyncSync(fd));
  fsyncSync = (fd: number): void => this.#call('fsyncSync', () => this.inner.fsyncSync(fd));
  ftruncateSync = (fd: number, length: number): void =>
    this.#call('ftruncateSync', () => this.inner.ftruncateSync(fd, length));
  fstatSize = (fd: number): number => this.#call('fstatSize', () => this.inner.fstatSize(fd));
  renameSync = (from: string, to: string): void =>
    this.#call('renameSync', () => this.inner.renameSync(from, to));
  unlinkSync = (file: string): void => this.#call('unlinkSync', () => this.inner.unlinkSync(file));
  copyFileSync = (from: string, to: string): void =>
    this.#call('copyFileSync', () => this.inner.copyFileSync(from, to));
  readdirSync = (dir: string): string[] =>
    this.#call('readdirSync', () => this.inner.readdirSync(dir));
  mkdirSync = (dir: string): void => this.#call('mkdirSync', () => this.inner.mkdirSync(dir));
  existsSync = (file: string): boolean =>
    this.#call('existsSync', () => this.inner.existsSync(file));
  readFileSync = (file: string): Buffer =>
    this.#call('readFileSync', () => this.inner.readFileSync(file));
  fsyncDirSync = (dir: string): void =>
    this.#call('fsyncDirSync', () => this.inner.fsyncDirSync(dir));
  linkCount = (file: string): number =>
    this.#call('linkCount', () => this.inner.linkCount?.(file) ?? 1);
  entryKind = (file: string): EntryKind =>
    this.#call('entryKind', () => this.inner.entryKind?.(file) ?? 'file');
  fileIdentity = (file: string): string | undefined =>
    this.#call('fileIdentity', () => this.inner.fileIdentity?.(file));
  fdIdentity = (fd: number): string =>
    this.#call('fdIdentity', () => this.inner.fdIdentity?.(fd) ?? String(fd));
}
