import { initSystem } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

// Regression: a small Buffer an action made (`Buffer.from('…')`, `Buffer.allocUnsafe`,
// `Buffer.concat`, `Buffer.from([…])`) was a slice of Node's shared allocation pool, whose
// ArrayBuffer every small Buffer made later in the process shares. Code outside any action
// reached the state's bytes through its own Buffer's `.buffer` (`new Uint8Array(mine.buffer)`,
// with the offset the view's `byteOffset` gives, or by filling the whole pool, as a careless
// `new Uint8Array(b.buffer).fill(0)` does) and changed them behind the journal: the live state
// said one thing, a restart another.

class Blobs {
  items: Record<string, Buffer> = {};

  fromString(key: string, text: string): void {
    this.items[key] = Buffer.from(text);
  }

  fromBytes(key: string, bytes: number[]): void {
    this.items[key] = Buffer.from(bytes);
  }

  unsafe(key: string, size: number): void {
    const b = Buffer.allocUnsafe(size);
    b.fill(7);
    this.items[key] = b;
  }

  concat(key: string, a: string, b: string): void {
    this.items[key] = Buffer.concat([Buffer.from(a), Buffer.from(b)]);
  }

  poolSizeSeen(): number {
    return Buffer.poolSize;
  }

  offsets: number[] = [];

  /** Where in its ArrayBuffer a Buffer it makes starts: the pool's offset, which a replay never saw. */
  noteOffset(text: string): void {
    const b = Buffer.from(text);
    this.offsets.push(b.byteOffset, b.buffer.byteLength);
  }
}

const open: Array<Prevalent<Blobs>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function openBlobs(dir: string): Prevalent<Blobs> {
  const s = initSystem(new Blobs(), { basedir: dir });
  open.push(s);
  return s;
}

/** Writes `value` over every byte of the pool a Buffer made now (outside any action) lies in. */
function clobberCurrentPool(value: number): void {
  const mine = Buffer.from('outside');
  new Uint8Array(mine.buffer).fill(value);
}

describe("Buffers an action makes are not slices of Node's shared pool", () => {
  it('so code outside actions cannot reach their bytes through its own Buffers', async () => {
    const dir = freshBasedir();
    const s = openBlobs(dir);
    s.fromString('text', 'hello');
    s.fromBytes('bytes', [1, 2, 3]);
    s.unsafe('unsafe', 4);
    s.concat('joined', 'ab', 'cd');
    const expected = {
      text: 'hello',
      bytes: '010203',
      unsafe: '07070707',
      joined: 'abcd',
    };
    const read = (sys: Prevalent<Blobs>) => ({
      text: sys.items['text']!.toString(),
      bytes: sys.items['bytes']!.toString('hex'),
      unsafe: sys.items['unsafe']!.toString('hex'),
      joined: sys.items['joined']!.toString(),
    });
    clobberCurrentPool(65);
    expect(read(s)).toEqual(expected);
    for (const key of Object.keys(expected)) {
      const b = s.items[key]!;
      // Memory of its own: its ArrayBuffer holds its bytes and nothing else.
      expect([key, b.byteOffset, b.buffer.byteLength]).toEqual([key, 0, b.length]);
    }
    await s.close();
    open.splice(0);
    expect(read(openBlobs(dir))).toEqual(expected);
  });

  it('so what an action reads of its place is the same in a replay', async () => {
    const dir = freshBasedir();
    const s = openBlobs(dir);
    Buffer.from('moves the pool on');
    s.noteOffset('abc');
    Buffer.from('moves it on again');
    s.noteOffset('de');
    const live = [...s.offsets];
    expect(live).toEqual([0, 3, 0, 2]);
    await s.close();
    open.splice(0);
    expect([...openBlobs(dir).offsets]).toEqual(live);
  });

  it('outside actions, Buffer.poolSize is left as it was', () => {
    const s = openBlobs(freshBasedir());
    const before = Buffer.poolSize;
    s.fromString('a', 'x');
    expect(Buffer.poolSize).toBe(before);
    expect(() => s.fromBytes('b', [1n as unknown as number])).toThrow();
    expect(Buffer.poolSize).toBe(before);
    // The action sees 0, live and in a replay alike.
    expect(s.poolSizeSeen()).toBe(0);
    expect(Buffer.from('outside').buffer.byteLength).toBeGreaterThan(8);
  });
});

class Seeded extends Blobs {
  seed = Buffer.from('seed');
}

describe("a small Buffer in a new directory's initial state", () => {
  // Not fixed (README, Storage): the constructor ran before initSystem, outside any action, and
  // the state starts with the objects it made; a restart restores the Buffer with memory of its own.
  it.failing('is still a slice of the pool until the next restart', async () => {
    const s = initSystem(new Seeded(), { basedir: freshBasedir() });
    open.push(s);
    clobberCurrentPool(65);
    expect(s.seed.toString()).toBe('seed');
  });
});
