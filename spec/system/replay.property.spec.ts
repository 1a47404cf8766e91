import fc from 'fast-check';
import { abortOnException, initSystem, persistent, readonly } from '../../lib';
import type { Clock } from '../../lib';
import { firstDifference } from '../../lib/codec/equal';
import { freshBasedir } from '../support/tmp';

@persistent('PropNode')
class Node {
  children: Node[] = [];
  constructor(
    public label: string,
    public created: number,
  ) {}
}

class Board {
  nodes = new Map<string, Node>();
  order: string[] = [];
  meta: Record<string, unknown> = {};
  tags = new Set<string>();
  declare readonly _clock: Clock;

  add(key: string, label: string): void {
    if (this.nodes.has(key)) throw new Error(`duplicate ${key}`);
    this.nodes.set(key, new Node(label, this._clock.now().toMillis()));
    this.order.push(key);
  }

  link(parent: string, child: string): void {
    const p = this.nodes.get(parent);
    const c = this.nodes.get(child);
    if (!p || !c) throw new Error('missing node');
    p.children.push(c);
  }

  remove(key: string): void {
    this.nodes.delete(key);
    this.order = this.order.filter((k) => k !== key);
    delete this.meta[key];
  }

  setMeta(key: string, value: unknown): void {
    this.meta[key] = value;
  }

  @abortOnException
  renameAll(prefix: string, failAt: number): void {
    let i = 0;
    for (const node of this.nodes.values()) {
      if (i++ === failAt) throw new Error('abort midway');
      node.label = prefix + node.label;
    }
    this.tags.add(prefix);
  }

  shuffle(): void {
    this.order.sort(() => (this._clock.random() < 0.5 ? -1 : 1));
    this.tags.add(this._clock.uuid().slice(0, 8));
  }

  @readonly
  count(): number {
    return this.nodes.size;
  }
}

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const value = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 3 }),
);
const command = fc.oneof(
  fc.record({ op: fc.constant('add' as const), key, label: fc.string({ maxLength: 5 }) }),
  fc.record({ op: fc.constant('link' as const), parent: key, child: key }),
  fc.record({ op: fc.constant('remove' as const), key }),
  fc.record({ op: fc.constant('setMeta' as const), key, value }),
  fc.record({
    op: fc.constant('renameAll' as const),
    prefix: fc.string({ maxLength: 2 }),
    failAt: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({ op: fc.constant('shuffle' as const) }),
  fc.record({ op: fc.constant('snapshot' as const) }),
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

function apply(board: Board & { takeSnapshot(): string }, cmd: Command): void {
  try {
    switch (cmd.op) {
      case 'add':
        return board.add(cmd.key, cmd.label);
      case 'link':
        return board.link(cmd.parent, cmd.child);
      case 'remove':
        return board.remove(cmd.key);
      case 'setMeta':
        return board.setMeta(cmd.key, cmd.value);
      case 'renameAll':
        return board.renameAll(cmd.prefix, cmd.failAt);
      case 'shuffle':
        return board.shuffle();
      case 'snapshot':
        void board.takeSnapshot();
    }
  } catch {
    // failing actions are part of the test: they must replay the same way
  }
}

const stateOf = (b: Board) => ({ nodes: b.nodes, order: b.order, meta: b.meta, tags: b.tags });

describe('replay fidelity (property)', () => {
  it('random action sequences restore to a state identical to the live one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 25 }), async (commands) => {
        const dir = freshBasedir();
        const board = initSystem(new Board(), {
          basedir: dir,
          isolation: 'none',
          durability: 'none',
        });
        for (const cmd of commands) apply(board, cmd);
        const live = stateOf(board);
        await board.close();
        const again = initSystem(new Board(), { basedir: dir, isolation: 'none' });
        const diff = firstDifference(stateOf(again), live);
        await again.close();
        expect(diff).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });
});
