import { abortOnException, readonly, unlocked } from '../../lib';
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
