import { DateTime, Settings } from 'luxon';
import { firstDifference } from '../../lib/codec/equal';
import { encodeGraph, GraphDecoder } from '../../lib/codec/graph';
import { ClassRegistry } from '../../lib/codec/registry';
import {
  constructed,
  decodeLines,
  graphLines,
  ListNode,
  makeRegistry,
  Page,
  thrown,
  viaTree,
  viaGraph,
} from './fixtures';
import { kindSamples } from './samples';

describe('graph encoding', () => {
  describe.each(kindSamples())('%s', (_name, make) => {
    it('round-trips exactly, as root and inside containers', () => {
      const value = make();
      expect(firstDifference(value, viaGraph(value))).toBeUndefined();
      const wrapped = { a: [value], m: new Map([[1, value]]) };
      expect(firstDifference(wrapped, viaGraph(wrapped))).toBeUndefined();
    });
  });

  it('writes one line per container, breadth-first, kind at first reference', () => {
    const state = { a: [1, { deep: true }], p: new Page('home'), d: new Date(5) };
    expect(graphLines(state)).toEqual([
      '["o","a",[1,"a"],"p",[2,"c","Page"],"d",[3,"d",5]]',
      '["a",1,[4,"o"]]',
      '["c","Page","title","home","history",[5,"a"]]',
      '["o","deep",true]',
      '["a"]',
    ]);
  });

  it('reports the number of objects, leaves included', () => {
    const stats = encodeGraph({ d: new Date(1), a: [] }, makeRegistry(), () => {});
    expect(stats).toEqual({ objects: 3 });
  });

  it('writes a single line for a primitive or leaf root', () => {
    expect(graphLines('x')).toEqual(['["v","x"]']);
    expect(graphLines(undefined)).toEqual(['["v",["u"]]']);
    expect(graphLines(-0)).toEqual(['["v",["-0"]]']);
    expect(graphLines(new Date(9))).toEqual(['["v",[0,"d",9]]']);
  });

  it('keeps identity of shared containers, shared leaves and cycles', () => {
    const date = new Date(1);
    const bytes = Buffer.from('ab');
    const key = { k: 1 };
    const root: Record<string, unknown> = { date, bytes, key };
    root.self = root;
    root.again = [date, bytes, key];
    root.map = new Map([[key, key]]);
    root.set = new Set([key]);
    const back = viaGraph(root) as Record<string, unknown>;
    expect(back.self).toBe(back);
    expect(back.again).toEqual([back.date, back.bytes, back.key]);
    const [mapKey, mapValue] = [...(back.map as Map<unknown, unknown>)][0] ?? [];
    expect(mapKey).toBe(back.key);
    expect(mapValue).toBe(back.key);
    expect([...(back.set as Set<unknown>)][0]).toBe(back.key);
    expect(Buffer.isBuffer(back.bytes)).toBe(true);
  });

  it('restores class instances without running their constructor', () => {
    const before = constructed.count;
    const back = viaGraph([new Page('a')]) as Page[];
    expect(constructed.count).toBe(before + 1);
    expect(back[0]).toBeInstanceOf(Page);
    expect(back[0]?.size).toBe(0);
  });

  it('gives every decoded instance its class prototype and only its stored properties', () => {
    // Enough instances for the engine to change how it allocates them midway.
    const objects = Array.from({ length: 5000 }, (_, i) =>
      i % 3 === 0 ? new ListNode(i) : i % 3 === 1 ? new Page(`p${i}`) : { i },
    );
    const back = viaGraph(objects) as object[];
    expect(back).toHaveLength(objects.length);
    back.forEach((obj, i) => {
      const original = objects[i] as object;
      expect(Object.getPrototypeOf(obj)).toBe(Object.getPrototypeOf(original));
      expect(Reflect.ownKeys(obj)).toEqual(Reflect.ownKeys(original));
    });
    expect(firstDifference(objects, back)).toBeUndefined();
  });

  describe('determinism', () => {
    function build(): unknown {
      const shared = { s: [1n, NaN] };
      return {
        z: new Map<unknown, unknown>([
          [shared, 'v'],
          ['b', new Set([shared, 2])],
        ]),
        a: [shared, new Page('p'), new Float64Array([1, -0])],
      };
    }

    it('gives identical lines for equal states', () => {
      expect(graphLines(build())).toEqual(graphLines(build()));
    });

    it('re-encodes decoded lines to the same lines', () => {
      const lines = graphLines(build());
      expect(graphLines(decodeLines(lines))).toEqual(lines);
    });
  });

  it('hands each line to emit separately, never joined', () => {
    const lines = graphLines(Array.from({ length: 1000 }, (_, i) => ({ i })));
    expect(lines).toHaveLength(1001);
    expect(Math.max(...lines.slice(1).map((l) => l.length))).toBeLessThan(20);
  });

  describe('corrupt input', () => {
    const good = graphLines({ a: [1, { b: 2 }], p: new Page('x') });

    it.each<[string, string[]]>([
      ['no lines', []],
      ['a missing last line', good.slice(0, -1)],
      ['an extra line', [...good, '["o"]']],
      ['a line after a value root', ['["v",1]', '["o"]']],
      ['invalid JSON', [good[0] as string, '["a",1,']],
      ['a line that is not an array', ['{"a":1}']],
      ['an empty line array', ['[]']],
      ['a line of the wrong kind', [good[0] as string, '["o"]', ...good.slice(2)]],
      ['a reference to an unknown object', ['["o","a",[7]]']],
      ['an object id out of order', ['["o","a",[3,"o"]]', '["o"]']],
      ['an unknown value tag', ['["a",["?"]]']],
      ['a JSON object as value', ['["a",{"x":1}]']],
      ['a key without value', ['["o","a"]']],
      ['a non-string key', ['["o",1,2]']],
      ['a malformed leaf', ['["a",[1,"d","yesterday"]]']],
      ['an unknown root kind', ['["q"]']],
    ])('throws SNAPSHOT_CORRUPT on %s', (_name, lines) => {
      expect(thrown(() => decodeLines(lines)).code).toBe('SNAPSHOT_CORRUPT');
    });

    it('throws UNKNOWN_CLASS for an unregistered class name', () => {
      const err = thrown(() => decodeLines(good, new ClassRegistry()));
      expect(err.code).toBe('UNKNOWN_CLASS');
      expect(err.message).not.toMatch(/minifier/);
    });

    // From an upgrade review: a minified build stored `t`, and the message advised @persistent('t').
    it("says a one- or two-character class name may be a minifier's", () => {
      expect(() => new ClassRegistry().require('t')).toThrow(
        /a short name like this one may be a minifier's, which changes with every build: give each stored class a fixed @persistent\('Name'\)/,
      );
    });

    it('names the line in the message', () => {
      const decoder = new GraphDecoder(makeRegistry());
      decoder.push(good[0] as string);
      expect(thrown(() => decoder.push('nope')).message).toContain('object line 2');
    });
  });
});

