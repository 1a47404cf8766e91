import fc from 'fast-check';
import { initSystem, isPrevalenceError, persistent, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { stateShape, storedPrototypes } from '../../lib/isolation/registry';
import { freshBasedir } from '../support/tmp';

/** The source of a method `m` written as `body`, as a function pureReadOf can read. */
function method(params: string, body: string): unknown {
  return new Function(`return ({ m(${params}) { ${body} } }).m;`)();
}

describe('pureReadOf: which @readonly methods are pure reads', () => {
  it.each([
    ['id', 'return this.pages[id];'],
    ['id', 'return this.pages[id]?.parent?.title;'],
    ['', 'return this;'],
    ['', 'return this.count;'],
    ['a, b', "return a === b ? this.x['y'] : this.z[0];"],
    ['id', 'const page = this.pages[id]; if (page == null) return undefined; return page.title;'],
    ['id', 'let p = this.pages[id]; return p && p.parent;'],
    ['id', 'return id in this.pages;'],
    ['id', "return typeof this.pages[id] === 'object' && !this.closed;"],
    ['id', 'return this.a ?? this.b ?? null;'],
    ['', 'return void 0, 1n, true, "s";'],
    ['id', 'return this.items.get(id);'],
    ['id, t', 'return this.items.get(id)?.tags.has(t) ? 1 : 0;'],
    ['id', 'return this.items?.get(this.keys.get(id));'],
  ])('accepts (%s) { %s }', (params, body) => {
    expect(pureReadOf(method(params, body))).toBeDefined();
  });

  it.each([
    ['id', 'return this.pages.set(id, 1);', 'a call of a method that changes'],
    ['id', 'return this.pages.delete(id);', 'delete()'],
    ['id', 'return this.pages.values();', 'an iterator'],
    ['id', "return this.pages['get'](id);", 'a computed method name'],
    ['id', 'return this.pages.get(...id);', 'a spread argument'],
    ['id', 'return this.lookup(id);', 'a method of its own'],
    ['id', 'return this.pages.get(id)(1);', 'a call of what it got'],
    ['id', 'return this.pages.get(() => id);', 'a function argument'],
    ['id', 'return new Date();', 'new'],
    ['id', 'this.count = 1; return 0;', 'an assignment'],
    ['id', 'this.count++; return 0;', 'an update'],
    ['id', 'delete this.pages[id];', 'delete'],
    ['id', 'return `${this.pages[id]}`;', 'a template (toString)'],
    ['id', "return this.pages[id] + '';", '+ (valueOf)'],
    [
      'id',
      'return undefined.get(this.pages[id]);',
      'a look-up on the name undefined (a module may declare it)',
    ],
    ['id', 'return undefined?.x;', 'a read of the name undefined'],
    ['id', 'return this.a < this.b;', '< (valueOf)'],
    ['id', 'return this.a == this.b;', '== between objects'],
    ['id', 'return -this.a;', 'unary minus'],
    ['id', 'return [this.pages[id]];', 'an array literal'],
    ['id', 'return { page: this.pages[id] };', 'an object literal'],
    ['id', 'return () => this.pages[id];', 'an arrow function'],
    ['id', 'return this.pages[id] instanceof Object;', 'instanceof (Symbol.hasInstance)'],
    ['id', 'return /x/;', 'a RegExp literal'],
    ['id', 'return arguments[0];', 'arguments'],
    ['id', 'return window;', 'a global'],
    ['id', 'return this.pages[id + 1];', 'a computed key that is no parameter'],
    ['id', 'const k = this.key; return this.pages[k];', 'a local as a key'],
    ['id', '{ const id = this.key; return this.pages[id]; }', 'a local hiding a parameter'],
    ['{ id }', 'return this.pages[id];', 'a destructured parameter'],
    ['id = 1', 'return this.pages[id];', 'a default value'],
    ['...ids', 'return this.pages;', 'a rest parameter'],
    ['id', 'for (const k in this.pages) return k;', 'a loop'],
    ['id', 'var p = this.pages[id]; return p;', 'var'],
    ['id', '{ const p = this.pages[id]; } return p;', 'a name used after its block'],
    ['id', 'const { a } = this; return a;', 'destructuring (iterator or getter of a pattern)'],
    ['id', 'try { return this.pages[id]; } catch { return 1; }', 'try'],
    ['id', 'return this.pages[id], this.log.push(id);', 'a call in a sequence'],
  ])('refuses (%s) { %s }: %s', (params, body) => {
    expect(pureReadOf(method(params, body))).toBeUndefined();
  });

  it('refuses async, generator and arrow functions, natives and non-functions', () => {
    expect(pureReadOf(new Function('return (async function m(id) { return this.a; })')())).toBe(
      undefined,
    );
    expect(pureReadOf(new Function('return (function* m(id) { return this.a; })')())).toBe(
      undefined,
    );
    expect(pureReadOf(new Function('return (id) => this.a')())).toBeUndefined();
    expect(pureReadOf(Map.prototype.get)).toBeUndefined();
    expect(pureReadOf(Map.prototype.get.bind(new Map()))).toBeUndefined();
    expect(pureReadOf('return this.a')).toBeUndefined();
  });

  it('reads its names, key parameters and look-up calls', () => {
    const read = pureReadOf(
      method('a, b, c', "return this.pages[c]?.parent['title'] ?? b in this.m.has(a);"),
    );
    expect([...(read?.names ?? [])].sort()).toEqual(['has', 'm', 'pages', 'parent', 'title']);
    expect(read?.keyParams).toEqual([1, 2]);
    expect([...(read?.calls ?? [])]).toEqual(['has']);
  });
});

@persistent('PureNode')
class TreeNode {
  parent: TreeNode | undefined;
  hits = 0;
  constructor(public title: string) {}
  /** A getter that is a pure read itself: a query may read it on the raw state. */
  get label(): string {
    return this.title;
  }
  /** A getter that changes state: never run on the raw state. */
  get counted(): number {
    this.hits++;
    return this.hits;
  }
}

class Tree {
  nodes: Record<string, TreeNode> = {};
  byName = new Map<string, TreeNode>();
  box: Record<string, unknown> = {};
  list: TreeNode[] = [];
  sizes = new Map<string, number>();
  add(id: string, parentId?: string): TreeNode {
    const node = new TreeNode(id);
    if (parentId !== undefined) node.parent = this.nodes[parentId];
    this.nodes[id] = node;
    this.byName.set(id, node);
    this.list.push(node);
    return node;
  }
  /** Stores a fresh object holding a function in a slot snapshots skip, `depth` levels down. */
  storeHolderOfFunction(depth: number): void {
    const holder: Record<string, unknown> = {};
    let at = holder;
    for (let i = 0; i < depth; i++) at = (at['inner'] = {}) as Record<string, unknown>;
    Object.defineProperty(at, 'helper', { value: () => 1, configurable: true });
    this.box['holder'] = holder;
  }
  /** Stores a function (in a slot snapshots skip) under the name of a look-up method. */
  storeFunction(): void {
    Object.defineProperty(this.box, 'has', {
      value(this: Record<string, unknown>) {
        this['changed'] = true;
        return true;
      },
      configurable: true,
    });
  }
  link(child: TreeNode, parent: TreeNode): void {
    child.parent = parent;
  }
  /** Stores a fresh object that has an own getter: before it is stored, after, or below it. */
  storeWithGetter(id: string, when: 'before' | 'after' | 'nested'): void {
    const holder: Record<string, unknown> = {};
    const target = when === 'nested' ? (holder['inner'] = {}) : holder;
    const define = (): void => {
      Object.defineProperty(target, 'sneaky', { get: () => 1, configurable: true });
    };
    if (when !== 'after') define();
    (this.nodes[id] as unknown as Record<string, unknown>)['extra'] = holder;
    if (when === 'after') define();
  }
  hideGetter(id: string): void {
    Object.defineProperty(this.nodes[id], 'sneaky', {
      get(this: TreeNode) {
        this.hits = 1000;
        return 1;
      },
      enumerable: false,
      configurable: true,
    });
  }
  @readonly node(id: string): TreeNode | undefined {
    return this.nodes[id];
  }
  @readonly byNameOf(id: string): TreeNode | undefined {
    return this.byName.get(id);
  }
  @readonly hasName(id: string): boolean {
    return this.byName.has(id);
  }
  @readonly boxHas(key: string): boolean {
    return (this.box as unknown as Set<string>).has(key);
  }
  /** The same read with a call in it: always runs on the views (the reference). */
  @readonly nodeOnViews(id: string): TreeNode | undefined {
    void [].length;
    return this.nodes[id];
  }
  @readonly parentOf(id: string): TreeNode | undefined {
    const node = this.nodes[id];
    if (node == null) return undefined;
    return node.parent;
  }
  @readonly field(id: string, name: string): unknown {
    return (this.nodes[id] as unknown as Record<string, unknown>)[name];
  }
  @readonly labelOf(id: string): string | undefined {
    return this.nodes[id]?.label;
  }
  @readonly countedOf(id: string): number | undefined {
    return this.nodes[id]?.counted;
  }
  @readonly isNode(id: string, node: TreeNode): boolean {
    return this.nodes[id] === node;
  }
  @readonly first(): TreeNode | undefined {
    return this.list[0];
  }
  @readonly sizeOf(): number {
    return this.sizes.size;
  }
  @readonly me(): Tree {
    return this;
  }
  @readonly missing(id: string): string {
    return (this.nodes[id] as TreeNode).title;
  }
  @readonly sneakyOf(id: string): unknown {
    return (this.nodes[id] as unknown as Record<string, unknown>)['sneaky'];
  }
}

/** A class with a look-up method of its own, which changes state. */
class Registry {
  hits = 0;
  entries: Record<string, string> = {};
  get(key: string): string | undefined {
    this.hits++;
    return this.entries[key];
  }
}

/** A stored class whose `get` is native code that changes its object (Array.prototype.pop sets `length`). */
class Pile {
  items: string[] = [];
}
(Pile.prototype as unknown as { get: unknown }).get = Array.prototype.pop;

/** A domain whose stored class answers `get` with native code of another kind. */
class Yard {
  pile = new Pile();
  @readonly fromPile(): unknown {
    return (this.pile as unknown as Map<string, string>).get('x');
  }
}

/** A domain whose stored class has a look-up method of its own (registered for its systems only). */
class Office {
  registry = new Registry();

  @readonly registered(key: string): string | undefined {
    return this.registry.get(key);
  }
  /** A getter that only reads and calls a look-up, here the registry's own get(). */
  get firstEntry(): string | undefined {
    return this.registry.get('first');
  }
  @readonly first(): string | undefined {
    return this.firstEntry;
  }
}

const open: Array<Prevalent<Tree>> = [];
function openTree(dir = freshBasedir()): Prevalent<Tree> {
  const tree = initSystem(Tree, { basedir: dir, classes: [TreeNode] });
  open.push(tree);
  return tree;
}
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

/** How many pure reads ran on the raw state during `fn`. */
function rawRunsIn(fn: () => void): number {
  const before = pureQueryStats.rawRuns;
  fn();
  return pureQueryStats.rawRuns - before;
}

describe('pure reads on the raw state', () => {
  it('hand out the very view the read-only this gives, and run raw once the view exists', () => {
    const tree = openTree();
    tree.add('a');
    tree.add('b', 'a');
    // The first read of an object makes its view on the views' path (recording where it was found).
    const first = tree.node('a');
    expect(rawRunsIn(() => expect(tree.node('a')).toBe(first))).toBe(1);
    expect(tree.nodeOnViews('a')).toBe(first);
    expect(rawRunsIn(() => expect(tree.parentOf('b')).toBe(first))).toBe(1);
    expect(rawRunsIn(() => expect(tree.first()).toBe(first))).toBe(1);
    expect(rawRunsIn(() => expect(tree.me()).toBe(tree.me()))).toBe(2);
    expect(rawRunsIn(() => expect(tree.labelOf('a')).toBe('a'))).toBe(1);
    expect(rawRunsIn(() => expect(tree.sizeOf()).toBe(0))).toBe(1);
    expect(rawRunsIn(() => expect(tree.node('zz')).toBeUndefined())).toBe(1);
    expect(rawRunsIn(() => expect(tree.field('a', 'title')).toBe('a'))).toBe(1);
    expect(rawRunsIn(() => expect(tree.byNameOf('a')).toBe(first))).toBe(1);
    expect(rawRunsIn(() => expect(tree.hasName('b')).toBe(true))).toBe(1);
  });

  it("never call a look-up method of the domain's own on the raw state", async () => {
    const office = initSystem(Office, { basedir: freshBasedir(), classes: [Registry] });
    expect(() => office.registered('a')).toThrow(
      expect.objectContaining({ code: 'READONLY_VIOLATION' }),
    );
    // Nor through a getter that calls one.
    expect(() => office.first()).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
  });

  it('keep the view read-only and its place known: passed back, it is the object itself after a restart', async () => {
    const dir = freshBasedir();
    const tree = openTree(dir);
    tree.add('a');
    tree.add('b');
    tree.node('a');
    const a = tree.node('a') as TreeNode;
    expect(() => {
      (a as { title: string }).title = 'x';
    }).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
    tree.link(tree.node('b') as TreeNode, a);
    expect(tree.parentOf('b')).toBe(a);
    await tree.close();
    open.length = 0;
    const again = openTree(dir);
    expect(again.parentOf('b')).toBe(again.node('a'));
  });

  it('never call native code put under a look-up name on the raw state (regression: Array.prototype.pop as get counted as built-in)', async () => {
    const yard = initSystem(Yard, { basedir: freshBasedir(), classes: [Pile] });
    expect(() => yard.fromPile()).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
    await yard.close();
  });

  it('give what the views give when an argument is an object (a view compares equal only to views)', () => {
    const tree = openTree();
    tree.add('a');
    const a = tree.node('a') as TreeNode;
    expect(rawRunsIn(() => expect(tree.isNode('a', a)).toBe(true))).toBe(0);
  });

  it('give the error the views give when the read throws', () => {
    const tree = openTree();
    expect(() => tree.missing('zz')).toThrow(TypeError);
  });

  it("never run a getter that changes state on the raw state, named or by a parameter's value", () => {
    const tree = openTree();
    tree.add('a');
    tree.node('a');
    const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });
    expect(() => tree.countedOf('a')).toThrow(refused);
    expect(() => tree.field('a', 'counted')).toThrow(refused);
    // Other keys of the same query still run raw.
    expect(rawRunsIn(() => expect(tree.field('a', 'hits')).toBe(0))).toBe(1);
  });
});

