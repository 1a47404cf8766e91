import fc from 'fast-check';
import { types } from 'node:util';
import { isPrevalenceError } from '../../lib/errors';
import { beginTracking, endTracking, toRaw, tracked } from '../../lib/isolation/tracking';
import { locate, locateStats, resolvePath, rootView } from '../../lib/isolation/views';

/**
 * Where views say they are: random states, random navigation through views,
 * random moves made by actions (recorded) and behind the system's back (not
 * recorded). Whatever happened, locate() must answer a path that leads to the
 * very object, or STALE_REFERENCE exactly when the object left the state; and
 * a view found by navigation since the last change needs no search.
 */

interface Node {
  id: number;
  kids: Node[];
  byName: Map<string, Node>;
  [slot: string]: unknown;
}

interface State {
  top: Record<string, Node>;
  list: Node[];
}

const NAMES = ['a', 'b', 'c'];

function makeNode(id: number): Node {
  return { id, kids: [], byName: new Map() };
}

/** Every object reachable from the root (the same children a search follows). */
function reachable(root: object): Set<object> {
  const seen = new Set<object>([root]);
  const queue: object[] = [root];
  while (queue.length > 0) {
    const obj = queue.pop()!;
    const values = types.isMap(obj) ? [...obj.values()] : Object.values(obj);
    for (const v of values) {
      if (typeof v === 'object' && v !== null && !seen.has(v)) {
        seen.add(v);
        queue.push(v);
      }
    }
  }
  return seen;
}

/** A node of the state, picked by walking from the root through views (which records links). */
function navigate(view: State, choices: number[]): object {
  let at: object = view.top[NAMES[choices[0]! % NAMES.length]!] ?? view.list[0] ?? view;
  for (const c of choices.slice(1)) {
    const node = at as Node;
    if (!('kids' in node)) break;
    const viaMap = c % 2 === 0;
    const next = viaMap
      ? node.byName.get(NAMES[c % NAMES.length]!)
      : node.kids[c % Math.max(1, node.kids.length)];
    if (next === undefined) break;
    at = next;
  }
  return at;
}

const op = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('view' as const),
      choices: fc.array(fc.nat(5), { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('move' as const),
      from: fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }),
      to: fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }),
      where: fc.constantFrom('kid', 'map', 'top', 'list'),
      name: fc.constantFrom(...NAMES),
      detach: fc.boolean(),
      recorded: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('add' as const), name: fc.constantFrom(...NAMES) }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('locate' as const), which: fc.nat() }) },
);

type Op = typeof op extends fc.Arbitrary<infer O> ? O : never;

/** Applies a move; through tracking proxies (an action) when `recorded`, else on raw objects. */
function move(
  raw: State,
  view: State,
  o: Extract<Op, { kind: 'move' }>,
  nextId: () => number,
): void {
  const target = toRaw(navigate(view, o.from)) as Node;
  const dest = toRaw(navigate(view, o.to)) as Node;
  if (!('kids' in target) || !('kids' in dest)) return;
  const apply = (state: State, t: Node, d: Node) => {
    if (o.detach) {
      for (const n of NAMES) if (state.top[n] === t) delete state.top[n];
      const at = state.list.indexOf(t);
      if (at >= 0) state.list.splice(at, 1);
    }
    if (o.where === 'kid') d.kids.push(t);
    else if (o.where === 'map') d.byName.set(o.name, t);
    else if (o.where === 'top') state.top[o.name] = t;
    else state.list.push(t.id % 2 === 0 ? t : makeNode(nextId()));
  };
  if (!o.recorded) {
    apply(raw, target, dest);
    return;
  }
  beginTracking();
  try {
    const p = tracked(raw);
    apply(p, tracked(target), tracked(dest));
  } finally {
    endTracking();
  }
}

describe('locate (property-based)', () => {
  it('answers a path to the very object, or STALE_REFERENCE exactly when it left the state', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 60, size: 'max' }), (ops) => {
        let id = 0;
        const nextId = () => ++id;
        const raw: State = { top: {}, list: [] };
        for (const n of NAMES) raw.top[n] = makeNode(nextId());
        raw.top['a']!.kids.push(makeNode(nextId()));
        raw.top['a']!.byName.set('b', raw.top['b']!);
        const view = rootView(raw);
        const seen: object[] = [];
        let changed = false;
        for (const o of ops) {
          if (o.kind === 'view') {
            seen.push(navigate(view, o.choices));
          } else if (o.kind === 'move') {
            move(raw, view, o, nextId);
            changed = true;
          } else if (o.kind === 'add') {
            beginTracking();
            try {
              tracked(raw).top[o.name] = makeNode(nextId());
            } finally {
              endTracking();
            }
            changed = true;
          } else if (seen.length > 0) {
            const v = seen[o.which % seen.length]!;
            const target = toRaw(v);
            const inState = reachable(raw).has(target);
            const before = locateStats.searches;
            let path;
            try {
              path = locate(v, raw);
            } catch (err) {
              if (!isPrevalenceError(err, 'STALE_REFERENCE')) throw err;
              expect(inState).toBe(false);
              continue;
            }
            expect(inState).toBe(true);
            expect(resolvePath(raw, path)).toBe(target);
            if (!changed) expect(locateStats.searches).toBe(before);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
