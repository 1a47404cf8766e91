import { initSystem, readonly } from '../../lib';
import { SystemClock } from '../../lib/clock/clock';
import { freshBasedir, journalRecords } from '../support/tmp';
import { expectCode } from '../isolation/helpers';

/**
 * Regressions from the misuse review: how ordinary JavaScript treats the
 * object initSystem returns.
 */

class Shop {
  items: string[] = [];
  codes: string[] = [];
  views = 0;

  add(item: string): void {
    this.items.push(item);
  }

  /** Stores a code drawn from the system's clock. */
  draw(): void {
    this.codes.push(this._clock.uuid());
  }

  @readonly
  count(): number {
    return this.items.length;
  }

  toString(): string {
    return `Shop(${this.items.length})`;
  }

  toJSON(): unknown {
    return { items: this.items };
  }

  /** A language hook that tries to change the state. */
  valueOf(): number {
    this.views++;
    return this.items.length;
  }

  declare readonly _clock: SystemClock;
}

describe('the system object in ordinary JavaScript', () => {
  it('hands out `_clock` as its five methods only, frozen (regression: the clock itself, whose generator state outside code could change so a restart drew other values)', async () => {
    const dir = freshBasedir();
    const shop = initSystem(new Shop(), dir);
    const clock = shop._clock as unknown as Record<string, unknown>;
    expect(Object.isFrozen(clock)).toBe(true);
    expect(clock['rng']).toBeUndefined();
    expect(typeof (clock['random'] as () => number)()).toBe('number');
    expect(() => {
      'use strict';
      clock['now'] = () => 0;
    }).toThrow(TypeError);
    shop.draw();
    const live = [...shop.codes];
    await shop.close();
    const again = initSystem(Shop, dir);
    expect([...again.codes]).toEqual(live);
    await again.close();
  });

  it('leaves no action running when the clock cannot enter one (regression: every later call of every system was refused as made from inside an action)', async () => {
    const dir = freshBasedir();
    const shop = initSystem(new Shop(), dir);
    const enter = jest.spyOn(SystemClock.prototype, 'enter').mockImplementationOnce(() => {
      throw new TypeError('clock broken');
    });
    try {
      expect(() => shop.add('a')).toThrow('clock broken');
    } finally {
      enter.mockRestore();
    }
    shop.add('b');
    expect([...shop.items]).toEqual(['b']);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['add']);
    await shop.close();
  });

  it('gives the domain class as `constructor` and the prototype as `__proto__` (regression: a query wrapper named "query")', async () => {
    const shop = initSystem(new Shop(), freshBasedir());
    expect(shop.constructor).toBe(Shop);
    expect((shop as unknown as { __proto__: unknown }).__proto__).toBe(Shop.prototype);
    expect(shop).toBeInstanceOf(Shop);
    await shop.close();
  });

  it('refuses a system object given to initSystem with a message that says so (regression: "holds the state of another class, not of query")', async () => {
    const shop = initSystem(new Shop(), freshBasedir());
    const message = expectCode(() => initSystem(shop as never, freshBasedir()), 'INVALID_OPTION');
    expect(message).toContain('this is a system object initSystem returned');
    await shop.close();
    expectCode(() => initSystem(shop as never, freshBasedir()), 'INVALID_OPTION');
  });

  it('runs toString, toJSON and valueOf as queries, never journaled (regression: logging the object wrote and fsynced an action each time)', async () => {
    const dir = freshBasedir();
    const shop = initSystem(new Shop(), { basedir: dir, durability: 'always' });
    shop.add('a');
    expect(`${shop}`).toBe('Shop(1)');
    expect(JSON.stringify({ shop })).toBe('{"shop":{"items":["a"]}}');
    expectCode(() => +shop, 'READONLY_VIOLATION');
    expect(shop.views).toBe(0);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['add']);
    await shop.close();
  });

  it("runs those hooks and symbol-keyed methods on the read-only view in 'none' isolation too, refusing a change with a message that says why (regression (own-fix review): 'none' ran them on the raw state, unjournaled)", async () => {
    const bump = Symbol('bump');
    class Log {
      shown = 0;
      toString(): string {
        this.shown++;
        return 'log';
      }
      [bump](): void {
        this.shown++;
      }
    }
    const dir = freshBasedir();
    const log = initSystem(new Log(), { basedir: dir, isolation: 'none' });
    expect(expectCode(() => `${log}`, 'READONLY_VIOLATION')).toContain(
      'toString() is called by the language itself',
    );
    expect(expectCode(() => log[bump](), 'READONLY_VIOLATION')).toContain('has a symbol key');
    expect(log.shown).toBe(0);
    expect(journalRecords(dir)).toHaveLength(0);
    await log.close();
  });

  it('gives the class as `constructor` even when an action stored a field of that name (regression (own-fix review): the raw field, writable behind the journal)', async () => {
    class Dict {
      set(key: string, value: number): void {
        (this as unknown as Record<string, unknown>)[key] = { value };
      }
    }
    const dict = initSystem(new Dict(), freshBasedir());
    dict.set('constructor', 1);
    expect(dict.constructor).toBe(Dict);
    await dict.close();
  });

  it("closes a query's generator on an early break in 'clone' isolation, and copies what an async iterator yields (regression (own-fix review): no return(), so its finally never ran; an async iterator was refused as an unregistered class)", async () => {
    const closed: string[] = [];
    class Bag {
      items = [{ n: 1 }, { n: 2 }, { n: 3 }];
      @readonly
      *each(): Generator<{ n: number }> {
        try {
          yield* this.items;
        } finally {
          closed.push('closed');
        }
      }
      @readonly
      async *eachLater(): AsyncGenerator<{ n: number }> {
        for (const item of this.items) yield item;
      }
    }
    const bag = initSystem(new Bag(), { basedir: freshBasedir(), isolation: 'clone' });
    for (const item of bag.each()) {
      expect(item.n).toBe(1);
      break;
    }
    expect(closed).toEqual(['closed']);
    const seen: number[] = [];
    for await (const item of bag.eachLater()) {
      (item as { n: number }).n += 10; // a copy: the state is unchanged
      seen.push(item.n);
    }
    expect(seen).toEqual([11, 12, 13]);
    expect(bag.items.map((i) => i.n)).toEqual([1, 2, 3]);
    await bag.close();
  });
});
