import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * A pure read (see pure-query.ts) that calls get() on a class, reached
 * through `constructor`, ran a static get() of the domain's own on the raw
 * state: the guard looked for look-up methods on prototypes only, so the
 * static method got a raw state object as its argument (a view on the
 * views' way) and changed it unjournaled.
 */

const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

const open: Array<Prevalent<object>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

class Base {
  static get(box: { n: number }): number {
    return ++box.n;
  }
}

class Registry extends Base {
  box = { n: 0 };
  @readonly viaStatic(): unknown {
    return (this.constructor as typeof Registry).get(this.box);
  }
  @readonly n(): number {
    return this.box.n;
  }
}

describe('a static get() of the root class (inherited)', () => {
  it('is not run on the raw state by a pure read', () => {
    const sys = initSystem(Registry, { basedir: freshBasedir() });
    open.push(sys);
    expect(() => sys.viaStatic()).toThrow(refused);
    expect(sys.n()).toBe(0);
  });
});
