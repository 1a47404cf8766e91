import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * NOT FIXED (marked `failing`): a pure read (see pure-query.ts) runs on the
 * raw state a getter the action put on an element of an array it made
 * itself. Such elements are not looked for when an array is stored (a
 * descriptor per element would slow every store of an array: see the
 * README), so no `stateShape` flag is set, and the getter gets the raw
 * array as `this`: here it changes the state unjournaled.
 */

const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

const open: Array<Prevalent<object>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

class Lists {
  items: unknown[] = [];
  store(): void {
    const arr: unknown[] = [];
    Object.defineProperty(arr, 0, {
      get(this: unknown[]) {
        this.push('x');
        return 1;
      },
      configurable: true,
      enumerable: true,
    });
    this.items = arr;
  }
  @readonly first(): unknown {
    return this.items[0];
  }
  @readonly length(): number {
    return this.items.length;
  }
}

describe('a getter on an element of an array an action stored', () => {
  it.failing('is not run on the raw state by a pure read', () => {
    const sys = initSystem(Lists, { basedir: freshBasedir() });
    open.push(sys);
    sys.store();
    const before = sys.length();
    expect(() => sys.first()).toThrow(refused);
    expect(sys.length()).toBe(before);
  });
});
