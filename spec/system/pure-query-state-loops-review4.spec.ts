import { initSystem, readonly, type Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { Plain, ranRaw } from '../support/state-loops';

/**
 * Fourth review of the loops over a value of the state (lifecycle and
 * interplay): several systems in one process.
 *
 * storedPrototypes is process-wide: the prototype of everything any
 * system's actions stored or initial state held, registered classes' too.
 * Every system's guard scans all of them, and hasForeignIterator counts a
 * Symbol.iterator on any of them (own or inherited) as foreign. So one
 * system whose state holds an instance of an iterable class (its own
 * `options.classes`, which no other system registers) turns the state loops
 * off in every other system of the process, for good (closing it changes
 * nothing), though no other system can hold such an instance: an action
 * storing one is refused as an unregistered class's, and a snapshot cannot
 * decode one. Not a soundness defect: a speed one (the loop then runs on the
 * views, 3x slower at 100 elements, and makes a view per element). In a file
 * of its own: the class stays in storedPrototypes for the process. Left open
 * (it.failing; README, Not seen): the fix is a set of stored prototypes per
 * system, which the storage walks would have to be told.
 */

const opened = closedAfterEach();

/** Registered by the second system only. */
class Bag {
  items = ['b'];
  *[Symbol.iterator](): Iterator<string> {
    yield* this.items;
  }
}

class Shelf {
  bag = new Bag();
  @readonly inBag(): string[] {
    const out = [];
    for (const x of this.bag) out.push(x);
    return out;
  }
}

describe('state loops of one system, with another system’s iterable class in the process', () => {
  it.failing('stay raw in a system that does not register the class', async () => {
    const a: Prevalent<Plain> = opened(initSystem(Plain, freshBasedir()));
    expect(ranRaw(() => a.byId('b'))).toBe(true);
    const b = initSystem(Shelf, { basedir: freshBasedir(), classes: [Bag] });
    expect(b.inBag()).toEqual(['b']);
    expect(ranRaw(() => b.inBag())).toBe(false); // its own loops go the views' way, as they must
    expect(ranRaw(() => a.byId('b'))).toBe(true);
    await b.close();
    expect(ranRaw(() => a.byId('b'))).toBe(true);
    expect(a.byId('b')).toBe(a.list[1]);
  });
});
