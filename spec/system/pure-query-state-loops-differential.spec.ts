import fc from 'fast-check';
import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { pureReadOf, type PureRead } from '../../lib/system/pure-query';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { isView } from '../../lib/isolation/registry';
import { freshBasedir } from '../support/tmp';
import {
  Item,
  Root,
  argument,
  extraClasses,
  isOwnList,
  outcome,
  sameOutcome,
  shown,
  snapshot,
  stateBuiltBy,
  uninstallQueries,
  type Outcome,
  installPair,
} from '../support/pure-diff';
import { actionWith, body, scaffold } from '../support/state-loop-gen';

/**
 * The differential property of pure-query-differential.spec.ts for pure
 * reads that loop over a value of the state (`for (const e of this.b)`,
 * over `this.a[p0]`, a local holding a state value, or an element of an
 * outer such loop): arrays with holes, arrays of objects, Maps (entries),
 * Sets, strings, typed arrays, and what is not iterable (plain objects,
 * registered class instances, Dates, numbers, undefined), whose TypeError
 * both runs must throw alike. Each query runs as a pure read and as the
 * same source made no pure read (`void [].length;` first, so it runs on the
 * views): the caller must see the same value (a list element-wise, a view
 * by identity) or the same error, and the raw state must not change. Some
 * states hold instances of registered classes with getters that change
 * state (by a name, an index, a symbol), and in the last stage a
 * registered class has a Symbol.iterator of its own (every state loop must
 * then run on the views).
 */

const TICK = Symbol.for('prevalent.loopdiff.tick');

class LoopTickName {
  hits = 0;
  get size(): number {
    return ++this.hits;
  }
  get nope(): number {
    return ++this.hits;
  }
}

class LoopTickIndex {
  hits = 0;
  get 0(): number {
    return ++this.hits;
  }
  get 1(): number {
    return ++this.hits;
  }
}

class LoopTickSym {
  hits = 0;
  get [TICK](): number {
    return ++this.hits;
  }
}

/** Iterable by a generator of the program's: no loop over a state value may run raw while it is registered. */
class LoopIterable {
  hits = 0;
  *[Symbol.iterator](): Generator<number> {
    yield ++this.hits;
  }
}

const EXTRAS = { LoopTickName, LoopTickIndex, LoopTickSym, LoopIterable } as const;
type ExtraName = keyof typeof EXTRAS;
for (const [name, cls] of Object.entries(EXTRAS)) extraClasses.set(name, cls);

// --- running --------------------------------------------------------------