describe('pure reads: property', () => {
  it('return the same values and views as the views path for any ids', () => {
    const tree = openTree();
    const before = pureQueryStats.rawRuns;
    const node = fc.constantFrom('a', 'b', 'c', 'd');
    const id = fc.constantFrom('a', 'b', 'c', 'd', 'title', 'parent', 'constructor', '__proto__');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(node, fc.option(node, { nil: undefined })), { maxLength: 8 }),
        fc.array(fc.tuple(id, id), { maxLength: 8 }),
        (adds, reads) => {
          for (const [child, parent] of adds) tree.add(child, parent);
          for (const [a, b] of reads) {
            expect(tree.node(a)).toBe(tree.nodeOnViews(a));
            expect(tree.parentOf(a)).toBe(tree.nodeOnViews(a)?.parent);
            const field = (): unknown => tree.field(a, b);
            let viaViews: unknown;
            try {
              viaViews = field();
            } catch (err) {
              expect(isPrevalenceError(err) || err instanceof TypeError).toBe(true);
              continue;
            }
            expect(field()).toBe(viaViews);
          }
        },
      ),
      { numRuns: 50 },
    );
    expect(pureQueryStats.rawRuns).toBeGreaterThan(before);
  });
});

describe('pure reads after an own getter', () => {
  it('run on views from the first own getter an action gives a state object (through this)', () => {
    const tree = openTree();
    tree.add('a');
    tree.node('a');
    expect(stateShape.ownGetterSeen).toBe(false);
    tree.hideGetter('a');
    expect(stateShape.ownGetterSeen).toBe(true);
    expect(() => tree.sneakyOf('a')).toThrow(
      expect.objectContaining({ code: 'READONLY_VIOLATION' }),
    );
    expect(tree.field('a', 'hits')).toBe(0);
    expect(rawRunsIn(() => tree.node('a'))).toBe(0);
  });

  describe.each(['before', 'after', 'nested'] as const)(
    'a fresh value with an own getter stored by an action (%s the store)',
    (when) => {
      beforeEach(() => {
        stateShape.ownGetterSeen = false;
      });

      it('sends the queries the views way, live and after a replay of the action', async () => {
        const dir = freshBasedir();
        const tree = openTree(dir);
        tree.add('a');
        expect(stateShape.ownGetterSeen).toBe(false);
        tree.storeWithGetter('a', when);
        expect(stateShape.ownGetterSeen).toBe(true);
        await tree.close();
        open.length = 0;
        stateShape.ownGetterSeen = false;
        // The journal holds the action: the replay stores the same value again.
        const again = openTree(dir);
        expect(stateShape.ownGetterSeen).toBe(true);
        again.node('a');
        expect(rawRunsIn(() => again.node('a'))).toBe(0);
      });
    },
  );

  it('calls no look-up method on the raw state once an action stored a function', () => {
    stateShape.ownGetterSeen = false;
    // Prototypes stored by the systems of other tests (Registry's own get()) count for
    // every system of the process: see storedPrototypes.
    storedPrototypes.clear();
    const tree = openTree();
    tree.add('a');
    tree.byNameOf('a');
    expect(rawRunsIn(() => tree.byNameOf('a'))).toBe(1);
    tree.storeFunction();
    expect(stateShape.ownFunctionSeen).toBe(true);
    expect(rawRunsIn(() => tree.byNameOf('a'))).toBe(0);
    expect(() => tree.boxHas('x')).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
    // Reads without a call still run raw.
    expect(rawRunsIn(() => tree.node('a'))).toBe(1);
  });

  it.each([0, 1])(
    'calls no look-up method on the raw state once an action stored an object holding a function (%i deep)',
    (depth) => {
      stateShape.ownGetterSeen = false;
      stateShape.ownFunctionSeen = false;
      const tree = openTree();
      tree.storeHolderOfFunction(depth);
      expect(stateShape.ownFunctionSeen).toBe(true);
    },
  );
});
