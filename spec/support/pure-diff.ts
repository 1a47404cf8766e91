import fc from 'fast-check';
import { persistent, readonly } from '../../lib';
import { isView, viewTarget } from '../../lib/isolation/registry';
import type { Prevalent } from '../../lib';
import { pureReadOf, type PureRead } from '../../lib/system/pure-query';

/**
 * What the differential properties of pure reads share (see
 * spec/system/pure-query-differential.spec.ts and
 * pure-query-lists-differential.spec.ts): the state model built by random
 * actions, the primitive arguments, and how an outcome is taken, compared
 * and shown.
 */

@persistent('DiffItem')
export class Item {
  v: unknown = 1;
  get first(): unknown {
    return this.v;
  }
  get self(): Item {
    return this;
  }
}

export type Key = string;
export type Spec =
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
  | { t: 'item' }
  /** A typed array of the kind named, holding `v`. */
  | { t: 'typed'; kind: 'Uint8Array' | 'Float64Array' | 'Int16Array'; v: number[] }
  /** An instance of a class given to make() by name (see extraClasses). */
  | { t: 'extra'; name: string };

type Holder = Record<Key, unknown>;

export class Root {
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

/** Classes the `extra` specs make, by name (a spec file adds its own). */
export const extraClasses = new Map<string, new () => object>();

export function make(spec: Spec): unknown {
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
    case 'typed':
      return new globalThis[spec.kind](spec.v);
    case 'extra': {
      const cls = extraClasses.get(spec.name);
      return cls === undefined ? undefined : new cls();
    }
  }
}

// --- states ---------------------------------------------------------------

export const KEYS = ['a', 'b', 'x', '0', '1', 'length', 'size', 'constructor', '__proto__', 'v'];
export const key = fc.constantFrom(...KEYS);
export const path = fc.array(key, { maxLength: 3 });
export const spec: fc.Arbitrary<Spec> = fc.oneof(
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
export type Action =
  | { op: 'put'; path: Key[]; key: Key; spec: Spec }
  | { op: 'share'; path: Key[]; key: Key; from: Key[] };
/** Actions that put what `specs` make, or share an object already in the state. */
export function actionOver(specs: fc.Arbitrary<Spec>): fc.Arbitrary<Action> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant('put' as const), path, key, spec: specs }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('share' as const), path, key, from: path }),
    },
  );
}
export const action: fc.Arbitrary<Action> = actionOver(spec);

// --- arguments ------------------------------------------------------------

export const sym = Symbol('arg');
export const argument = fc.constantFrom<unknown>(
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

// --- outcomes -------------------------------------------------------------

export type Outcome = { value: unknown } | { error: { cls: unknown; message: string } };

export function outcome(run: () => unknown): Outcome {
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

export function same(a: Outcome, b: Outcome): boolean {
  if ('value' in a && 'value' in b) return Object.is(a.value, b.value);
  if ('error' in a && 'error' in b) {
    return a.error.cls === b.error.cls && a.error.message === b.error.message;
  }
  return false;
}

export function shown(o: Outcome): string {
  if ('error' in o)
    return `throws ${String((o.error.cls as { name?: string })?.name)}: ${o.error.message}`;
  return `returns ${typeof o.value === 'symbol' ? String(o.value) : describeValue(o.value)}`;
}

export function describeValue(v: unknown): string {
  if (typeof v === 'object' && v !== null) return `object ${Object.prototype.toString.call(v)}`;
  if (typeof v === 'function') return `function ${(v as { name: string }).name}`;
  return String(v) + ` (${typeof v})`;
}

/** A deep description of the raw state: every own key (also non-enumerable), shared objects by number. */
export function snapshot(value: unknown, seen = new Map<object, number>()): string {
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

let installed = 0;

/**
 * Puts `source`, a body over parameters `p0` and `p1`, on Root.prototype as
 * two `@readonly` methods: as written (`pure<n>`) and forced onto the views
 * (`views<n>`: `void [].length;` first, which no pure read accepts).
 * Undefined, and nothing installed, when the source is no pure read.
 */
export function installPair(
  source: string,
): { pure: string; views: string; read: PureRead } | undefined {
  const pureFn = new Function(`return function (p0, p1) { ${source} }`)() as () => unknown;
  const read = pureReadOf(pureFn);
  if (read === undefined) return undefined;
  const viewsFn = new Function(
    `return function (p0, p1) { void [].length; ${source} }`,
  )() as () => unknown;
  expect(pureReadOf(viewsFn)).toBeUndefined();
  const n = installed++;
  const proto = Root.prototype as unknown as Record<string, unknown>;
  readonly(pureFn as never, { kind: 'method' } as never);
  readonly(viewsFn as never, { kind: 'method' } as never);
  proto[`pure${n}`] = pureFn;
  proto[`views${n}`] = viewsFn;
  return { pure: `pure${n}`, views: `views${n}`, read };
}

/** Removes the query methods a property installed on Root.prototype (initSystem looks at every method of the class). */
export function uninstallQueries(): void {
  const proto = Root.prototype as unknown as Record<string, unknown>;
  for (const name of Object.keys(proto)) {
    if (/^(pure|views)\d+$/.test(name)) delete proto[name];
  }
}

/** A list a query gathered (a fresh array, no view). */
export function isOwnList(v: unknown): v is unknown[] {
  return Array.isArray(v) && !isView(v);
}

/** Whether two outcomes are alike: values the same (lists element-wise), or errors alike but for the queries' names. */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if ('value' in a && 'value' in b) return sameValue(a.value, b.value);
  return same(unnamed(a), unnamed(b));
}

function sameValue(x: unknown, y: unknown, depth = 0): boolean {
  if (Object.is(x, y)) return true;
  if (depth > 3 || !isOwnList(x) || !isOwnList(y) || x.length !== y.length) return false;
  // Not x.every: an argument handed back may be an array of another prototype.
  for (let i = 0; i < x.length; i++) if (!sameValue(x[i], y[i], depth + 1)) return false;
  return true;
}

/** `o` with the installed queries' names (pure3(), views3()) in its error message made one. */
export function unnamed(o: Outcome): Outcome {
  if (!('error' in o)) return o;
  return {
    error: { ...o.error, message: o.error.message.replace(/\b(?:pure|views)\d+\(\)/g, 'q()') },
  };
}

/**
 * Applies `actions` to `sys` (a refused store is no state change: the next
 * one goes on) and returns the raw root and a snapshot of it, to compare
 * with after the queries.
 */
export function stateBuiltBy(
  sys: Prevalent<Root>,
  actions: readonly Action[],
): { raw: object; state: ReturnType<typeof snapshot> } {
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
  return { raw, state: snapshot(raw) };
}
