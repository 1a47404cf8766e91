import { DateTime } from 'luxon';
import { ABSENT, firstDifference, firstDifferenceAt, valueAt } from '../../lib/codec/equal';
import { Page, viaGraph } from './fixtures';
import { kindSamples } from './samples';

describe('firstDifference', () => {
  it.each(kindSamples())('finds no difference between two builds of %s', (_name, make) => {
    expect(firstDifference(make(), make())).toBeUndefined();
  });

  it('names the path of the first difference', () => {
    const a = { pages: { home: { history: ['a', 'b', 'c', 'd'] } } };
    const b = { pages: { home: { history: ['a', 'b', 'c', 'e'] } } };
    // Regression (outside acceptance probe): a plain page in a dictionary gave `["history"]`.
    expect(firstDifference(a, b)).toBe('pages["home"].history[3]: "d" !== "e"');
    class Page {
      constructor(readonly history: string[]) {}
    }
    const where = firstDifferenceAt(
      { pages: { home: new Page(['a', 'b', 'c', 'd']) } },
      { pages: { home: new Page(['a', 'b', 'c', 'e']) } },
    );
    // The issue's own example: a dictionary's key in brackets, a class instance's property after a dot.
    expect(where).toMatchObject({ path: 'pages["home"].history[3]', reason: '"d" !== "e"' });
  });

  it("reads only a plain object in a field of the root or of a class instance as a dictionary (regression (outside acceptance probe): every plain object below the root was, so a plain page's fields were bracketed)", () => {
    class Account {
      constructor(readonly counts: Record<string, Record<string, number>>) {}
    }
    const cases: [unknown, unknown, string][] = [
      [{ users: [{ name: 'a' }] }, { users: [{ name: 'b' }] }, 'users[0].name'],
      [
        { pages: new Map([['home', { title: 'a' }]]) },
        { pages: new Map([['home', { title: 'b' }]]) },
        'pages.get("home").title',
      ],
      [
        { counts: { alice: { mon: 1, '2024-01-01': 1 } } },
        { counts: { alice: { mon: 2, '2024-01-01': 1 } } },
        'counts["alice"].mon',
      ],
      [
        { counts: { alice: { mon: 1, '2024-01-01': 1 } } },
        { counts: { alice: { mon: 1, '2024-01-01': 2 } } },
        'counts["alice"]["2024-01-01"]',
      ],
      [
        { acct: new Account({ bob: { x: 1 } }) },
        { acct: new Account({ bob: { x: 2 } }) },
        'acct.counts["bob"].x',
      ],
    ];
    for (const [a, b, path] of cases) expect(firstDifferenceAt(a, b)?.path).toBe(path);
  });

  it('formats non-identifier keys, Map values and Set members', () => {
    expect(firstDifference({ pages: { 'a b': 1 } }, { pages: { 'a b': 2 } })).toBe(
      'pages["a b"]: 1 !== 2',
    );
    expect(firstDifference(new Map([['k', 1]]), new Map([['k', 2]]))).toBe('get("k"): 1 !== 2');
    expect(firstDifference({ s: new Set([1, 2, 3]) }, { s: new Set([1, 2, 4]) })).toBe(
      's{2}: 3 !== 4',
    );
    expect(firstDifference(1, 2)).toBe(': 1 !== 2');
  });

  it('reports the first difference in depth-first order', () => {
    const diff = firstDifference({ a: { x: 1 }, b: 2 }, { a: { x: 9 }, b: 3 });
    expect(diff).toMatch(/^a\["x"\]:/);
  });

  it.each<[string, unknown, unknown, RegExp]>([
    ['key order', { a: 1, b: 2 }, { b: 2, a: 1 }, /property #0/],
    ['undefined vs absent', { a: undefined }, {}, /"a" is absent in the second/],
    ['-0 vs 0', { n: -0 }, { n: 0 }, /^n: -0 !== 0/],
    ['NaN vs number', [NaN], [1], /^\[0\]: NaN !== 1/],
    ['BigInt vs number', [1n], [1], /1n !== 1/],
    ['string vs number', ['1'], [1], /"1" !== 1/],
    ['null vs undefined', [null], [undefined], /null !== undefined/],
    ['prototypes', new Page('x'), { title: 'x', history: [] }, /different prototypes/],
    ['null prototype', Object.create(null) as object, {}, /different prototypes/],
    ['array length', [1, 2], [1], /array length 2 !== 1/],
    ['Date time', new Date(1), new Date(2), /Date/],
    ['invalid Date', new Date(NaN), new Date(0), /invalid/],
    ['RegExp flags', /a/g, /a/i, /\/a\/g !== \/a\/i/],
    ['RegExp source', /a/, /b/, /\/a\/ !== \/b\//],
    [
      'Map order',
      new Map([
        [1, 1],
        [2, 2],
      ]),
      new Map([
        [2, 2],
        [1, 1],
      ]),
      /^keys\(\)\[0\]: 1 !== 2/,
    ],
    ['Map size', new Map([[1, 1]]), new Map(), /Map size 1 !== 0/],
    ['Set order', new Set([1, 2]), new Set([2, 1]), /^\{0\}: 1 !== 2/],
    ['typed array contents', new Int32Array([1, 2]), new Int32Array([1, 3]), /byte 4/],
    ['typed array type', new Int8Array([1]), new Uint8Array([1]), /different prototypes/],
    ['typed array length', new Uint8Array([1]), new Uint8Array([1, 0]), /byte length 1 !== 2/],
    ['Float64 NaN vs -0', new Float64Array([NaN]), new Float64Array([-0]), /bytes differ/],
    ['Buffer vs Uint8Array', Buffer.from([1]), new Uint8Array([1]), /different prototypes/],
    ['ArrayBuffer bytes', new Uint8Array([1]).buffer, new Uint8Array([2]).buffer, /bytes differ/],
    [
      'DateTime millis',
      DateTime.fromMillis(1, { zone: 'utc' }),
      DateTime.fromMillis(2, { zone: 'utc' }),
      /DateTime/,
    ],
    [
      'DateTime zone',
      DateTime.fromMillis(1, { zone: 'Europe/Paris' }),
      DateTime.fromMillis(1, { zone: 'Asia/Tokyo' }),
      /zone Europe\/Paris !== Asia\/Tokyo/,
    ],
    [
      'DateTime in the system zone vs a zone of the same name',
      DateTime.fromMillis(1),
      DateTime.fromMillis(1, { zone: DateTime.fromMillis(1).zoneName ?? 'UTC' }),
      /zone system !== /,
    ],
    ['DateTime validity', DateTime.invalid('x'), DateTime.fromMillis(0), /validity/],
    ['function identity', [() => 1], [() => 1], /function/],
  ])('notices %s', (_name, a, b, reason) => {
    expect(firstDifference(a, b)).toMatch(reason);
    expect(firstDifference(b, a)).toBeDefined();
  });

  it('treats NaN as equal to NaN', () => {
    expect(firstDifference([NaN, new Date(NaN)], [NaN, new Date(NaN)])).toBeUndefined();
  });

  it('tells an array hole from an undefined element (regression: holes counted as undefined)', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(firstDifference([1, , 3], [1, undefined, 3])).toBe('[1]: a hole !== undefined');
    // eslint-disable-next-line no-sparse-arrays
    expect(firstDifference({ a: [undefined] }, { a: [,] })).toBe('a[0]: undefined !== a hole');
    // eslint-disable-next-line no-sparse-arrays
    expect(firstDifference([, 1, , ,], [, 1, , ,])).toBeUndefined();
    // eslint-disable-next-line no-sparse-arrays
    expect(firstDifferenceAt([0, undefined], [0, ,])?.at).toEqual([{ index: 1 }]);
  });

  it('sees a hole as absent when following steps (verifyReplay looks for the action that made it)', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(valueAt([1, , 3], [{ index: 1 }])).toBe(ABSENT);
    expect(valueAt([1, undefined, 3], [{ index: 1 }])).toBeUndefined();
  });

  it('compares the structure of shared references', () => {
    const o = { x: 1 };
    expect(firstDifference([o, o], [{ x: 1 }, { x: 1 }])).toMatch(/^\[1\]: shared references/);
    expect(firstDifference([{ x: 1 }, { x: 1 }], [o, o])).toMatch(/^\[1\]: shared references/);
    const p = { x: 1 };
    expect(firstDifference([o, o], [p, p])).toBeUndefined();
    expect(firstDifference([o, p], [o, p])).toBeUndefined();
  });

  it('compares cycles', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    const b: Record<string, unknown> = { n: 1 };
    b.self = b;
    expect(firstDifference(a, b)).toBeUndefined();
    const c: Record<string, unknown> = { n: 1, self: { n: 1 } };
    (c.self as Record<string, unknown>).self = c;
    expect(firstDifference(a, c)).toMatch(/^self: shared references/);
  });

  it('agrees with a decoded copy and differs after a change', () => {
    const state = { pages: new Map([['home', new Page('home')]]) };
    const copy = viaGraph(state) as typeof state;
    expect(firstDifference(state, copy)).toBeUndefined();
    copy.pages.get('home')?.history.push('edit');
    expect(firstDifference(state, copy)).toBe('pages.get("home").history: array length 0 !== 1');
  });
});
