import fc from 'fast-check';
import { initSystem, persistent, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { viewTarget } from '../../lib/isolation/registry';
import { freshBasedir } from '../support/tmp';

/**
 * Differential test of the pure-read fast path (see pure-query.ts): random
 * states, random queries of the accepted grammar, each run once as a pure
 * read (raw state when the guard allows) and once as the same source made
 * no pure read (`void [].length;` first, so it runs on the views). The
 * caller must observe the same thing: the same value (a view by identity)
 * or an error of the same class and message; and the state must not change.
 */

@persistent('DiffItem')
class Item {
  v: unknown = 1;
  get first(): unknown {
    return this.v;
  }
  get self(): Item {
    return this;
  }
}

type Key = string;
type Spec =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'null' }
  | { t: 'undef' }
  | { t: 'obj' }
  | { t: 'bare' }
  | { t: 'arr' }
  | { t: 'map' }
  | { t: 'set' }
  | { t: 'date'; ms: number }
  | { t: 'item' };

type Holder = Record<Key, unknown>;

class Root {
  [key: string]: unknown;
  a: unknown = {};
  b: unknown = [];

  @readonly self(): Root {
    return this;
  }

  /** The object at `path` (a Map's entries by get), or undefined. */
  at(path: Key[]): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let o: unknown = this;
    for (const k of path) {
      if (typeof o !== 'object' || o === null) return undefined;
      o = o instanceof Map ? o.get(k) : (o as Holder)[k];
    }
    return o;
  }

  put(path: Key[], key: Key, spec: Spec): void {
    this.store(path, key, make(spec));
  }

  share(path: Key[], key: Key, from: Key[]): void {
    const value = this.at(from);
    if (typeof value === 'object' && value !== null) this.store(path, key, value);
  }

  store(path: Key[], key: Key, value: unknown): void {
    const o = this.at(path);
    if (typeof o !== 'object' || o === null) return;
    if (o instanceof Map) o.set(key, value);
    else if (o instanceof Set) o.add(value);
    else if (o instanceof Date) return;
    else if (key === '__proto__')
      return; // would set the prototype of a plain object
    else (o as Holder)[key] = value;
  }
}

function make(spec: Spec): unknown {
  switch (spec.t) {
    case 'num':
    case 'str':
      return spec.v;
    case 'null':
      return null;
    case 'undef':
      return undefined;
    case 'obj':
      return {};
    case 'bare':
      return Object.create(null) as object;
    case 'arr':
      return [];
    case 'map':
      return new Map();
    case 'set':
      return new Set();
    case 'date':
      return new Date(spec.ms);
    case 'item':
      return new Item();
  }
}

// --- states ---------------------------------------------------------------

const KEYS = ['a', 'b', 'x', '0', '1', 'length', 'size', 'constructor', '__proto__', 'v'];
const key = fc.constantFrom(...KEYS);
const path = fc.array(key, { maxLength: 3 });
const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ t: fc.constant('num' as const), v: fc.constantFrom(0, 1, -1, NaN) }),
  fc.record({ t: fc.constant('str' as const), v: fc.constantFrom('', 'a', 'x', '0') }),
  fc.constant({ t: 'null' as const }),
  fc.constant({ t: 'undef' as const }),
  fc.constant({ t: 'obj' as const }),
  fc.constant({ t: 'bare' as const }),
  fc.constant({ t: 'arr' as const }),
  fc.constant({ t: 'map' as const }),
  fc.constant({ t: 'set' as const }),
  fc.record({ t: fc.constant('date' as const), ms: fc.constantFrom(0, 1e12) }),
  fc.constant({ t: 'item' as const }),
);
type Action =
  | { op: 'put'; path: Key[]; key: Key; spec: Spec }
  | { op: 'share'; path: Key[]; key: Key; from: Key[] };
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('put' as const), path, key, spec }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('share' as const), path, key, from: path }) },
);

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

const sym = Symbol('arg');
const argument = fc.constantFrom<unknown>(
  ...KEYS,
  'get',
  'nope',
  0,
  1,
  -0,
  NaN,
  true,
  null,
  undefined,
  sym,
  Symbol.iterator,
  Symbol.toStringTag,
);

// --- running --------------------------------------------------------------

type Outcome = { value: unknown } | { error: { cls: unknown; message: string } };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (err) {
    return {
      error: {
        cls: (err as { constructor?: unknown } | null)?.constructor,
        message: String((err as { message?: unknown } | null)?.message),
      },
    };
  }
}

function same(a: Outcome, b: Outcome): boolean {
  if ('value' in a && 'value' in b) return Object.is(a.value, b.value);
  if ('error' in a && 'error' in b) {
    return a.error.cls === b.error.cls && a.error.message === b.error.message;
  }
  return false;
}

function shown(o: Outcome): string {
  if ('error' in o)
    return `throws ${String((o.error.cls as { name?: string })?.name)}: ${o.error.message}`;
  return `returns ${typeof o.value === 'symbol' ? String(o.value) : describeValue(o.value)}`;
}

function describeValue(v: unknown): string {
  if (typeof v === 'object' && v !== null) return `object ${Object.prototype.toString.call(v)}`;
  if (typeof v === 'function') return `function ${(v as { name: string }).name}`;
  return String(v) + ` (${typeof v})`;
}

/** A deep description of the raw state: every own key (also non-enumerable), shared objects by number. */
function snapshot(value: unknown, seen = new Map<object, number>()): string {
  if (typeof value === 'symbol') return String(value);
  if (typeof value !== 'object' || value === null) {
    return typeof value === 'string' ? JSON.stringify(value) : `${String(value)}:${typeof value}`;
  }
  const known = seen.get(value);
  if (known !== undefined) return `#${known}`;
  seen.set(value, seen.size);
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  let out = `${seen.get(value)}<${proto === null ? 'null' : String(proto.constructor?.name)}>`;
  if (value instanceof Date) out += `(${value.getTime()})`;
  if (value instanceof Map) {
    out += `{${[...value].map(([k, v]) => `${snapshot(k, seen)}=>${snapshot(v, seen)}`).join(',')}}`;
  }
  if (value instanceof Set) out += `{${[...value].map((v) => snapshot(v, seen)).join(',')}}`;
  const own = Reflect.ownKeys(value).map((k) => {
    const desc = Reflect.getOwnPropertyDescriptor(value, k)!;
    const what = 'value' in desc ? snapshot(desc.value, seen) : 'accessor';
    return `${String(k)}${desc.enumerable ? '' : '~'}:${what}`;
  });
  return `${out}[${own.join(',')}]`;
}

let methodCount = 0;
let cases = 0;

function install(source: string): { pure: string; views: string } | undefined {
  const pureFn = new Function(`return function (p0, p1) { ${source} }`)() as () => unknown;
  if (pureReadOf(pureFn) === undefined) return undefined;
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
  return { pure: `pure${n}`, views: `views${n}` };
}

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
            for (const a of actions) {
              try {
                if (a.op === 'put') sys.put(a.path, a.key, a.spec);
                else sys.share(a.path, a.key, a.from);
              } catch {
                // A refused store is no state change: the next action goes on.
              }
            }
            const raw = viewTarget(sys.self()) as object;
            expect(raw).toBeDefined();
            const state = snapshot(raw);
            const q = sys as unknown as Record<string, Call>;
            for (const [source, calls] of queries) {
              const names = install(source);
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
            const proto = Root.prototype as unknown as Record<string, unknown>;
            for (const name of Object.keys(proto)) {
              if (/^(pure|views)\d+$/.test(name)) delete proto[name];
            }
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
