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
  actionOver,
  argument,
  extraClasses,
  isOwnList,
  outcome,
  sameOutcome,
  shown,
  snapshot,
  stateBuiltBy,
  spec,
  uninstallQueries,
  type Action,
  type Outcome,
  type Spec,
} from '../support/pure-diff';

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

// --- states ---------------------------------------------------------------

/** What a loop iterates over: kinds of iterables (and some non-iterables) with content. */
const iterableSpec: fc.Arbitrary<Spec> = fc.oneof(
  fc.constantFrom<Spec>({ t: 'arr' }, { t: 'map' }, { t: 'set' }, { t: 'obj' }, { t: 'item' }),
  fc.constantFrom<Spec>(
    { t: 'str', v: 'ab' },
    { t: 'str', v: 'a\u{1F600}x' },
    { t: 'str', v: '' },
    { t: 'str', v: 'x' },
  ),
  fc.record({
    t: fc.constant('typed' as const),
    // Only Uint8Array: jest's node environment hands the tests the outer realm's Uint8Array
    // and the sandbox's other typed arrays, whose %TypedArray%.prototype[Symbol.iterator] the
    // guard rightly takes for a foreign one (the loop then always runs on the views).
    kind: fc.constant('Uint8Array' as const),
    v: fc.array(fc.constantFrom(0, 1, 2, 255), { maxLength: 3 }),
  }) as fc.Arbitrary<Spec>,
);

/**
 * Actions that also put iterables, and instances of the classes `extras`
 * names; most of them where the queries' loops look (`this.a`, `this.b[0]`, …).
 */
function actionWith(extras: readonly ExtraName[]): fc.Arbitrary<Action> {
  const extra = fc.record({
    t: fc.constant('extra' as const),
    name: extras.length === 0 ? fc.constant('none') : fc.constantFrom(...extras),
  });
  const specs: fc.Arbitrary<Spec> = fc.oneof(
    { weight: 2, arbitrary: spec },
    { weight: 3, arbitrary: iterableSpec },
    ...(extras.length === 0 ? [] : [{ weight: 1, arbitrary: extra }]),
  );
  const near = fc.record({
    op: fc.constant('put' as const),
    path: fc.constantFrom<string[]>([], ['a'], ['b'], ['a', 'x'], ['b', '0'], ['b', '1']),
    key: fc.constantFrom('a', 'b', 'x', '0', '1', 'v'),
    spec: specs,
  });
  return fc.oneof({ weight: 1, arbitrary: actionOver(specs) }, { weight: 3, arbitrary: near });
}

/**
 * Where the loops mostly look, each given an iterable (or not) first, which
 * the random actions then fill: `this.a` is a plain object, `this.b` an array.
 */
const SCAFFOLD: ReadonlyArray<readonly [string[], string]> = [
  [['a'], 'x'],
  [['a'], 'b'],
  [['a'], 'a'],
  [['b'], '0'],
  [['b'], '1'],
  [[], 'x'],
];
const scaffold: fc.Arbitrary<Action[]> = fc
  .tuple(...SCAFFOLD.map(() => fc.oneof({ weight: 4, arbitrary: iterableSpec }, spec)))
  .map((specs) =>
    specs.map((sp, i) => ({
      op: 'put' as const,
      path: SCAFFOLD[i]![0],
      key: SCAFFOLD[i]![1],
      spec: sp,
    })),
  );

// --- queries --------------------------------------------------------------

type Returns = 'list' | 'value';

/** The loop variables in scope (outermost first). */
type Scope = readonly string[];

/** The names a loop variable is read by: index-like (a Map entry's 0 and 1), field, getter, odd ones. */
const ELEMENT_READS = ['[0]', '[1]', '.v', '.x', '.first', '.self', '.length', '.nope'];
/** The same by `?.`, which a hole or a primitive does not make throw: they weigh more. */
const ELEMENT_SAFE_READS = [
  '?.[0]',
  '?.[1]',
  '?.v',
  '?.a',
  '?.x',
  '?.first',
  '?.self',
  '?.length',
  '?.size',
  '?.constructor',
  '?.__proto__',
  '?.nope',
  '?.[p0]',
  '?.get?.(p0)',
  '?.has?.(p1)',
  '?.[1]?.v',
];

