import { encodeArgs, encodeTree } from '../../lib/codec/tree';
import { encodeGraph } from '../../lib/codec/graph';
import { makeRegistry, Page, thrown, Unregistered } from './fixtures';

const registry = makeRegistry();
const ctx = { registry };

class RegisteredMap extends Map<string, number> {}
registry.register(RegisteredMap);

function withGetter(): object {
  const obj = { plain: 1 };
  Object.defineProperty(obj, 'total', { get: () => 1, enumerable: true });
  return obj;
}

// [what, the bad value, words the message must contain]
const cases: [string, () => unknown, string][] = [
  ['a function', () => function handler() {}, 'a function (handler)'],
  ['an arrow function', () => () => 1, 'functions cannot be stored'],
  ['a class', () => Page, 'a function (Page)'],
  ['a symbol', () => Symbol('s'), 'a symbol'],
  ['a WeakMap', () => new WeakMap(), 'a WeakMap'],
  ['a WeakSet', () => new WeakSet(), 'a WeakSet'],
  ['a WeakRef', () => new WeakRef({}), 'a WeakRef'],
  ['a Promise', () => Promise.resolve(1), 'a Promise'],
  ['an Error', () => new TypeError('boom'), 'an Error (TypeError)'],
  [
    'an unregistered class instance',
    () => new Unregistered(),
    'unregistered class Unregistered: register it with @persistent() or options.classes',
  ],
  ['a registered subclass of Map', () => new RegisteredMap(), 'extends a built-in type'],
];

function expectUnstorable(fn: () => unknown, path: string, words: string): void {
  const err = thrown(fn);
  expect(err.code).toBe('NOT_SERIALIZABLE');
  expect(err.message).toContain(`NOT_SERIALIZABLE: ${path} is `);
  expect(err.message).toContain(words);
}

describe('values that cannot be stored', () => {
  describe.each(cases)('%s', (_what, make, words) => {
    it('is named by its path among the arguments (tree)', () => {
      expectUnstorable(
        () => encodeArgs(['ok', { handler: make() }], ctx),
        'args[1].handler',
        words,
      );
    });

    it('is named when it is an argument itself (tree)', () => {
      expectUnstorable(() => encodeArgs([1, 2, make()], ctx), 'args[2]', words);
    });

    it('is named by its path from the root (graph)', () => {
      const state = { pages: new Map([['home', { items: [0, make()] }]]) };
      expectUnstorable(
        () => encodeGraph(state, registry, () => {}),
        'pages.get("home").items[1]',
        words,
      );
    });
  });

  it('names accessor properties (tree and graph)', () => {
    const words = 'an accessor property (getter/setter)';
    expectUnstorable(() => encodeArgs([{ a: [withGetter()] }], ctx), 'args[0].a[0].total', words);
    expectUnstorable(() => encodeGraph({ b: withGetter() }, registry, () => {}), 'b.total', words);
    expectUnstorable(() => encodeGraph(withGetter(), registry, () => {}), 'total', words);
    expectUnstorable(() => encodeArgs([withGetter()], ctx), 'args[0].total', words);
  });

  it('names bad values inside Sets, Map keys and class instances', () => {
    const fn = (): void => {};
    const page = Object.assign(new Page('p'), { 'odd key': fn });
    expectUnstorable(() => encodeArgs([new Set([1, fn])], ctx), 'args[0]{1}', 'a function');
    expectUnstorable(() => encodeArgs([new Map([[fn, 1]])], ctx), 'args[0].keys()[0]', 'function');
    expectUnstorable(() => encodeTree({ page }, ctx), 'page["odd key"]', 'a function');
    expectUnstorable(() => encodeGraph([page], registry, () => {}), '[0]["odd key"]', 'function');
  });

  it('names the root when the whole value is unstorable', () => {
    expectUnstorable(() => encodeTree(Symbol('x'), ctx), 'the value', 'a symbol');
    expectUnstorable(() => encodeGraph(new WeakMap(), registry, () => {}), 'the value', 'WeakMap');
  });

  it('reports arguments nested deeper than the stack as NOT_SERIALIZABLE', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const err = thrown(() => encodeArgs(['x', deep], ctx));
    expect(err.code).toBe('NOT_SERIALIZABLE');
    expect(err.message).toContain('args[1] is nested too deeply');
  });

  it('skips symbol keys and non-enumerable properties instead of failing', () => {
    const obj = { a: 1, [Symbol('s')]: () => 1 };
    Object.defineProperty(obj, 'hidden', { value: () => 1, enumerable: false });
    expect(encodeTree(obj, ctx)).toEqual({ a: 1 });
  });
});
