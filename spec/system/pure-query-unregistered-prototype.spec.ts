import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * A pure read (see pure-query.ts) ran on the raw state a getter of an
 * object's prototype that the guard never scanned: a non-enumerable property
 * may hold what snapshots cannot keep (an unregistered class's instance, an
 * object made with Object.create), and the guard scanned only the built-ins'
 * and the registered classes' prototypes. The getter got the raw object as
 * `this` and changed the state unjournaled.
 */

const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

const open: Array<Prevalent<object>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

class Unregistered {
  n = 0;
  get bump(): number {
    return ++this.n;
  }
}
const bumping = {
  get bump(): number {
    return ++(this as unknown as { n: number }).n;
  },
};

type Kind = 'unregistered class' | 'Object.create';
const make = (kind: Kind): { n: number } =>
  kind === 'unregistered class'
    ? new Unregistered()
    : Object.assign(Object.create(bumping), { n: 0 });

function hidden(target: object, value: unknown): object {
  Object.defineProperty(target, 'h', { value, configurable: true, writable: true });
  return target;
}

let initial: Kind | undefined;

class Holder {
  x: object = {};
  constructor() {
    if (initial !== undefined) hidden(this.x, make(initial));
  }
  store(kind: Kind): void {
    this.x = hidden({}, make(kind));
  }
  @readonly bump(): unknown {
    return (this.x as { h: { bump: number } }).h.bump;
  }
  @readonly n(): unknown {
    return (this.x as { h: { n: number } }).h.n;
  }
}

describe.each(['unregistered class', 'Object.create'] as const)(
  'an object with a getter on its own prototype (%s) in a non-enumerable property',
  (kind) => {
    it('stored by an action: its getter is not run on the raw state, live and after a replay', async () => {
      const dir = freshBasedir();
      const live = initSystem(Holder, { basedir: dir });
      open.push(live);
      live.store(kind);
      expect(() => live.bump()).toThrow(refused);
      expect(live.n()).toBe(0);
      await live.close();
      const replayed = initSystem(Holder, { basedir: dir });
      open.push(replayed);
      expect(() => replayed.bump()).toThrow(refused);
      expect(replayed.n()).toBe(0);
    });

    it('in the initial state: its getter is not run on the raw state', () => {
      initial = kind;
      try {
        const sys = initSystem(Holder, { basedir: freshBasedir() });
        open.push(sys);
        expect(() => sys.bump()).toThrow(refused);
        expect(sys.n()).toBe(0);
      } finally {
        initial = undefined;
      }
    });
  },
);
