import { abortOnException, initSystem, readonly, unlocked } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { codeOf } from '../isolation/helpers';

/*
 * Compile-time checks (npm run typecheck): the decorators' type accepted a
 * getter or a setter (TypeScript takes a decorator of one parameter anywhere,
 * and the one-argument form is there for plain JavaScript), which throws
 * INVALID_OPTION where the class is defined. The class bodies are built only
 * inside the tests, so the refusals run there.
 */

describe('method decorators (types)', () => {
  it('refuse a getter or a setter at compile time, as at run time', () => {
    expect(
      codeOf(
        () =>
          class {
            x = 1;
            // @ts-expect-error a getter is no method (regression (typing review): it compiled)
            @readonly get g(): number {
              return this.x;
            }
          },
      ),
    ).toBe('INVALID_OPTION');
    expect(
      codeOf(
        () =>
          class {
            x = 1;
            // @ts-expect-error nor is a setter
            @unlocked set s(v: number) {
              this.x = v;
            }
          },
      ),
    ).toBe('INVALID_OPTION');
  });

  it('refuse a static method, which the system object never calls (regression (types review): accepted, with no effect)', () => {
    expect(() => {
      class Catalog {
        @readonly static describe(): string {
          return 'catalog';
        }
      }
      return Catalog;
    }).toThrow(/INVALID_OPTION: @readonly marks instance methods.*describe is static/);
  });

  it('say "an accessor" and name it (regression (types review): "not a accessor")', () => {
    const message = (() => {
      try {
        class Gauge {
          // @ts-expect-error an auto-accessor is no method
          @readonly accessor level = 1;
        }
        return String(Gauge);
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toBe(
      'INVALID_OPTION: @readonly can only decorate methods, not an accessor (level)',
    );
  });

  it('take a method declaring its `this` (regression (types review): standard decorators refused it, as the context typed `this` unknown)', async () => {
    class Bank {
      balance = 0;
      @readonly total(this: Bank): number {
        return this.balance;
      }
      @abortOnException
      @unlocked
      deposit(this: Bank, amount: number): void {
        this.balance += amount;
      }
      @readonly self(this: this): this {
        return this;
      }
    }
    const bank = initSystem(Bank, { basedir: freshBasedir(), durability: 'none' });
    bank.deposit(5);
    expect([bank.total(), bank.self().balance]).toEqual([5, 5]);
    await bank.close();
  });

  it('still take methods, stacked, and the method alone (plain JavaScript)', () => {
    class Shop {
      n = 0;
      @abortOnException
      @unlocked
      add(k: number): void {
        this.n += k;
      }
      @readonly
      count(): number {
        return this.n;
      }
    }
    expect(codeOf(() => readonly(Shop.prototype.count))).toBeUndefined();
    expect(codeOf(() => unlocked(Shop.prototype.add))).toBeUndefined();
  });
});

describe('an override of a decorated method without its decorators', () => {
  it('is warned about at open, once per class: it runs as an action, or without its rollback (regression (types review): silently)', async () => {
    class Pricing {
      prices = new Map<string, number>();
      @readonly price(id: string): number {
        return this.prices.get(id) ?? 0;
      }
      @abortOnException setPrice(id: string, value: number): void {
        this.prices.set(id, value);
        if (value < 0) throw new Error('negative');
      }
    }
    class Discounted extends Pricing {
      override price(id: string): number {
        return super.price(id) * 0.9;
      }
      override setPrice(id: string, value: number): void {
        super.setPrice(id, value);
      }
    }
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    const sys = initSystem(Discounted, { basedir: freshBasedir(), durability: 'none', onWarning });
    expect(warnings).toEqual([
      expect.stringContaining(
        'Discounted.price() overrides Pricing.price(), which is @readonly, without it',
      ),
      expect.stringContaining(
        'Discounted.setPrice() overrides Pricing.setPrice(), which is @abortOnException, without it',
      ),
    ]);
    await sys.close();
    const again = initSystem(Discounted, {
      basedir: freshBasedir(),
      durability: 'none',
      onWarning,
    });
    expect(warnings).toHaveLength(2);
    await again.close();
  });
});
