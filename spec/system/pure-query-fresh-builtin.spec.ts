import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { stateShape } from '../../lib/isolation/registry';
import { freshBasedir } from '../support/tmp';

/**
 * A pure read (see pure-query.ts) ran on the raw state an own function or
 * getter that an action had stored on a fresh Map, Date or typed array: the
 * walk of a stored value never listed a built-in's own properties, so
 * `stateShape` was not set and the query changed the state unjournaled.
 */

const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

const open: Array<Prevalent<object>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
beforeEach(() => {
  stateShape.ownGetterSeen = false;
  stateShape.ownFunctionSeen = false;
});

type Kind = 'map get' | 'map size' | 'date getter' | 'bytes getter';

/** Gives `target` an own non-enumerable `key`, a method or a getter that changes `target`. */
function sneak<T extends object>(
  target: T,
  key: string,
  asGetter: boolean,
  change: (o: T) => void,
): T {
  const run = function (this: T): number {
    change(this);
    return 42;
  };
  Object.defineProperty(
    target,
    key,
    asGetter ? { get: run, configurable: true } : { value: run, configurable: true },
  );
  return target;
}

class Fresh {
  m = new Map<string, number>();
  d = new Date(0);
  bytes = new Uint8Array(4);
  store(kind: Kind): void {
    const setMap = (m: Map<string, number>): unknown => m.set('changed', 1);
    if (kind === 'map get') this.m = sneak(new Map([['a', 1]]), 'get', false, setMap);
    else if (kind === 'map size') this.m = sneak(new Map([['a', 1]]), 'size', true, setMap);
    else if (kind === 'date getter') this.d = sneak(new Date(0), 'day', true, (d) => d.setTime(1));
    else this.bytes = sneak(new Uint8Array(4), 'first', true, (b) => (b[0] = 9));
  }
  @readonly read(kind: Kind): unknown {
    if (kind === 'map get') return this.m.get('a');
    if (kind === 'map size') return this.m.size;
    if (kind === 'date getter') return (this.d as unknown as { day: number }).day;
    return (this.bytes as unknown as { first: number }).first;
  }
  /** What the sneaky members change, read without them. */
  @readonly changed(): unknown[] {
    return [[...this.m.keys()].includes('changed'), this.d.getTime(), this.bytes[0]];
  }
}

const unchanged = [false, 0, 0];

describe.each(['map get', 'map size', 'date getter', 'bytes getter'] as const)(
  'a fresh built-in stored with an own function or getter (%s)',
  (kind) => {
    it('is not run on the raw state by a pure read, live and after a replay', async () => {
      const dir = freshBasedir();
      const live = initSystem(Fresh, { basedir: dir });
      open.push(live);
      live.store(kind);
      expect(() => live.read(kind)).toThrow(refused);
      expect(live.changed()).toEqual(unchanged);
      await live.close();
      open.length = 0;
      // A new process: the flags start unset, and the replay stores the value again.
      stateShape.ownGetterSeen = false;
      stateShape.ownFunctionSeen = false;
      const again = initSystem(Fresh, { basedir: dir });
      open.push(again);
      expect(() => again.read(kind)).toThrow(refused);
      expect(again.changed()).toEqual(unchanged);
    });
  },
);

class Bytes {
  bytes = new Uint8Array(0);
  store(n: number): void {
    this.bytes = new Uint8Array(n);
  }
}

it('counts a stored typed array too long to list its keys as holding both', () => {
  const sys = initSystem(Bytes, { basedir: freshBasedir() });
  open.push(sys);
  sys.store(64);
  expect([stateShape.ownGetterSeen, stateShape.ownFunctionSeen]).toEqual([false, false]);
  sys.store(65);
  expect([stateShape.ownGetterSeen, stateShape.ownFunctionSeen]).toEqual([true, true]);
});

/** An initial state whose typed array has an own getter (the initial-state check lists no typed array's keys). */
class InitialBytes {
  bytes = new Uint8Array(4);
  constructor() {
    sneak(this.bytes, 'first', true, (b) => (b[0] = 9));
  }
  @readonly first(): unknown {
    return (this.bytes as unknown as { first: number }).first;
  }
  @readonly zero(): unknown {
    return this.bytes[0];
  }
}

it('an own getter of a typed array in the initial state is not run on the raw state', () => {
  const sys = initSystem(InitialBytes, { basedir: freshBasedir() });
  open.push(sys);
  expect(() => sys.first()).toThrow(refused);
  expect(sys.zero()).toBe(0);
});
