// Map deletes inside savepoints: a failing nested @abortOnException call puts
// back exactly what it changed, key order included, and so does a failing
// action; a restart replays to the same Map. The undo of a Map delete keeps
// the key order only (not every entry) since the cliff review: a 1M-entry Map
// copied all its entries on each action's first delete.
import fc from 'fast-check';
import { abortOnException, initSystem } from '../../lib';
import { freshBasedir } from '../support/tmp';

type MapOp =
  { op: 'set'; key: string; value: number } | { op: 'delete'; key: string } | { op: 'clear' };
type Step = MapOp | { op: 'inner'; steps: MapOp[]; fail: boolean };

class Store {
  m = new Map<string, number>();

  @abortOnException
  run(steps: Step[], fail: boolean): void {
    for (const step of steps) {
      if (step.op === 'inner') {
        try {
          this.inner(step.steps, step.fail);
        } catch {
          // the savepoint put back what inner changed
        }
      } else {
        applyOp(this.m, step);
      }
    }
    if (fail) throw new Error('refused');
  }

  @abortOnException
  inner(steps: MapOp[], fail: boolean): void {
    for (const step of steps) applyOp(this.m, step);
    if (fail) throw new Error('refused');
  }
}

function applyOp(m: Map<string, number>, step: MapOp): void {
  if (step.op === 'set') m.set(step.key, step.value);
  else if (step.op === 'delete') m.delete(step.key);
  else m.clear();
}

/** What the Map holds after `steps` in plain JavaScript, a failed call leaving nothing behind. */
function model(m: Map<string, number>, steps: Step[], fail: boolean): Map<string, number> {
  const out = new Map(m);
  for (const step of steps) {
    if (step.op !== 'inner') applyOp(out, step);
    else if (!step.fail) for (const s of step.steps) applyOp(out, s);
  }
  return fail ? new Map(m) : out;
}

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const mapOp: fc.Arbitrary<MapOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.nat(99) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: mapOp },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('inner' as const),
      steps: fc.array(mapOp, { maxLength: 6 }),
      fail: fc.boolean(),
    }),
  },
);
const call = fc.record({ steps: fc.array(step, { maxLength: 10 }), fail: fc.boolean() });

describe('Map deletes and savepoints (property-based)', () => {
  it('leave the Map as plain JavaScript would, order included, live and after a restart', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 6 }), async (calls) => {
        const dir = freshBasedir();
        const store = initSystem(new Store(), { basedir: dir, durability: 'none' });
        let expected = new Map<string, number>();
        for (const { steps, fail } of calls) {
          expected = model(expected, steps, fail);
          try {
            store.run(steps, fail);
          } catch {
            // a failing call: rolled back
          }
          expect([...store.m.entries()]).toEqual([...expected.entries()]);
        }
        await store.close();
        const again = initSystem(Store, { basedir: dir, durability: 'none' });
        expect([...again.m.entries()]).toEqual([...expected.entries()]);
        await again.close();
      }),
      { numRuns: 300 },
    );
  });
});

