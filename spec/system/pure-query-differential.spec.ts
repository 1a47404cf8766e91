import fc from 'fast-check';
import { initSystem } from '../../lib';
import type { Prevalent } from '../../lib';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';
import {
  Item,
  KEYS,
  Root,
  action,
  argument,
  outcome,
  same,
  shown,
  snapshot,
  stateBuiltBy,
  uninstallQueries,
  installPair,
} from '../support/pure-diff';

/**
 * Differential test of the pure-read fast path (see pure-query.ts): random
 * states, random queries of the accepted grammar, each run once as a pure
 * read (raw state when the guard allows) and once as the same source made
 * no pure read (`void [].length;` first, so it runs on the views). The
 * caller must observe the same thing: the same value (a view by identity)
 * or an error of the same class and message; and the state must not change.
 */

// --- queries --------------------------------------------------------------

const PARAMS = ['p0', 'p1'];
const literalKey = fc.constantFrom(...KEYS.map((k) => JSON.stringify(k)), '0', '1');
const param = fc.constantFrom(...PARAMS);
const lookupArg = fc.oneof(param, literalKey);
const nameKey = fc.constantFrom('a', 'b', 'x', 'v', 'length', 'size', 'constructor', '__proto__');

const { expr } = fc.letrec<{ expr: string; obj: string; test: string }>((tie) => ({
  obj: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('this', 'this.a', 'this.b', 'L'),
    fc.tuple(tie('obj'), fc.constantFrom('.', '?.'), nameKey).map(([o, d, k]) => `${o}${d}${k}`),
    fc
      .tuple(tie('obj'), fc.constantFrom('', '?.'), fc.oneof(literalKey, param))
      .map(([o, d, k]) => `${o}${d}[${k}]`),
    fc
      .tuple(tie('obj'), fc.constantFrom('.', '?.'), lookupArg)
      .map(([o, d, k]) => `${o}${d}get(${k})`),
  ),
  test: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(tie('obj'), fc.constantFrom('.', '?.'), lookupArg)
      .map(([o, d, k]) => `${o}${d}has(${k})`),
    fc
      .tuple(tie('expr'), fc.constantFrom('===', '!=='), tie('expr'))
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('expr').map((e) => `(${e} == null)`),
    tie('expr').map((e) => `!${e}`),
    tie('expr').map((e) => `typeof ${e}`),
    fc.tuple(fc.oneof(literalKey, param), tie('obj')).map(([k, o]) => `(${k} in ${o})`),
  ),
  expr: fc.oneof(
    { depthSize: 'small' },
    tie('obj'),
    tie('test'),
    fc.constantFrom('p0', 'undefined', 'null', '0', '"a"'),
    fc.tuple(tie('expr'), tie('expr'), tie('expr')).map(([a, b, c]) => `(${a} ? ${b} : ${c})`),
    fc
      .tuple(tie('expr'), fc.constantFrom('&&', '||', '??'), tie('expr'))
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
  ),
}));

const body = fc
  .tuple(fc.constantFrom('const', 'let'), expr, fc.option(fc.tuple(expr, expr)), expr)
  .map(([kind, local, branch, last]) => {
    const lines = [`${kind} L = ${local};`];
    if (branch !== null) lines.push(`if (${branch[0]}) return ${branch[1]};`);
    lines.push(`return ${last};`);
    return lines.join(' ');
  });

let cases = 0;

type Call = (p0: unknown, p1: unknown) => unknown;

describe('a pure read answers as the views do (differential property)', () => {
  it('random states and random pure-read queries: same value or view, same error, no change', async () => {
    const before = pureQueryStats.rawRuns;
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { maxLength: 12 }),
        fc.array(
          fc.tuple(body, fc.array(fc.tuple(argument, argument), { minLength: 1, maxLength: 3 })),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        async (actions, queries) => {
          const sys = initSystem(Root, {
            basedir: freshBasedir(),
            durability: 'none',
            classes: [Item],
          }) as Prevalent<Root>;
          try {
            const { raw, state } = stateBuiltBy(sys, actions);
            const q = sys as unknown as Record<string, Call>;
            for (const [source, calls] of queries) {
              const names = installPair(source);
              if (names === undefined) continue;
              for (const [p0, p1] of calls) {
                cases++;
                // Views first too, so the first-read rule (a new object's view is made
                // by the views) is exercised both ways round.
                const order = cases % 2 === 0;
                const v1 = order ? outcome(() => q[names.views]!(p0, p1)) : undefined;
                const fast = outcome(() => q[names.pure]!(p0, p1));
                const views = v1 ?? outcome(() => q[names.views]!(p0, p1));
                if (!same(fast, views)) {
                  throw new Error(
                    `${source}\n  args ${String(p0)}, ${String(p1)}\n  pure read ${shown(fast)}\n  views ${shown(views)}`,
                  );
                }
                expect(snapshot(raw)).toBe(state);
              }
            }
          } finally {
            await sys.close();
            // Not kept: initSystem looks at every method of the class.
            uninstallQueries();
          }
        },
      ),
      { numRuns: Number(process.env['PURE_DIFF_RUNS'] ?? 400) },
    );
    expect(pureQueryStats.rawRuns).toBeGreaterThan(before);
    console.log(
      `pure-read differential: ${cases} calls, ${pureQueryStats.rawRuns - before} raw runs`,
    );
  });
});
