import { initSystem, readonly, type Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * Second review of the loops over a value of the state (64e4da7..b230a83).
 *
 * hasForeignIterator looks at prototypes only. A loop may go over a class
 * reached through `constructor` (`for (const x of this.constructor)`), whose
 * static Symbol.iterator is the program's code: the raw run calls it, and
 * when the raw result then needs the views (a state object met for the first
 * time, an entry), the views' run calls it again, so whatever it does happens
 * twice where a query on the views does it once (here: an action it calls is
 * journaled twice).
 */

const opened = closedAfterEach();

/** What the static iterator was called with, and the system it calls an action on. */
const calls: unknown[] = [];
let system: Prevalent<Shelf> | undefined;

class Shelf {
  static *[Symbol.iterator](): Iterator<string> {
    calls.push(this);
    if (system !== undefined) system.note('iterated');
    yield 'b';
  }
  list = [{ id: 'a' }, { id: 'b' }];
  notes: string[] = [];
  note(what: string): void {
    this.notes.push(what);
  }
  /** A pure read: the loops over `this.constructor` and `this.list` run raw. */
  @readonly byStaticIds(): unknown {
    for (const id of this.constructor as unknown as Iterable<string>)
      for (const p of this.list) if (p.id === id) return p;
    return undefined;
  }
}

describe('a loop over a class reached through `constructor` (its static Symbol.iterator)', () => {
  beforeEach(() => {
    calls.length = 0;
    system = undefined;
  });

  it('runs the static iterator once per call, as the views do (first read of the object found)', () => {
    const sys = opened(initSystem(Shelf, { basedir: freshBasedir() }));
    expect(sys.byStaticIds()).toBe(sys.list[1]);
    expect(calls.length).toBe(1);
    calls.length = 0;
    expect(sys.byStaticIds()).toBe(sys.list[1]);
    expect(calls.length).toBe(1);
  });

  it('does not journal an action the static iterator calls twice', async () => {
    const dir = freshBasedir();
    const sys = opened(initSystem(Shelf, { basedir: dir }));
    system = sys;
    sys.byStaticIds();
    expect([...sys.notes]).toEqual(['iterated']);
    system = undefined;
    await sys.close();
    const again = opened(initSystem(Shelf, { basedir: dir }));
    expect([...again.notes]).toEqual(['iterated']);
  });
});