function shownElement(v: unknown): string {
  const tag = Object.prototype.toString.call(v);
  if (isView(v)) return `view ${tag}`;
  if (isOwnList(v)) return `[${Array.from(v, shownElement).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return `raw ${tag}`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function shownOutcome(o: Outcome): string {
  if ('value' in o && isOwnList(o.value)) return `returns ${shownElement(o.value)}`;
  if ('value' in o && isView(o.value)) return `returns ${shownElement(o.value)}`;
  return shown(o);
}

/** What is wrong with a list a list-returning read gave (a view, one handed out before), or undefined. */
function listProblem(o: Outcome, read: PureRead, seen: WeakSet<object>): string | undefined {
  if (!read.returnsList || !('value' in o) || !Array.isArray(o.value)) return undefined;
  if (isView(o.value)) return 'a list read returned a view';
  if (seen.has(o.value)) return 'a list read returned a list it returned before';
  seen.add(o.value);
  return undefined;
}

let counts = { generated: 0, accepted: 0, stateLoops: 0, calls: 0, rawQueries: 0 };

function install(source: string): ReturnType<typeof installPair> {
  counts.generated++;
  const pair = installPair(source);
  if (pair === undefined) return undefined;
  counts.accepted++;
  if (pair.read.iteratesState) counts.stateLoops++;
  return pair;
}

type Call = (p0: unknown, p1: unknown) => unknown;

const RUNS = Number(process.env['PURE_LOOP_DIFF_RUNS'] ?? 150);

/**
 * The property, with the classes `extras` names registered (a class
 * registered is looked at by every guard of the process from then on: the
 * stages below only add classes). `rawFloor`: the least share of the
 * accepted queries that must have run raw at least once.
 */
async function property(
  extras: readonly ExtraName[],
  numRuns: number,
  rawFloor: number,
): Promise<void> {
  counts = { generated: 0, accepted: 0, stateLoops: 0, calls: 0, rawQueries: 0 };
  const before = pureQueryStats.rawRuns;
  const lists = new WeakSet<object>();
  await fc.assert(
    fc.asyncProperty(
      fc
        .tuple(scaffold, fc.array(actionWith(extras), { maxLength: 14 }))
        .map(([first, then]) => [...first, ...then]),
      fc.array(
        fc.tuple(body, fc.array(fc.tuple(argument, argument), { minLength: 1, maxLength: 3 })),
        { minLength: 1, maxLength: 5 },
      ),
      async (actions, queries) => {
        const sys = initSystem(Root, {
          basedir: freshBasedir(),
          durability: 'none',
          classes: [Item, ...extras.map((t) => EXTRAS[t])],
        }) as Prevalent<Root>;
        try {
          const { raw, state } = stateBuiltBy(sys, actions);
          const q = sys as unknown as Record<string, Call>;
          for (const [source, calls] of queries) {
            const names = install(source);
            if (names === undefined) continue;
            const rawBefore = pureQueryStats.rawRuns;
            for (const [p0, p1] of calls) {
              counts.calls++;
              const run = (name: string): Outcome => outcome(() => q[name]!(p0, p1));
              // Views first too, so the first-read rule (a new object's view is made
              // by the views) is exercised both ways round.
              const order = counts.calls % 2 === 0;
              const v1 = order ? run(names.views) : undefined;
              const fast = run(names.pure);
              const views = v1 ?? run(names.views);
              const problem =
                listProblem(fast, names.read, lists) ?? listProblem(views, names.read, lists);
              if (problem !== undefined || !sameOutcome(fast, views)) {
                throw new Error(
                  `${source}\n  args ${String(p0)}, ${String(p1)}\n  registered ${extras.join(', ') || '-'}\n  state ${state}\n  pure read ${shownOutcome(fast)}\n  views ${shownOutcome(views)}${problem === undefined ? '' : `\n  ${problem}`}`,
                );
              }
              const now = snapshot(raw);
              if (now !== state) {
                throw new Error(
                  `${source}\n  args ${String(p0)}, ${String(p1)}\n  registered ${extras.join(', ') || '-'}\n  state changed\n  from ${state}\n  to   ${now}`,
                );
              }
            }
            if (pureQueryStats.rawRuns > rawBefore) counts.rawQueries++;
          }
        } finally {
          await sys.close();
          // Not kept: initSystem looks at every method of the class.
          uninstallQueries();
        }
      },
    ),
    { numRuns },
  );
  const rawRuns = pureQueryStats.rawRuns - before;
  console.log(
    `pure-read state-loop differential (registered ${extras.join(', ') || 'none'}): ${counts.generated} queries, ` +
      `${counts.accepted} pure reads (${counts.stateLoops} looping over the state), ${counts.calls} calls, ` +
      `${rawRuns} raw runs, ${counts.rawQueries} queries ran raw at least once`,
  );
  // That the generator exercises what it is about: its queries are pure reads looping over the state.
  expect(counts.accepted).toBeGreaterThan(counts.generated * 0.5);
  expect(counts.stateLoops).toBe(counts.accepted);
  if (rawFloor === 0) expect(counts.rawQueries).toBe(0);
  else expect(counts.rawQueries).toBeGreaterThanOrEqual(counts.accepted * rawFloor);
}

// First: a class registered by a stage of the property below (LoopIterable) is looked at by
// every guard of the process from then on, and would send this loop to the views.
describe('state loops: what the differential property found', () => {
  it('a Map entry’s prototype (Array.prototype) is handed out as the views do, not as a view of Array.prototype an earlier read made', async () => {
    const source = 'for (const e of this.a.x) return e.__proto__; return undefined;';
    const pure = new Function(`return function () { ${source} }`)() as () => unknown;
    const views = new Function(
      `return function () { void [].length; ${source} }`,
    )() as () => unknown;
    expect(pureReadOf(pure)?.iteratesState).toBe(true);
    expect(pureReadOf(views)).toBeUndefined();
    const proto = Root.prototype as unknown as Record<string, unknown>;
    readonly(pure as never, { kind: 'method' } as never);
    readonly(views as never, { kind: 'method' } as never);
    proto['pure0'] = pure;
    proto['views0'] = views;
    const sys = initSystem(Root, {
      basedir: freshBasedir(),
      durability: 'none',
      classes: [Item],
    }) as Prevalent<Root>;
    try {
      sys.put(['a'], 'x', { t: 'map' });
      sys.put(['a', 'x'], 'k', { t: 'num', v: 1 });
      // A view of Array.prototype, reached from a state array's view.
      expect(isView((sys.self().b as { __proto__: unknown }).__proto__)).toBe(true);
      const q = sys as unknown as Record<string, () => unknown>;
      // On the views the entry is an array of the views' own: its prototype is Array.prototype itself.
      const onViews = q['views0']!();
      expect(isView(onViews)).toBe(false);
      expect(q['pure0']!()).toBe(onViews);
      expect(q['pure0']!()).toBe(onViews);
    } finally {
      await sys.close();
      uninstallQueries();
    }
  });
});

describe('a pure read looping over a value of the state answers as the views do (differential property)', () => {
  it('random states and state loops: same list, value or error, no change', async () => {
    await property([], RUNS, 0.25);
  });

  it('the same with getters that change state, named size, nope and by a symbol', async () => {
    // Fewer: a read of a getter's name sends the query to the views.
    await property(['LoopTickName', 'LoopTickSym'], Math.ceil(RUNS / 3), 0.1);
  });

  it('the same with getters named 0 and 1 too (what a Map entry is read by)', async () => {
    await property(['LoopTickName', 'LoopTickSym', 'LoopTickIndex'], Math.ceil(RUNS / 3), 0.05);
  });

  it('the same with a registered class iterable by a generator of its own: no state loop runs raw', async () => {
    await property(
      ['LoopTickName', 'LoopTickSym', 'LoopTickIndex', 'LoopIterable'],
      Math.ceil(RUNS / 4),
      0,
    );
  });
});
