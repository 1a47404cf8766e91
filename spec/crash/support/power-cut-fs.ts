// A file-system seam that knows what a power cut would leave on disk.
//
// A SIGKILL loses nothing the process handed to the kernel, so kill tests
// cannot tell whether an fsync was missing. This seam passes every call on to
// the real file system and, beside it, models durability the way POSIX
// promises it: a file's content is durable as of its last fsync/fdatasync,
// and a directory entry (create, rename, unlink) as of the last fsync of the
// directory. `image()` is what the disk would hold if the power went out now.
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import type { FileSystem } from '../../../lib/fs/seam';
import { realFs } from '../../../lib/fs/seam';

/** One file (an inode): what was written, and what of it is durable. */
interface Inode {
  data: Buffer;
  /** Bumped by every change of `data`. */
  version: number;
  durable: Buffer;
  durableVersion: number;
}

const newInode = (data: Buffer, durable: boolean): Inode => ({
  data,
  version: 0,
  durable: durable ? data : Buffer.alloc(0),
  durableVersion: durable ? 0 : -1,
});

interface Handle {
  inode: Inode;
  append: boolean;
  position: number;
}

/** File name → content: what a power cut would leave in the directory. */
export type DiskImage = Map<string, Buffer>;

export class PowerCutFs implements FileSystem {
  /** Names in the directory as the running system sees them. */
  readonly #live = new Map<string, Inode>();
  /** Names that would survive a power cut. */
  #durableNames = new Map<string, Inode>();
  readonly #handles = new Map<number, Handle>();

  /**
   * @param dir the only directory modelled (the basedir); files elsewhere are passed through
   * @param afterCall called after every modelled call, e.g. to take an image at that moment
   */
  constructor(
    readonly dir: string,
    private readonly afterCall: (call: string) => void = () => {},
    private readonly inner: FileSystem = realFs,
  ) {}

  /** What the directory would hold after a power cut now. */
  image(): DiskImage {
    const image: DiskImage = new Map();
    for (const [name, inode] of this.#durableNames) image.set(name, inode.durable);
    return image;
  }

  /** Writes `image` out as a directory. */
  static materialize(image: DiskImage, target: string): void {
    nodeFs.mkdirSync(target, { recursive: true });
    for (const [name, data] of image) nodeFs.writeFileSync(path.join(target, name), data);
  }

  #name(file: string): string | undefined {
    return path.dirname(path.resolve(file)) === path.resolve(this.dir)
      ? path.basename(file)
      : undefined;
  }

  #done<T>(call: string, result: T): T {
    this.afterCall(call);
    return result;
  }

  openSync(file: string, flags: string): number {
    const fd = this.inner.openSync(file, flags);
    const name = this.#name(file);
    if (name === undefined) return fd;
    let inode = this.#live.get(name);
    if (inode === undefined) {
      // Created now, or there before this seam was used (then taken as durable).
      const before = flags.startsWith('w') ? Buffer.alloc(0) : nodeFs.readFileSync(file);
      inode = newInode(before, before.length > 0);
      this.#live.set(name, inode);
      if (before.length > 0) this.#durableNames.set(name, inode);
    }
    if (flags.startsWith('w')) this.#change(inode, Buffer.alloc(0));
    this.#handles.set(fd, { inode, append: flags.startsWith('a'), position: 0 });
    return this.#done(`open ${name} ${flags}`, fd);
  }

  #change(inode: Inode, data: Buffer): void {
    inode.data = data;
    inode.version++;
  }

  /** The content of `inode` as of `version` is durable (unless something newer already is). */
  #durable(inode: Inode, data: Buffer, version: number): void {
    if (version <= inode.durableVersion) return;
    inode.durable = data;
    inode.durableVersion = version;
  }

  closeSync(fd: number): void {
    this.inner.closeSync(fd);
    if (this.#handles.delete(fd)) this.#done('close', undefined);
  }

  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number {
    const written = this.inner.writeSync(fd, buf, offset, length);
    const h = this.#handles.get(fd);
    if (h === undefined) return written;
    const bytes = Buffer.from(buf.subarray(offset, offset + written));
    const at = h.append ? h.inode.data.length : h.position;
    const data = Buffer.alloc(Math.max(h.inode.data.length, at + written));
    h.inode.data.copy(data);
    bytes.copy(data, at);
    this.#change(h.inode, data);
    h.position = at + written;
    return this.#done('write', written);
  }

  #sync(fd: number): void {
    const h = this.#handles.get(fd);
    if (h !== undefined) this.#durable(h.inode, h.inode.data, h.inode.version);
  }

  fdatasyncSync(fd: number): void {
    this.inner.fdatasyncSync(fd);
    this.#sync(fd);
    this.#done('fdatasync', undefined);
  }

  async fdatasync(fd: number): Promise<void> {
    // Only what was written before the call started is sure to be covered.
    const inode = this.#handles.get(fd)?.inode;
    const data = inode?.data;
    const version = inode?.version;
    await this.inner.fdatasync(fd);
    if (inode === undefined || data === undefined || version === undefined) return;
    this.#durable(inode, data, version);
    this.#done('fdatasync (async)', undefined);
  }

  fsyncSync(fd: number): void {
    this.inner.fsyncSync(fd);
    this.#sync(fd);
    this.#done('fsync', undefined);
  }

  ftruncateSync(fd: number, length: number): void {
    this.inner.ftruncateSync(fd, length);
    const h = this.#handles.get(fd);
    if (h === undefined) return;
    const data = Buffer.alloc(length);
    h.inode.data.copy(data, 0, 0, Math.min(length, h.inode.data.length));
    this.#change(h.inode, data);
    this.#done('ftruncate', undefined);
  }

  renameSync(from: string, to: string): void {
    this.inner.renameSync(from, to);
    const a = this.#name(from);
    const b = this.#name(to);
    if (a === undefined || b === undefined) return;
    const inode = this.#live.get(a);
    this.#live.delete(a);
    if (inode !== undefined) this.#live.set(b, inode);
    this.#done(`rename ${a} ${b}`, undefined);
  }

  unlinkSync(file: string): void {
    this.inner.unlinkSync(file);
    const name = this.#name(file);
    if (name === undefined) return;
    this.#live.delete(name);
    this.#done(`unlink ${name}`, undefined);
  }

  copyFileSync(from: string, to: string): void {
    this.inner.copyFileSync(from, to);
    const name = this.#name(to);
    const source = this.#name(from);
    if (name === undefined) return;
    const data = source !== undefined ? this.#live.get(source)?.data : undefined;
    this.#live.set(name, newInode(data ?? nodeFs.readFileSync(to), false));
    this.#done(`copy ${source} ${name}`, undefined);
  }

  fsyncDirSync(dir: string): void {
    this.inner.fsyncDirSync(dir);
    if (path.resolve(dir) !== path.resolve(this.dir)) return;
    this.#durableNames = new Map(this.#live);
    this.#done('fsync dir', undefined);
  }

  readSync = (fd: number, buf: Uint8Array, offset: number, length: number, position: number) =>
    this.inner.readSync(fd, buf, offset, length, position);
  fstatSize = (fd: number) => this.inner.fstatSize(fd);
  readdirSync = (dir: string) => this.inner.readdirSync(dir);
  mkdirSync = (dir: string) => this.inner.mkdirSync(dir);
  existsSync = (file: string) => this.inner.existsSync(file);
  readFileSync = (file: string) => this.inner.readFileSync(file);
}