// Regression (fidelity red team): a RegExp's lastIndex was not kept (see spec/system/fidelity.spec.ts).
describe("a RegExp's lastIndex in the encodings", () => {
  const at = (value: number): RegExp => {
    const re = /x/gy;
    re.lastIndex = value;
    return re;
  };

  it('is written after source and flags unless it is 0, and read back, special numbers too', () => {
    expect(graphLines(at(0))).toEqual(['["v",[0,"r","x","gy"]]']);
    expect(graphLines(at(7))).toEqual(['["v",[0,"r","x","gy",7]]']);
    for (const n of [7, -0, NaN, Infinity, 1.5]) {
      expect(Object.is((viaGraph(at(n)) as RegExp).lastIndex, n)).toBe(true);
      expect(Object.is((viaTree(at(n)) as RegExp).lastIndex, n)).toBe(true);
    }
    // Files written before it was kept have no fifth element: 0.
    expect((decodeLines(['["v",[0,"r","x","g"]]']) as RegExp).lastIndex).toBe(0);
  });

  it('refuses a lastIndex that is not a number, and a malformed one in a file', () => {
    const re = /x/g;
    (re as unknown as { lastIndex: unknown }).lastIndex = 'far';
    expect(thrown(() => graphLines(re)).message).toMatch(
      /NOT_SERIALIZABLE: .*a RegExp whose lastIndex is string, not a number/,
    );
    expect(thrown(() => viaTree({ re })).message).toMatch(/lastIndex is string/);
    expect(thrown(() => decodeLines(['["v",[0,"r","x","g","7"]]'])).message).toMatch(
      /malformed "r"/,
    );
  });
});

// Regression (fidelity red team): a DateTime's locale settings were not kept.
describe("a DateTime's locale settings in the graph encoding", () => {
  // Regression (review of this fix): with Settings.defaultLocale set, a DateTime set to the
  // machine's locale was stored as having none, and came back in the default locale.
  it("keep a locale that is the machine's when luxon's default locale is another", () => {
    const machine = new Intl.DateTimeFormat().resolvedOptions().locale;
    const before = Settings.defaultLocale;
    Settings.defaultLocale = machine.startsWith('fr') ? 'de-DE' : 'fr-FR';
    try {
      const dt = DateTime.fromMillis(5, { zone: 'utc' }).setLocale(machine);
      expect((viaGraph(dt) as DateTime).locale).toBe(machine);
      expect((viaTree(dt) as DateTime).locale).toBe(machine);
      // One in the default locale stores none, and comes back in the default.
      expect(graphLines(DateTime.fromMillis(5, { zone: 'utc' }))).toEqual([
        '["v",[0,"dt",5,"UTC"]]',
      ]);
    } finally {
      Settings.defaultLocale = before;
    }
  });

  it('follow millis and zone only when it has any, and a malformed one is damage', () => {
    const plain = DateTime.fromMillis(5, { zone: 'utc' });
    expect(graphLines(plain)).toEqual(['["v",[0,"dt",5,"UTC"]]']);
    expect(graphLines(plain.setLocale('fr-FR'))).toEqual([
      '["v",[0,"dt",5,"UTC","fr-FR",null,null]]',
    ]);
    expect(thrown(() => decodeLines(['["v",[0,"dt",5,"UTC","fr-FR"]]'])).message).toMatch(
      /malformed "dt"/,
    );
  });
});
