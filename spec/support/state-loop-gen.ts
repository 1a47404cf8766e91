import fc from 'fast-check';
import { actionOver, spec, type Action, type Spec } from './pure-diff';

/**
 * The random states and queries of the state-loop properties
 * (spec/system/pure-query-state-loops-differential.spec.ts and
 * pure-query-state-loops-hostile.spec.ts): iterables put where the queries'
 * loops look, and pure reads looping over a value of the state.
 */

// --- states ---------------------------------------------------------------

/** What a loop iterates over: kinds of iterables (and some non-iterables) with content. */
export const iterableSpec: fc.Arbitrary<Spec> = fc.oneof(
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
export function actionWith(extras: readonly string[]): fc.Arbitrary<Action> {
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
export const scaffold: fc.Arbitrary<Action[]> = fc
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

export const body: fc.Arbitrary<string> = fc
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
