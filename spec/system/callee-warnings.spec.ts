import { initSystem, readonly } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * The determinism check reads an action's own source: a static helper, a
 * @readonly method or a getter the action calls ran Math.random() or
 * Date.now() unseen, and a restart gave other ids than the live run
 * (the new-user review: place() calling Shop.stamp() stored '9p5n97' live
 * and '5asgpe' after a restart). initSystem now warns, naming the action and
 * what it reaches (advice: the same code may serve queries).
 */

class Order {
  constructor(
    public id: string,
    public at: number,
  ) {}
}

class Shop {
  orders: Record<string, Order> = {};

  static stamp(): string {
    return Math.random().toString(36).slice(2, 8);
  }

  static label(id: string): string {
    return `order ${id}`;
  }

  @readonly
  clockTime(): number {
    return Date.now();
  }

  get today(): string {
    return new Date().toISOString().slice(0, 10);
  }

  place(): string {
    const id = Shop.stamp();
    this.orders[id] = new Order(id, 0);
    return id;
  }

  placeAt(): void {
    this.orders['t'] = new Order(Shop.label('t'), this.clockTime());
  }

  placeToday(): void {
    this.orders[this.today] = new Order(this.today, 0);
  }

  placeThroughConstructor(): void {
    const cls = this.constructor as typeof Shop;
    this.orders['c'] = new Order(cls.stamp(), 0);
  }

  @readonly
  count(): number {
    return Object.keys(this.orders).length + Shop.stamp().length * 0;
  }
}

function warningsOf(domain: new () => object): string[] {
  const warnings: string[] = [];
  const sys = initSystem(domain, { basedir: freshBasedir(), onWarning: (w) => warnings.push(w) });
  void sys.close();
  return warnings;
}

describe('initSystem warns about time or randomness an action reaches', () => {
  const warnings = warningsOf(Shop);

  it('through a static method of the class, by its name', () => {
    const found = warnings.filter((w) => w.startsWith('Shop.place reaches Shop.stamp'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/\(a static method\), which calls Math\.random\(\)/);
    expect(found[0]).toMatch(/replay would see a different value/);
    expect(found[0]).toMatch(/this\._clock/);
  });

  it('through a @readonly method and a getter called on this', () => {
    expect(
      warnings.some((w) =>
        /^Shop\.placeAt reaches this\.clockTime \(a @readonly method\), which calls Date\.now\(\)/.test(
          w,
        ),
      ),
    ).toBe(true);
    expect(
      warnings.some((w) =>
        /^Shop\.placeToday reaches this\.today \(a getter\), which calls new Date\(\)/.test(w),
      ),
    ).toBe(true);
  });

  it('not through a deterministic static, nor from a query, nor through this.constructor read into a variable', () => {
    expect(warnings.some((w) => w.includes('Shop.label'))).toBe(false);
    expect(warnings.some((w) => w.startsWith('Shop.count'))).toBe(false);
    // An alias is not followed (the source is read, not run).
    expect(warnings.some((w) => w.startsWith('Shop.placeThroughConstructor'))).toBe(false);
  });

  it('through this.constructor', () => {
    class Ticket {
      ids: string[] = [];
      static draw(): number {
        return Math.random();
      }
      add(): void {
        this.ids.push(String((this.constructor as typeof Ticket).draw()));
      }
    }
    expect(warningsOf(Ticket)).toContainEqual(
      expect.stringMatching(
        /^Ticket\.add reaches this\.constructor\.draw \(a static method\), which calls Math\.random\(\)/,
      ),
    );
  });

  it('not through a getter the action only assigns, which runs its setter (this.x = v), but through one it reads (this.x += 1)', () => {
    // Regression: `this.elapsed = 0` was said to reach the getter `elapsed`, which it never runs.
    class Timer {
      started = 0;
      get elapsed(): number {
        return Date.now() - this.started;
      }
      set elapsed(ms: number) {
        this.started = ms;
      }
      reset(): void {
        this.elapsed = 0;
      }
      nudge(): void {
        this.elapsed += 1;
      }
    }
    const found = warningsOf(Timer);
    expect(found.some((w) => w.startsWith('Timer.reset'))).toBe(false);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^Timer\.nudge reaches this\.elapsed \(a getter\), which calls Date\.now\(\)/,
      ),
    );
  });

  it('not through `this` inside a function or method the action defines, whose `this` is another object', () => {
    // Regression: `this.today` in an object literal's method was said to reach the class's getter.
    class Diary {
      lines: string[] = [];
      get today(): string {
        return new Date().toISOString();
      }
      write(): void {
        const entry = {
          today: 'draft',
          label(): string {
            return this.today;
          },
        };
        this.lines.push(entry.label());
      }
      writeEach(): void {
        const lines = this.lines;
        ['a'].forEach(
          function (this: { today: string }) {
            lines.push(this.today);
          },
          { today: 'x' },
        );
      }
      writeNow(): void {
        ['a'].forEach(() => this.lines.push(this.today));
      }
    }
    const found = warningsOf(Diary);
    expect(found.some((w) => w.startsWith('Diary.write '))).toBe(false);
    expect(found.some((w) => w.startsWith('Diary.writeEach'))).toBe(false);
    // An arrow function's `this` is the action's.
    expect(found).toContainEqual(expect.stringMatching(/^Diary\.writeNow reaches this\.today/));
  });
});
