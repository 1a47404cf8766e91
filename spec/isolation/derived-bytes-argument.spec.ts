import { initSystem } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

// Regression (membrane review): a subarray() of a view of the state's bytes,
// passed to an action, was refused with STALE_REFERENCE, whose message says
// the object left the state, which it never was in (it is a new array over
// the state's memory). It is now copied, as any value from outside the state
// is: the action gets bytes of its own, live and in a replay.

class Blobs {
  bytes = new Uint8Array([1, 2, 3, 4]);
  kept: Uint8Array | undefined;
  keptBuffer: ArrayBuffer | undefined;

  keepBuffer(buffer: ArrayBuffer): void {
    this.keptBuffer = buffer;
  }

  keep(part: Uint8Array): void {
    this.kept = part;
  }

  bump(): void {
    this.bytes[1] = 99;
  }
}

const open: Array<Prevalent<Blobs>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function openBlobs(dir: string): Prevalent<Blobs> {
  const s = initSystem(Blobs, { basedir: dir });
  open.push(s);
  return s;
}

describe('a subarray() of the state\u2019s bytes passed to an action', () => {
  it('is copied, sharing no bytes with the state, live and after a restart', async () => {
    const dir = freshBasedir();
    const s = openBlobs(dir);
    s.keep(s.bytes.subarray(1, 3) as Uint8Array);
    s.bump();
    expect([...s.kept!]).toEqual([2, 3]);
    expect([...s.bytes]).toEqual([1, 99, 3, 4]);
    await open.pop()!.close();
    const again = openBlobs(dir);
    expect([...again.kept!]).toEqual([2, 3]);
    expect([...again.bytes]).toEqual([1, 99, 3, 4]);
  });

  it('so is its .buffer', async () => {
    const dir = freshBasedir();
    const s = openBlobs(dir);
    s.keepBuffer(s.bytes.buffer as ArrayBuffer);
    s.bump();
    expect([...new Uint8Array(s.keptBuffer!.slice(0))]).toEqual([1, 2, 3, 4]);
    await open.pop()!.close();
    const again = openBlobs(dir);
    expect([...new Uint8Array(again.keptBuffer!.slice(0))]).toEqual([1, 2, 3, 4]);
    expect([...again.bytes]).toEqual([1, 99, 3, 4]);
  });
});