/** Reads of the state a loop may go over or a value may be. */
const STATE_READS = [
  'this.b',
  'this.a',
  'this.b',
  'this.a.x',
  'this.b[0]',
  'this.b[1]',
  'this.a.a',
  'this.a.b',
  'this.b.a',
  'this.x',
  'this.a[p0]',
  'this.b[p1]',
  'this.a["0"]',
  'this.b.x',
];

/** The odd ones: a prototype, a constructor, a length, the root itself. */
const ODD_READS = [
  'this',
  'this.a.__proto__',
  'this.b.__proto__',
  'this.b.constructor',
  'this.a.length',
  'this.b.length',
  'this.a.x.length',
  'this["__proto__"]',
];

function elementReads(scope: Scope): fc.Arbitrary<string> {
  const e = fc.constantFrom(...scope);
  return fc.oneof(
    { weight: 2, arbitrary: e },
    { weight: 1, arbitrary: fc.tuple(e, fc.constantFrom(...ELEMENT_READS)).map(([v, r]) => v + r) },
    {
      weight: 4,
      arbitrary: fc.tuple(e, fc.constantFrom(...ELEMENT_SAFE_READS)).map(([v, r]) => v + r),
    },
  );
}

/** What a loop goes over: state reads, `L`, and an outer loop's variable or a read of it. */
function iterable(scope: Scope): fc.Arbitrary<string> {
  const choices: Array<fc.WeightedArbitrary<string>> = [
    { weight: 6, arbitrary: fc.constantFrom(...STATE_READS) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_READS) },
    { weight: 2, arbitrary: fc.constant('L') },
  ];
  if (scope.length !== 0) {
    const e = fc.constantFrom(...scope);
    choices.push(
      { weight: 3, arbitrary: e },
      {
        weight: 3,
        arbitrary: fc
          .tuple(e, fc.constantFrom('[1]', '[0]', '.v', '.a', '.x', '.first'))
          .map(([v, r]) => v + r),
      },
    );
  }
  return fc.oneof(...choices);
}

/** A value; `L` only when `local` (not in its own initializer). */
function value(scope: Scope, local = true): fc.Arbitrary<string> {
  const choices: Array<fc.WeightedArbitrary<string>> = [
    { weight: 2, arbitrary: fc.constantFrom('p0', 'p1', 'undefined', 'null', '0', '"a"', '1') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        ...(local ? ['L'] : []),
        'this.a?.x',
        'this.b?.[0]',
        'this.a?.[p0]',
        'this.b?.length',
        'this.a?.get?.(p0)',
      ),
    },
  ];
  if (scope.length !== 0) {
    choices.push(
      { weight: 6, arbitrary: elementReads(scope) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom('this.a', 'this.b', 'this.b[0]'), fc.constantFrom(...scope))
          .map(([o, e]) => `${o}?.has?.(${e})`),
      },
    );
  }
  return fc.oneof(...choices);
}

function test(scope: Scope): fc.Arbitrary<string> {
  const v = value(scope);
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(v, v).map(([l, r]) => `(${l} === ${r})`) },
    { weight: 3, arbitrary: fc.tuple(v, v).map(([l, r]) => `(${l} !== ${r})`) },
    { weight: 2, arbitrary: v.map((e) => `(${e} == null)`) },
    { weight: 1, arbitrary: v.map((e) => `!${e}`) },
    { weight: 1, arbitrary: v.map((e) => `(typeof ${e} === "object")`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('"v"', '"0"', 'p0', '"size"'), v)
        .map(([k, e]) => `(${k} in ${e})`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(v, v, v).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(v, fc.constantFrom('&&', '||', '??'), v)
        .map(([l, op, r]) => `(${l} ${op} ${r})`),
    },
  );
}

