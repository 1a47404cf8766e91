import fc from 'fast-check';
import { DateTime } from 'luxon';
import { Page } from './fixtures';

/**
 * Values are generated as factories that build a fresh value on each call, so
 * tests may link and mutate what they get without touching what fast-check
 * keeps for shrinking.
 */
export type Factory = () => unknown;

function factory(describe: string, build: Factory): Factory {
  return Object.assign(build, { toString: () => describe });
}

function constant(value: unknown): Factory {
  const text =
    typeof value === 'bigint' ? `${value}n` : Object.is(value, -0) ? '-0' : String(value);
  return factory(typeof value === 'string' ? JSON.stringify(value) : text, () => value);
}

const key = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom('$', '$$', '$ref', '__proto__', 'constructor', '0', '10', 'a b'),
);

const primitive = fc
  .oneof(
    fc.string({ maxLength: 8 }),
    fc.double(),
    fc.integer(),
    fc.bigInt(),
    fc.boolean(),
    fc.constantFrom(null, undefined, NaN, -0, Infinity, -Infinity),
  )
  .map(constant);

const leafObject: fc.Arbitrary<Factory> = fc.oneof(
  fc
    .date({ noInvalidDate: false })
    .map((d) => factory(`Date(${d.getTime()})`, () => new Date(d.getTime()))),
  fc.float64Array({ maxLength: 3 }).map((a) => factory('Float64Array', () => new Float64Array(a))),
  fc
    .bigInt64Array({ maxLength: 3 })
    .map((a) => factory('BigInt64Array', () => new BigInt64Array(a))),
  fc.int16Array({ maxLength: 3 }).map((a) => factory('Int16Array', () => new Int16Array(a))),
  fc.uint8Array({ maxLength: 4 }).map((a) => factory('Buffer', () => Buffer.from(a))),
  fc
    .uint8Array({ maxLength: 4 })
    .map((a) => factory('ArrayBuffer', () => new Uint8Array(a).buffer)),
  fc
    .tuple(
      fc.integer({ min: -1e12, max: 1e13 }),
      fc.constantFrom('utc', 'Europe/Paris', 'Asia/Kolkata', 'UTC+3'),
    )
    .map(([ms, zone]) =>
      factory(`DateTime(${ms},${zone})`, () => DateTime.fromMillis(ms, { zone })),
    ),
  fc
    .constantFrom<[string, string]>(['a+', 'g'], ['^x$', 'im'], ['\\d', 'u'], ['', ''])
    .map(([s, f]) => factory(`/${s}/${f}`, () => new RegExp(s, f))),
);

function entries(fs: [string, Factory][]): string {
  return fs.map(([k, f]) => `${JSON.stringify(k)}: ${String(f)}`).join(', ');
}

function buildObject(target: object, fs: [string, Factory][]): object {
  for (const [k, f] of fs) {
    Object.defineProperty(target, k, {
      value: f(),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return target;
}

/** Nested values of every storable kind, as factories. */
export const valueFactory: fc.Arbitrary<Factory> = fc.letrec<{
  value: Factory;
  array: Factory;
  object: Factory;
  map: Factory;
  set: Factory;
  page: Factory;
}>((tie) => {
  const props = fc.uniqueArray(fc.tuple(key, tie('value')), {
    maxLength: 4,
    selector: (e) => e[0],
  });
  return {
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      primitive,
      leafObject,
      tie('array'),
      tie('object'),
      tie('map'),
      tie('set'),
      tie('page'),
    ),
    array: fc
      .array(tie('value'), { maxLength: 4 })
      .map((fs) => factory(`[${fs.join(', ')}]`, () => fs.map((f) => f()))),
    object: fc
      .tuple(props, fc.boolean())
      .map(([fs, bare]) =>
        factory(`${bare ? 'null-proto ' : ''}{${entries(fs)}}`, () =>
          buildObject(bare ? (Object.create(null) as object) : {}, fs),
        ),
      ),
    map: fc
      .array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 })
      .map((fs) =>
        factory(`Map(${fs.length})`, () => new Map(fs.map(([k, v]) => [k(), v()] as const))),
      ),
    set: fc
      .array(tie('value'), { maxLength: 3 })
      .map((fs) => factory(`Set(${fs.join(', ')})`, () => new Set(fs.map((f) => f())))),
    page: fc
      .tuple(fc.string({ maxLength: 5 }), props)
      .map(([title, fs]) =>
        factory(`Page(${JSON.stringify(title)}, {${entries(fs)}})`, () =>
          buildObject(new Page(title), fs),
        ),
      ),
  };
}).value;

/** The containers reachable from `root` (each once), in discovery order. */
export function containers(root: unknown): object[] {
  const found: object[] = [];
  const seen = new Set<unknown>();
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const v = todo.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Map) {
      found.push(v);
      for (const [k, x] of v) todo.push(k, x);
    } else if (v instanceof Set || Array.isArray(v)) {
      found.push(v);
      todo.push(...v);
    } else if (isKeyed(v)) {
      found.push(v);
      todo.push(...Object.values(v));
    }
  }
  return found;
}

function isKeyed(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || proto === Page.prototype;
}

/** Makes `from` refer to `to` as well (adding a shared reference or a cycle). */
export function link(from: object, to: object, slot: number): void {
  if (from instanceof Map) from.set(`link${slot}`, to);
  else if (from instanceof Set) from.add(to);
  else if (Array.isArray(from)) from.push(to);
  else (from as Record<string, unknown>)[`link${slot}`] = to;
}

/** Changes `target` so that it is no longer equal to what it was; `pick` chooses where. */
export function mutate(target: object, pick: number): void {
  const marker = Symbol('mutation');
  if (target instanceof Map) {
    const keys = [...target.keys()];
    target.set(keys.length > 0 ? keys[pick % keys.length] : marker, marker);
  } else if (target instanceof Set) {
    const members = [...target];
    if (members.length > 0) target.delete(members[pick % members.length]);
    target.add(marker);
  } else if (Array.isArray(target)) {
    if (target.length > 0) target[pick % target.length] = marker;
    else target.push(marker);
  } else {
    const keys = Object.keys(target);
    const k = keys.length > 0 ? (keys[pick % keys.length] as string) : 'added';
    Object.defineProperty(target, k, {
      value: marker,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
}
