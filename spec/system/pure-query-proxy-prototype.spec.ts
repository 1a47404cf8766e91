import { initSystem, persistent, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * A pure read (see pure-query.ts) of a class instance whose prototype chain
 * holds a Proxy: the Proxy's traps run for any key the instance lacks, with
 * the instance as the receiver. In a file of its own: such a registered
 * class sends every pure read of the process the views' way.
 */

const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

const open: Array<Prevalent<object>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A registered class whose prototype chain holds a Proxy: it answers any missing key. */
class Tracing {}
Object.setPrototypeOf(
  Tracing.prototype,
  new Proxy(
    {},
    {
      get(_target, key, receiver: { misses: number }) {
        if (key === 'misses' || typeof key === 'symbol') return undefined;
        receiver.misses++;
        return undefined;
      },
    },
  ),
);
@persistent('ReviewRecord')
class TracedRecord extends Tracing {
  misses = 0;
}

class TracedRoot {
  record = new TracedRecord();
  @readonly missing(): unknown {
    return (this.record as unknown as { nothing: unknown }).nothing;
  }
  @readonly misses(): number {
    return this.record.misses;
  }
}

describe('a Proxy on the prototype chain of a registered class', () => {
  it('runs the views way: its traps get the object read as the receiver', () => {
    const sys = initSystem(TracedRoot, { basedir: freshBasedir(), classes: [TracedRecord] });
    open.push(sys);
    // prevalent's own checks of the state read through the raw objects too: count from here.
    const before = sys.misses();
    expect(() => sys.missing()).toThrow(refused);
    expect(sys.misses()).toBe(before);
  });
});