function statement(scope: Scope, returns: Returns, depth: number): fc.Arbitrary<string> {
  const choices: Array<fc.WeightedArbitrary<string>> = [
    {
      weight: 2,
      arbitrary: fc
        .tuple(test(scope), fc.constantFrom('break', 'continue'))
        .map(([t, s]) => `if (${t}) ${s};`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(test(scope), returns === 'list' ? fc.constant('out') : value(scope))
        .map(([t, r]) => `if (${t}) return ${r};`),
    },
  ];
  if (returns === 'list') {
    const pushed = fc.array(value(scope), { minLength: 1, maxLength: 2 });
    choices.push(
      { weight: 4, arbitrary: pushed.map((es) => `out.push(${es.join(', ')});`) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(test(scope), pushed)
          .map(([t, es]) => `if (${t}) out.push(${es.join(', ')});`),
      },
    );
  } else {
    choices.push({ weight: 1, arbitrary: value(scope).map((v) => `return ${v};`) });
  }
  if (depth < 2) choices.push({ weight: 1, arbitrary: loop(scope, returns, depth + 1) });
  return fc.oneof(...choices);
}

function loop(scope: Scope, returns: Returns, depth: number): fc.Arbitrary<string> {
  const e = depth === 1 ? 'e' : 'f';
  const inner = [...scope, e];
  return fc
    .tuple(
      fc.constantFrom('const', 'let'),
      iterable(scope),
      fc.array(statement(inner, returns, depth), { minLength: 1, maxLength: 2 }),
    )
    .map(
      ([kind, over, ss]) =>
        `for (${kind} ${e} of ${over}) ${ss.length === 1 ? ss[0]! : `{ ${ss.join(' ')} }`}`,
    );
}

const body: fc.Arbitrary<string> = fc
  .constantFrom<Returns>('list', 'list', 'value')
  .chain((returns) =>
    fc
      .tuple(
        fc.constantFrom('const', 'let'),
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...STATE_READS) },
          { weight: 1, arbitrary: fc.constantFrom(...ODD_READS) },
          { weight: 1, arbitrary: value([], false) },
        ),
        fc.oneof(
          { weight: 3, arbitrary: loop([], returns, 1).map((l) => [l]) },
          { weight: 1, arbitrary: fc.array(loop([], returns, 1), { minLength: 2, maxLength: 2 }) },
        ),
        returns === 'list' ? fc.constant('out') : value([]),
      )
      .map(([kind, local, loops, last]) => {
        const lines = [`${kind} L = ${local};`];
        if (returns === 'list') lines.push('const out = [];');
        lines.push(...loops, `return ${last};`);
        return lines.join(' ');
      }),
  );

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

let methodCount = 0;
let counts = { generated: 0, accepted: 0, stateLoops: 0, calls: 0, rawQueries: 0 };

function install(source: string): { pure: string; views: string; read: PureRead } | undefined {
  counts.generated++;
  const pureFn = new Function(`return function (p0, p1) { ${source} }`)() as () => unknown;
  const read = pureReadOf(pureFn);
  if (read === undefined) return undefined;
  counts.accepted++;
  if (read.iteratesState) counts.stateLoops++;
  const viewsFn = new Function(
    `return function (p0, p1) { void [].length; ${source} }`,
  )() as () => unknown;
  expect(pureReadOf(viewsFn)).toBeUndefined();
  const n = methodCount++;
  const proto = Root.prototype as unknown as Record<string, unknown>;
  readonly(pureFn as never, { kind: 'method' } as never);
  readonly(viewsFn as never, { kind: 'method' } as never);
  proto[`pure${n}`] = pureFn;
  proto[`views${n}`] = viewsFn;
  return { pure: `pure${n}`, views: `views${n}`, read };
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
