import { initSystem, persistent, readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * Review of 64e4da7 (pure reads looping over a value of the state). A
 * registered class's prototype may hold (own or inherited) one of the
 * built-ins' own Symbol.iterator functions, which hasForeignIterator lets
 * pass: Array.prototype.values (an array-like class), %IteratorPrototype%'s
 * (a class that is its own iterator, its prototype below
 * %IteratorPrototype% as `extends Iterator` makes it), String.prototype's.
 * Each runs code of the program's with the raw object as `this`: a `length`
 * or index getter, a `next()`, a `toString()`. None of those names is one
 * the loop's source reads, so the name check does not see them.
 */

const opened = closedAfterEach();

/** The objects the program's code below was given as `this`. */
const seen: unknown[] = [];
const ITERATOR_PROTOTYPE = Object.getPrototypeOf(
  Object.getPrototypeOf([][Symbol.iterator]()),
) as object;

/** Array-like: iterated by Array.prototype.values, which reads `length` and the indexes. */
@persistent('ReviewLoopRow')
class Row {
  declare [Symbol.iterator]: () => Iterator<string>;
  0 = 'x';
  1 = 'y';
  get length(): number {
    seen.push(this);
    return 2;
  }
}
Object.defineProperty(Row.prototype, Symbol.iterator, {
  value: Array.prototype[Symbol.iterator],
  configurable: true,
  writable: true,
});

/** Its own iterator: %IteratorPrototype%[Symbol.iterator] returns it, and the loop calls its next(). */
@persistent('ReviewLoopCountdown')
class Countdown {
  declare [Symbol.iterator]: () => Iterator<number>;
  n = 3;
  next(): IteratorResult<number> {
    seen.push(this);
    return this.n > 0 ? { value: this.n--, done: false } : { value: undefined, done: true };
  }
}
Object.setPrototypeOf(Countdown.prototype, ITERATOR_PROTOTYPE);

/** Iterated as its string: String.prototype[Symbol.iterator] converts `this`, calling toString(). */
@persistent('ReviewLoopTag')
class Tag {
  declare [Symbol.iterator]: () => Iterator<string>;
  name = 'ab';
  toString(): string {
    seen.push(this);
    return this.name;
  }
}
Object.defineProperty(Tag.prototype, Symbol.iterator, {
  value: String.prototype[Symbol.iterator],
  configurable: true,
  writable: true,
});

class Shop {
  row = new Row();
  countdown = new Countdown();
  tag = new Tag();
  @readonly rowItems(): unknown[] {
    const out = [];
    for (const x of this.row) out.push(x);
    return out;
  }
  @readonly counted(): unknown[] {
    const out = [];
    for (const x of this.countdown) out.push(x);
    return out;
  }
  @readonly chars(): unknown[] {
    const out = [];
    for (const c of this.tag) out.push(c);
    return out;
  }
}

const classes = [Row, Countdown, Tag];

function shop() {
  return opened(initSystem(Shop, { basedir: freshBasedir(), classes }));
}

describe('a loop over a state value whose class holds a built-in Symbol.iterator', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('gives an array-like’s `length` getter (Array.prototype.values) no raw state object', () => {
    const sys = shop();
    expect(sys.rowItems()).toEqual(['x', 'y']);
    expect(sys.rowItems()).toEqual(['x', 'y']);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((o) => !isView(o))).toEqual([]);
  });

  it('gives a toString() (String.prototype[Symbol.iterator]) no raw state object', () => {
    const sys = shop();
    expect(sys.chars()).toEqual(['a', 'b']);
    expect(sys.chars()).toEqual(['a', 'b']);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((o) => !isView(o))).toEqual([]);
  });

  it('does not run an own-iterator class’s next() on the raw state (%IteratorPrototype%[Symbol.iterator]): no unjournaled change, the views’ refusal', async () => {
    const sys = shop();
    const before = pureQueryStats.rawRuns;
    // On the views next() gets the view: its this.n-- is refused.
    expect(() => sys.counted()).toThrow(/READONLY_VIOLATION/);
    expect(pureQueryStats.rawRuns).toBe(before);
    expect(seen.filter((o) => !isView(o))).toEqual([]);
    expect(sys.countdown.n).toBe(3);
    const dir = sys.basedirAbspath();
    await sys.close();
    const again = opened(initSystem(Shop, { basedir: dir, classes }));
    expect(again.countdown.n).toBe(3);
  });
});