// A loop over a Map or Set whose body calls a savepoint that deletes from it and fails: the
// rollback adds the entries back at the end (a Map has no other way), and the loop's iterator met
// them again; one calling it for every entry never ended. The iterators of tracking proxies and
// views take up their place again after the last key they gave.
describe('a loop over a Map calling a savepoint that deletes and fails', () => {
  class Sweeper {
    byId = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    tags = new Set(['x', 'y', 'z']);
    visited: string[] = [];

    @abortOnException
    removeOrFail(key: string): void {
      this.byId.delete(key);
      this.tags.delete(key);
      throw new Error('kept');
    }

    @abortOnException
    clearOrFail(): void {
      this.byId.clear();
      this.tags.clear();
      throw new Error('kept');
    }

    sweep(how: 'for-of' | 'keys' | 'values' | 'forEach' | 'set' | 'set-forEach' | 'clear'): void {
      const visit = (key: string): void => {
        if (this.visited.length > 20) throw new Error('the loop does not end');
        this.visited.push(key);
        try {
          if (how === 'clear') this.clearOrFail();
          else this.removeOrFail(key);
        } catch {
          // kept
        }
      };
      if (how === 'for-of' || how === 'clear') for (const [key] of this.byId) visit(key);
      else if (how === 'keys') for (const key of this.byId.keys()) visit(key);
      else if (how === 'values') for (const n of this.byId.values()) visit('abc'[n - 1] as string);
      else if (how === 'forEach') this.byId.forEach((_n, key) => visit(key));
      else if (how === 'set') for (const tag of this.tags) visit(tag);
      else this.tags.forEach((tag) => visit(tag));
    }
  }

  it.each(['for-of', 'keys', 'values', 'forEach', 'clear'] as const)(
    'over a Map (%s) visits each entry once and leaves the Map as it was (it never ended)',
    async (how) => {
      const dir = freshBasedir();
      const s = initSystem(new Sweeper(), { basedir: dir, durability: 'none' });
      try {
        s.sweep(how);
        expect(s.visited).toEqual(['a', 'b', 'c']);
        expect([...s.byId]).toEqual([
          ['a', 1],
          ['b', 2],
          ['c', 3],
        ]);
      } finally {
        await s.close();
      }
      const again = initSystem(Sweeper, { basedir: dir, durability: 'none' });
      expect(again.visited).toEqual(['a', 'b', 'c']);
      await again.close();
    },
  );

  it.each(['set', 'set-forEach'] as const)(
    'over a Set (%s) visits each member once and leaves the Set as it was (it never ended)',
    async (how) => {
      const s = initSystem(new Sweeper(), { basedir: freshBasedir(), durability: 'none' });
      try {
        s.sweep(how);
        expect(s.visited).toEqual(['x', 'y', 'z']);
        expect([...s.tags]).toEqual(['x', 'y', 'z']);
      } finally {
        await s.close();
      }
    },
  );

  it("a caller's iterator of a view goes on after a failed action that deleted from the Map (it met the entries again)", async () => {
    const s = initSystem(new Sweeper(), { basedir: freshBasedir(), durability: 'none' });
    try {
      const seen: string[] = [];
      for (const [key] of s.byId) {
        seen.push(key);
        if (seen.length > 10) break;
        expect(() => s.clearOrFail()).toThrow('kept');
      }
      expect(seen).toEqual(['a', 'b', 'c']);
    } finally {
      await s.close();
    }
  });
});

// Regression (review of the fix): the iterator went on after the last key it had given that the
// Map still held; a loop that moved the current key to the end (delete, set) before a failing
// savepoint then skipped every entry it had not met. It goes on at the first entry not given.
describe('a loop that moves its current key to the end before a savepoint fails', () => {
  class Mover {
    m = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ]);
    visited: string[] = [];

    @abortOnException
    failDelete(k: string): void {
      this.m.delete(k);
      throw new Error('kept');
    }

    moveCurrent(): void {
      for (const [k] of this.m) {
        this.visited.push(k);
        if (this.visited.length > 10) break;
        if (k === 'b' && this.visited.filter((x) => x === 'b').length === 1) {
          this.m.delete('b');
          this.m.set('b', 2);
          try {
            this.failDelete('d');
          } catch {
            // kept
          }
        }
      }
    }
  }

  it('meets every entry it had not met, and the moved key again after them', async () => {
    const s = initSystem(new Mover(), { basedir: freshBasedir(), durability: 'none' });
    try {
      s.moveCurrent();
      // As plain JavaScript: the moved key comes again after the rest.
      expect(s.visited).toEqual(['a', 'b', 'c', 'd', 'b']);
    } finally {
      await s.close();
    }
  });
});

// Regression (review of the fix): forEach went through the collection's own `entries` (one an
// action defined, non-enumerable), which ran on the raw state; Map#forEach never calls it.
describe("a Map's forEach through a tracking proxy", () => {
  class Holder {
    m = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    defineEntries(): void {
      Object.defineProperty(this.m, 'entries', {
        value: function (this: Map<string, number>) {
          return [...Map.prototype.entries.call(this)].reverse()[Symbol.iterator]();
        },
        configurable: true,
      });
    }
    order(): string[] {
      const seen: string[] = [];
      this.m.forEach((_v, k) => seen.push(k));
      return seen;
    }
  }

  it("visits in the Map's own order, as Map#forEach does", async () => {
    const s = initSystem(new Holder(), { basedir: freshBasedir(), durability: 'none' });
    try {
      s.defineEntries();
      expect(s.order()).toEqual(['a', 'b']);
    } finally {
      await s.close();
    }
  });
});

