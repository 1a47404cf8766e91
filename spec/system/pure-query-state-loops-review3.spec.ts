import { initSystem, readonly, type Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * Third review of the loops over a value of the state (64e4da7..4c39c71).
 *
 * An action may store a function in a non-enumerable property (see
 * stateShape.ownFunctionSeen). A function is an object: it may carry a
 * Symbol.iterator of its own (a static one, for a class), the program's
 * code, which no scan sees (hasForeignIterator looks at prototypes,
 * hasIterableClass at the registered classes and the scanned prototypes'
 * constructors, stateIterationIsBuiltIn at the built-ins). The guard asks
 * ownFunctionSeen only of a read that calls get or has, so
 * `for (const x of this.hidden)` runs that iterator in the raw run, and
 * again when the read then goes the views' way (a state object met for the
 * first time): what it does happens twice, here an action it calls is
 * journaled twice. In a file of its own: once the fix is in, the stored
 * function turns the state loops off for the process.
 */

const opened = closedAfterEach();

/** What the stored function's iterator was called with, and the system it calls an action on. */
const calls: unknown[] = [];
let system: Prevalent<Drawer> | undefined;

/** Stored by an action in a non-enumerable property; iterable through a Symbol.iterator of its own. */
function tagged(): void {}
Object.defineProperty(tagged, Symbol.iterator, {
  value: function* (this: unknown): Iterator<string> {
    calls.push(this);
    if (system !== undefined) system.note('iterated');
    yield 'b';
  },
});

/** A class stored the same way, with a static Symbol.iterator. */
class Tags {
  static *[Symbol.iterator](): Iterator<string> {
    calls.push(this);
    if (system !== undefined) system.note('iterated');
    yield 'b';
  }
}

class Drawer {
  declare hidden: unknown;
  list = [{ id: 'a' }, { id: 'b' }];
  notes: string[] = [];
  /** Module-level functions, named by a string: an action's arguments are data. */
  hide(which: 'function' | 'class'): void {
    const fn = which === 'class' ? Tags : tagged;
    Object.defineProperty(this, 'hidden', { value: fn, configurable: true, writable: true });
  }
  note(what: string): void {
    this.notes.push(what);
  }
  /** A pure read: the loops over `this.hidden` and `this.list` may run raw. */
  @readonly byHidden(): unknown {
    for (const id of this.hidden as Iterable<string>)
      for (const p of this.list) if (p.id === id) return p;
    return undefined;
  }
}

describe('a loop over a function an action stored (its own Symbol.iterator)', () => {
  beforeEach(() => {
    calls.length = 0;
    system = undefined;
  });

  it('runs the function’s iterator once per call, as the views do (first read of the object found)', () => {
    const sys = opened(initSystem(Drawer, { basedir: freshBasedir() }));
    sys.hide('function');
    expect(sys.byHidden()).toBe(sys.list[1]);
    expect(calls).toEqual([tagged]);
  });

  it('runs a stored class’s static iterator once per call', () => {
    const sys = opened(initSystem(Drawer, { basedir: freshBasedir() }));
    sys.hide('class');
    expect(sys.byHidden()).toBe(sys.list[1]);
    expect(calls).toEqual([Tags]);
  });

  it('does not journal an action the iterator calls twice', async () => {
    const dir = freshBasedir();
    const sys = opened(initSystem(Drawer, { basedir: dir }));
    sys.hide('function');
    system = sys;
    sys.byHidden();
    expect([...sys.notes]).toEqual(['iterated']);
    system = undefined;
    await sys.close();
    // The stored function is in a non-enumerable property: the restart does not keep it.
    const again = opened(initSystem(Drawer, { basedir: dir }));
    expect([...again.notes]).toEqual(['iterated']);
  });
});
