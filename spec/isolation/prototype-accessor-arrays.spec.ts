import { initSystem } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { rawAmong, rawObjectsOf, withIndexAccessors } from '../support/index-accessors';

/**
 * The library's own arrays that hold raw state objects (the undo log's
 * slots, the undo entries' saved elements, the walks' stacks) must not run
 * an accessor the program put at an index of Array.prototype or
 * Object.prototype: a write at a missing index (push) runs its setter with
 * the value and the array, a read of one its getter with the array. The
 * audit after session 24 found the undo log handing every action's undo
 * entries (each holding the raw object changed) to such a setter.
 */

const opened = closedAfterEach();

interface Rec {
  id: string;
}

class Shop {
  list: Rec[] = [{ id: 'l0' }, { id: 'l1' }, { id: 'l2' }];
  byName: Record<string, Rec> = { a: { id: 'a' }, b: { id: 'b' } };
  map = new Map<string, Rec>([
    ['m', { id: 'm' }],
    ['n', { id: 'n' }],
  ]);
  set = new Set<Rec>([{ id: 's' }, { id: 't' }]);

  add(): void {
    this.list.push({ id: 'new' });
  }
  dropKey(): void {
    delete this.byName['a'];
  }
  dropEntry(): void {
    this.map.delete('m');
  }
  clearMembers(): void {
    this.set.clear();
  }
  truncate(): void {
    this.list.length = 1;
  }
  nest(): void {
    (this.byName as Record<string, unknown>)['nest'] = { refs: [this.list[0], this.map.get('m')] };
  }
  failAfter(change: 'dropKey' | 'truncate' | 'clearMembers'): void {
    this[change]();
    throw new Error('refused');
  }
}

type Sys = ReturnType<typeof open>;
const open = () => opened(initSystem(Shop, freshBasedir()));
const stateOf = (sys: Sys): Set<object> => rawObjectsOf(sys.list, sys.byName, sys.map, sys.set);

/**
 * The raw state objects index accessors got while `op` ran on a new system:
 * those the state held before (what an action creates and stores is its
 * own: a setter its `push` runs through a tracking proxy may get it, as in
 * plain JavaScript).
 */
function leakedBy(op: (sys: Sys) => unknown): unknown[] {
  const sys = open();
  const before = stateOf(sys);
  const given = withIndexAccessors(() => {
    try {
      op(sys);
    } catch (err) {
      if ((err as Error).message !== 'refused') throw err;
    }
  });
  return rawAmong(given, before);
}

describe('index accessors on Array.prototype and Object.prototype get no raw state object', () => {
  it('from the undo entry of an action deleting a key', () => {
    expect(leakedBy((s) => s.dropKey())).toEqual([]);
  });
  it('from the undo entries of an action deleting a Map entry', () => {
    expect(leakedBy((s) => s.dropEntry())).toEqual([]);
  });
  it('from the saved members of an action clearing a Set', () => {
    expect(leakedBy((s) => s.clearMembers())).toEqual([]);
  });
  it('from the place of a new record an action stores', () => {
    expect(leakedBy((s) => s.add())).toEqual([]);
  });
  it('from the elements saved when an action shrinks an array', () => {
    expect(leakedBy((s) => s.truncate())).toEqual([]);
  });
  it('from the walk of a new value holding state objects', () => {
    expect(leakedBy((s) => s.nest())).toEqual([]);
  });
  it('from the rollback of a failed action', () => {
    expect(leakedBy((s) => s.failAfter('dropKey'))).toEqual([]);
    expect(leakedBy((s) => s.failAfter('truncate'))).toEqual([]);
    expect(leakedBy((s) => s.failAfter('clearMembers'))).toEqual([]);
  });
});
