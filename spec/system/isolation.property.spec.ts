import fc from 'fast-check';
import { initSystem, isPrevalenceError, persistent, readonly } from '../../lib';
import { firstDifference } from '../../lib/codec/equal';
import { freshBasedir } from '../support/tmp';

@persistent('IsoItem')
class Item {
  tags: string[] = [];
  links: Item[] = [];
  constructor(public name: string) {}
}

/** A domain without a clock, so a plain instance is an exact reference model. */
class Catalog {
  items = new Map<string, Item>();
  notes: Record<string, number> = {};

  add(key: string): void {
    if (!this.items.has(key)) this.items.set(key, new Item(key));
  }
  tag(key: string, tag: string): void {
    this.items.get(key)?.tags.push(tag);
  }
  link(from: Item, to: Item): void {
    from.links.push(to);
  }
  remove(key: string): void {
    this.items.delete(key);
  }
  note(key: string, n: number): void {
    this.notes[key] = n;
  }
  @readonly
  get(key: string): Item | undefined {
    return this.items.get(key);
  }
}

const key = fc.constantFrom('a', 'b', 'c');
const step = fc.oneof(
  fc.record({ op: fc.constant('add' as const), key }),
  fc.record({ op: fc.constant('tag' as const), key, tag: fc.string({ maxLength: 3 }) }),
  fc.record({ op: fc.constant('link' as const), from: key, to: key }),
  fc.record({ op: fc.constant('remove' as const), key }),
  fc.record({ op: fc.constant('note' as const), key, n: fc.integer() }),
  fc.record({ op: fc.constant('query' as const), key }),
  fc.record({
    op: fc.constant('mutateOutside' as const),
    key,
    how: fc.constantFrom('assign', 'push', 'mapSet', 'mapDelete', 'deleteNote', 'linkPush'),
  }),
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

type Sys = ReturnType<typeof initSystem<Catalog>>;

/** Tries to change the state from outside; every attempt must throw READONLY_VIOLATION. */
function mutateOutside(sys: Sys, s: Extract<Step, { op: 'mutateOutside' }>): void {
  const item = sys.get(s.key) as unknown as Item | undefined;
  const attempts: Record<typeof s.how, () => void> = {
    assign: () => item && (item.name = 'changed'),
    push: () => item?.tags.push('sneaky'),
    mapSet: () => (sys.items as unknown as Map<string, Item>).set('zz', new Item('zz')),
    mapDelete: () => (sys.items as unknown as Map<string, Item>).delete(s.key),
    deleteNote: () => delete (sys.notes as Record<string, number>)[s.key],
    linkPush: () => item?.links.push(item),
  };
  try {
    attempts[s.how]();
  } catch (err) {
    if (!isPrevalenceError(err, 'READONLY_VIOLATION')) throw err;
    return;
  }
  if (item !== undefined || !['assign', 'push', 'linkPush'].includes(s.how)) {
    throw new Error(`an outside mutation (${s.how}) did not throw`);
  }
}

function run(sys: Sys, model: Catalog, s: Step): void {
  switch (s.op) {
    case 'add':
    case 'remove':
      sys[s.op](s.key);
      return model[s.op](s.key);
    case 'tag':
      sys.tag(s.key, s.tag);
      return model.tag(s.key, s.tag);
    case 'note':
      sys.note(s.key, s.n);
      return model.note(s.key, s.n);
    case 'link': {
      const from = sys.get(s.from);
      const to = sys.get(s.to);
      if (!from || !to) return;
      sys.link(from, to); // views passed back: the very objects are linked
      return model.link(model.items.get(s.from)!, model.items.get(s.to)!);
    }
    case 'query':
      expect(sys.get(s.key)?.name).toBe(model.get(s.key)?.name);
      return;
    case 'mutateOutside':
      return mutateOutside(sys, s);
  }
}

describe('isolation never lets a restart differ from the live state (property)', () => {
  it('random mixes of actions, queries, passed-back views and outside mutations restore to the reference model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const dir = freshBasedir();
        const sys = initSystem(new Catalog(), { basedir: dir, durability: 'none' });
        const model = new Catalog();
        for (const s of steps) run(sys, model, s);
        await sys.close();
        const again = initSystem(new Catalog(), { basedir: dir, isolation: 'none' });
        const diff = firstDifference(
          { items: again.items, notes: again.notes },
          { items: model.items, notes: model.notes },
        );
        await again.close();
        expect(diff).toBeUndefined();
      }),
      { numRuns: 80 },
    );
  });
});
