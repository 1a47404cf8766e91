import { types } from 'node:util';
import { abortOnException, initSystem, persistent } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * Defects found reviewing the array mutators' fast paths (b649e64), each
 * against what the element-by-element path and plain JavaScript do.
 */

type Closable = { close(): Promise<void> };

@persistent('ReviewQueue')
class Queue {
  items: unknown[] = [];

  fill(n: number): void {
    for (let i = 0; i < n; i++) this.items.push(i);
  }

  @abortOnException
  drainThenFail(): void {
    this.items.splice(0);
    throw new Error('fails after draining');
  }

  insert(n: number, how: 'unshift' | 'splice'): number {
    const xs = new Array<number>(n).fill(7);
    if (how === 'unshift') this.items.unshift(...xs);
    else this.items.splice(1, 0, ...xs);
    return this.items.length;
  }

  hideOne(): void {
    // A non-enumerable element at a new index: the array holds a non-plain element.
    Object.defineProperty(this.items, this.items.length, {
      value: 'hidden',
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
}

/** What the getter below saw as `this`, whether a tracking proxy. */
const getterThis: boolean[] = [];

@persistent('ReviewStale')
class Stale {
  list: unknown[] = [1, 2, 3];

  warm(): void {
    this.list.reverse();
    this.list.reverse();
  }

  @abortOnException
  trick(): void {
    const list = this.list;
    Object.defineProperty(list, 3, {
      get(this: unknown[]) {
        getterThis.push(types.isProxy(this));
        this[0] = 99;
        return 'g';
      },
      enumerable: false,
      configurable: true,
    });
    try {
      this.checkInSavepoint();
    } catch {
      // The savepoint put the getter back.
    }
    list.shift();
    throw new Error('the action fails');
  }

  @abortOnException
  checkInSavepoint(): void {
    delete this.list[3];
    this.list.reverse(); // finds the array plain and remembers it
    throw new Error('savepoint fails');
  }
}

describe('array mutators: review regressions', () => {
  it('a failing action rolls back a splice that removed 200k elements (rollback spread them as arguments)', async () => {
    const dir = freshBasedir();
    const q = initSystem(new Queue(), { basedir: dir, durability: 'none' });
    q.fill(200_000);
    expect(() => q.drainThenFail()).toThrow('fails after draining');
    expect(q.items).toHaveLength(200_000);
    expect(q.items[199_999]).toBe(199_999);
    await (q as unknown as Closable).close();
    const again = initSystem(Queue, { basedir: dir });
    expect(again.items).toHaveLength(200_000);
    await (again as unknown as Closable).close();
  });

  it.each(['unshift', 'splice'] as const)(
    '%s of 80k values in an action works as in plain JavaScript (the fast path spread them again)',
    async (how) => {
      const dir = freshBasedir();
      const q = initSystem(new Queue(), { basedir: dir, durability: 'none' });
      q.fill(3);
      expect(q.insert(80_000, how)).toBe(80_003);
      await (q as unknown as Closable).close();
      const again = initSystem(Queue, { basedir: dir });
      expect(again.items).toHaveLength(80_003);
      await (again as unknown as Closable).close();
    },
  );

  it.each(['unshift', 'splice'] as const)(
    '%s of 80k values on an array holding a non-plain element works as before (a wrapper called the built-in again)',
    async (how) => {
      const dir = freshBasedir();
      const q = initSystem(new Queue(), { basedir: dir, durability: 'none' });
      q.fill(3);
      q.hideOne();
      expect(q.insert(80_000, how)).toBe(80_004);
      await (q as unknown as Closable).close();
      const again = initSystem(Queue, { basedir: dir });
      expect(again.items).toHaveLength(80_004);
      await (again as unknown as Closable).close();
    },
  );

  it('an element getter a savepoint put back runs on the tracking proxy, and the rollback is exact (the array stayed remembered as plain)', async () => {
    const dir = freshBasedir();
    const s = initSystem(new Stale(), { basedir: dir, durability: 'none' });
    s.warm();
    getterThis.length = 0;
    expect(() => s.trick()).toThrow('the action fails');
    expect(getterThis.length).toBeGreaterThan(0);
    expect(getterThis.every(Boolean)).toBe(true);
    expect([...s.list]).toEqual([1, 2, 3]);
    await (s as unknown as Closable).close();
  });
});