type LoopOp =
  | { op: 'set'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'deleteCurrent' }
  | { op: 'clear' };
interface LoopBody {
  outer: LoopOp[];
  inner: LoopOp[];
  fail: boolean;
}

/** Runs `op` on a Map being iterated (`current` is the key the loop is at). */
function applyLoopOp(m: Map<string, number>, op: LoopOp, current: string, n: number): void {
  if (op.op === 'set') m.set(op.key, n);
  else if (op.op === 'delete') m.delete(op.key);
  else if (op.op === 'deleteCurrent') m.delete(current);
  else m.clear();
}

class Looper {
  m = new Map<string, number>();

  fill(keys: string[]): void {
    this.m.clear();
    keys.forEach((k, i) => this.m.set(k, i));
  }

  loop(bodies: LoopBody[]): string[] {
    const visited: string[] = [];
    for (const [key] of this.m) {
      const body = bodies[visited.length];
      visited.push(key);
      if (body === undefined || visited.length > 30) break;
      for (const op of body.outer) applyLoopOp(this.m, op, key, visited.length);
      try {
        this.inner(body, key, visited.length);
      } catch {
        // the savepoint put back what inner changed
      }
    }
    return visited;
  }

  @abortOnException
  inner(body: LoopBody, current: string, n: number): void {
    for (const op of body.inner) applyLoopOp(this.m, op, current, n + 100);
    if (body.fail) throw new Error('refused');
  }
}

/**
 * The loop in plain JavaScript, a failed savepoint leaving nothing behind;
 * `readded` when a key the loop had met was deleted and added again (plain
 * JavaScript meets it again; prevalent's iterator counts it as met, see README).
 */
function plainLoop(
  keys: string[],
  bodies: LoopBody[],
): { visited: string[]; m: Map<string, number>; readded: boolean } {
  const m = new Map(keys.map((k, i) => [k, i]));
  const visited: string[] = [];
  let readded = false;
  const apply = (op: LoopOp, current: string, n: number): void => {
    if (op.op === 'set' && visited.includes(op.key) && !m.has(op.key)) readded = true;
    applyLoopOp(m, op, current, n);
  };
  for (const [key] of m) {
    const body = bodies[visited.length];
    visited.push(key);
    if (body === undefined || visited.length > 30) break;
    for (const op of body.outer) apply(op, key, visited.length);
    if (!body.fail) for (const op of body.inner) apply(op, key, visited.length + 100);
  }
  return { visited, m, readded };
}

describe('a loop over a Map with savepoints in its body (property-based)', () => {
  const loopKey = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const loopOp: fc.Arbitrary<LoopOp> = fc.oneof(
    { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), key: loopKey }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key: loopKey }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('deleteCurrent' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const) }) },
  );
  const body: fc.Arbitrary<LoopBody> = fc.record({
    outer: fc.array(loopOp, { maxLength: 2 }),
    inner: fc.array(loopOp, { maxLength: 3 }),
    fail: fc.boolean(),
  });

  it('visits the keys plain JavaScript visits and leaves the same Map, live and after a restart', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(loopKey, { maxLength: 5 }),
        fc.array(body, { maxLength: 12 }),
        async (keys, bodies) => {
          const expected = plainLoop(keys, bodies);
          fc.pre(!expected.readded);
          const dir = freshBasedir();
          const s = initSystem(new Looper(), { basedir: dir, durability: 'none' });
          try {
            s.fill(keys);
            expect(s.loop(bodies)).toEqual(expected.visited);
            expect([...s.m]).toEqual([...expected.m]);
          } finally {
            await s.close();
          }
          const again = initSystem(Looper, { basedir: dir, durability: 'none' });
          expect([...again.m]).toEqual([...expected.m]);
          await again.close();
        },
      ),
      { numRuns: 400 },
    );
  });
});
