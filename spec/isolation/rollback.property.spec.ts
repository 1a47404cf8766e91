import fc from 'fast-check';
import { tracked } from '../../lib/isolation/tracking';
import { describe as describeGraph, expectSameGraph, findProxies, inAction } from './helpers';

class Account {
  history: number[] = [];
  constructor(
    public owner: string,
    public balance: number,
  ) {}
  get label(): string {
    return `${this.owner}:${this.balance}`;
  }
  set label(v: string) {
    this.owner = v;
    this.history.push(v.length);
  }
  deposit(n: number): void {
    this.balance += n;
    this.history.push(n);
  }
}

function makeState() {
  const shared = { shared: true };
  const arr: unknown[] = [1, { n: 2 }, 'three', shared];
  arr[6] = 'after a hole';
  const bare = Object.create(null) as Record<string, unknown>;
  Object.assign(bare, { p: 1, q: shared });
  return {
    obj: { a: 1, b: 'x', c: { deep: 0 }, d: shared } as Record<string, unknown>,
    arr,
    map: new Map<unknown, unknown>([
      ['k1', { v: 1 }],
      ['k2', 2],
      [3, shared],
    ]),
    set: new Set<unknown>([1, 'two', shared]),
    date: new Date(1_000_000_000_000),
    bytes: new Uint8Array([5, 3, 9, 1, 7]),
    f64: new Float64Array([1.5, -2, 0]),
    buf: Buffer.from('hello'),
    account: new Account('ann', 10),
    bare,
    re: /o/g,
  };
}
type State = ReturnType<typeof makeState>;

type ValueSpec =
  | { t: 'num'; n: number }
  | { t: 'str'; s: string }
  | { t: 'undef' }
  | { t: 'fresh' }
  | { t: 'ref'; i: number };

const valueArb: fc.Arbitrary<ValueSpec> = fc.oneof(
  fc.record({ t: fc.constant('num' as const), n: fc.integer({ min: -5, max: 50 }) }),
  fc.record({ t: fc.constant('str' as const), s: fc.string({ maxLength: 3 }) }),
  fc.constant({ t: 'undef' as const }),
  fc.constant({ t: 'fresh' as const }),
  fc.record({ t: fc.constant('ref' as const), i: fc.nat(4) }),
);

/** Turns a value spec into a value for state `s` (references into `s` are proxies when `s` is). */
function value(spec: ValueSpec, s: State): unknown {
  switch (spec.t) {
    case 'num':
      return spec.n;
    case 'str':
      return spec.s;
    case 'undef':
      return undefined;
    case 'fresh':
      return { fresh: [s.obj['c'], { inner: s.account }], m: new Map([[1, s.obj['d']]]) };
    case 'ref':
      return [s.obj['c'], s.arr[1], s.account, s.map.get('k1'), s.obj['d']][spec.i];
  }
}

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const mapKey = fc.constantFrom<unknown>('k1', 'k2', 'k3', 3, 4);
const small = fc.integer({ min: 0, max: 12 });
const byte = fc.integer({ min: 0, max: 255 });

const opArb = fc.oneof(
  fc.tuple(fc.constant('objSet'), key, valueArb),
  fc.tuple(fc.constant('objDelete'), key),
  fc.tuple(fc.constant('objDefine'), key, valueArb, fc.boolean()),
  fc.tuple(fc.constant('deep'), small),
  fc.tuple(fc.constant('arrPush'), valueArb),
  fc.tuple(fc.constant('arrPop')),
  fc.tuple(fc.constant('arrShift')),
  fc.tuple(fc.constant('arrUnshift'), valueArb),
  fc.tuple(fc.constant('arrSplice'), small, fc.nat(3), valueArb),
  fc.tuple(fc.constant('arrSort')),
  fc.tuple(fc.constant('arrReverse')),
  fc.tuple(fc.constant('arrLength'), small),
  fc.tuple(fc.constant('arrIndex'), small, valueArb),
  fc.tuple(fc.constant('arrDelete'), small),
  fc.tuple(fc.constant('arrFill'), valueArb, small),
  fc.tuple(fc.constant('arrCopyWithin'), small, small),
  fc.tuple(fc.constant('arrEach'), small),
  fc.tuple(fc.constant('arrFind'), small),
  fc.tuple(fc.constant('arrFilterPush')),
  fc.tuple(fc.constant('arrMapStore')),
  fc.tuple(fc.constant('mapSet'), mapKey, valueArb),
  fc.tuple(fc.constant('mapDelete'), mapKey),
  fc.tuple(fc.constant('mapClear')),
  fc.tuple(fc.constant('mapNested'), small),
  fc.tuple(fc.constant('setAdd'), valueArb),
  fc.tuple(fc.constant('setDelete'), valueArb),
  fc.tuple(fc.constant('setClear')),
  fc.tuple(fc.constant('dateSet'), fc.integer({ min: -1e12, max: 4e12 })),
  fc.tuple(fc.constant('dateYear'), fc.integer({ min: 1900, max: 2100 })),
  fc.tuple(fc.constant('bytesIndex'), fc.nat(6), byte),
  fc.tuple(fc.constant('bytesFill'), byte, fc.nat(5)),
  fc.tuple(fc.constant('bytesSort')),
  fc.tuple(fc.constant('bytesReverse')),
  fc.tuple(fc.constant('bytesSet'), fc.array(byte, { maxLength: 3 }), fc.nat(4)),
  fc.tuple(fc.constant('bytesCopyWithin'), fc.nat(5), fc.nat(5)),
  fc.tuple(fc.constant('f64Index'), fc.nat(3), fc.double()),
  fc.tuple(fc.constant('bufWrite'), fc.string({ maxLength: 4 }), fc.nat(4)),
  fc.tuple(fc.constant('deposit'), small),
  fc.tuple(fc.constant('label'), fc.string({ maxLength: 3 })),
  fc.tuple(fc.constant('bareSet'), key, valueArb),
  fc.tuple(fc.constant('bareDelete'), key),
  fc.tuple(fc.constant('reTest'), fc.constantFrom('foo', 'bar', 'o')),
);
type Op = [string, ...any[]];

function apply(s: State, [name, x, y, z]: Op): void {
  const arr = s.arr as any[];
  switch (name) {
    case 'objSet':
      return void (s.obj[x] = value(y, s));
    case 'objDelete':
      return void delete s.obj[x];
    case 'objDefine':
      return void Object.defineProperty(s.obj, x, {
        value: value(y, s),
        enumerable: z,
        configurable: true,
        writable: true,
      });
    case 'deep': {
      const c = s.obj['c'];
      if (typeof c === 'object' && c !== null) (c as Record<string, unknown>)['deep'] = x;
      return;
    }
    case 'arrPush':
      return void arr.push(value(x, s));
    case 'arrPop':
      return void arr.pop();
    case 'arrShift':
      return void arr.shift();
    case 'arrUnshift':
      return void arr.unshift(value(x, s));
    case 'arrSplice':
      return void arr.splice(x, y, value(z, s));
    case 'arrSort':
      return void arr.sort();
    case 'arrReverse':
      return void arr.reverse();
    case 'arrLength':
      return void (arr.length = x);
    case 'arrIndex':
      return void (arr[x] = value(y, s));
    case 'arrDelete':
      return void delete arr[x];
    case 'arrFill':
      return void arr.fill(value(x, s), y);
    case 'arrCopyWithin':
      return void arr.copyWithin(x, y);
    case 'arrEach':
      return arr.forEach((v, i, a) => {
        if (typeof v === 'object' && v !== null) v.seen = x + i;
        if (i === 0 && a.length < 12) a.push(x);
      });
    case 'arrFind': {
      const found = arr.find((v) => typeof v === 'object' && v !== null);
      if (found) found.found = x;
      return;
    }
    case 'arrFilterPush':
      return void arr.push(...arr.filter((v) => typeof v !== 'number'));
    case 'arrMapStore':
      return void (s.obj['mapped'] = arr.map((v, i) => [v, i]));
    case 'mapSet':
      return void s.map.set(x, value(y, s));
    case 'mapDelete':
      return void s.map.delete(x);
    case 'mapClear':
      return s.map.clear();
    case 'mapNested': {
      const v = s.map.get('k1');
      if (typeof v === 'object' && v !== null) (v as Record<string, unknown>)['v'] = x;
      return;
    }
    case 'setAdd':
      return void s.set.add(value(x, s));
    case 'setDelete':
      return void s.set.delete(value(x, s));
    case 'setClear':
      return s.set.clear();
    case 'dateSet':
      return void s.date.setTime(x);
    case 'dateYear':
      return void s.date.setFullYear(x);
    case 'bytesIndex':
      return void (s.bytes[x] = y);
    case 'bytesFill':
      return void s.bytes.fill(x, y);
    case 'bytesSort':
      return void s.bytes.sort();
    case 'bytesReverse':
      return void s.bytes.reverse();
    case 'bytesSet':
      return s.bytes.set(x, y);
    case 'bytesCopyWithin':
      return void s.bytes.copyWithin(x, y);
    case 'f64Index':
      return void (s.f64[x] = y);
    case 'bufWrite':
      return void s.buf.write(x, y);
    case 'deposit':
      return s.account.deposit(x);
    case 'label':
      return void (s.account.label = x);
    case 'bareSet':
      return void (s.bare[x] = value(y, s));
    case 'bareDelete':
      return void delete s.bare[x];
    case 'reTest':
      return void s.re.test(x);
  }
  throw new Error(`unknown op ${name}`);
}

/** Applies the ops, ignoring errors the ops themselves raise (e.g. a RangeError of TypedArray.set). */
function applyAll(s: State, ops: Op[]): string[] {
  const errors: string[] = [];
  for (const op of ops) {
    try {
      apply(s, op);
    } catch (err) {
      errors.push(err instanceof Error ? err.constructor.name : String(err));
    }
  }
  return errors;
}

const opsArb = fc.array(opArb, { maxLength: 25 }) as fc.Arbitrary<Op[]>;

describe('rollback exactness (property-based)', () => {
  it('rollback restores the state exactly, same objects and key order included', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const raw = makeState();
        const before = describeGraph(raw);
        const log = inAction(() => applyAll(tracked(raw), ops));
        log.rollback();
        expectSameGraph(raw, before);
      }),
      { numRuns: 400 },
    );
  });

  it('changes through tracking proxies equal the same changes made on raw objects, without proxies', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const viaProxy = makeState();
        const direct = makeState();
        let proxyErrors: string[] = [];
        inAction(() => {
          proxyErrors = applyAll(tracked(viaProxy), ops);
        });
        const directErrors = applyAll(direct, ops);
        expect(proxyErrors).toEqual(directErrors);
        expect(findProxies(viaProxy)).toEqual([]);
        expect(describeGraph(viaProxy).shape).toEqual(describeGraph(direct).shape);
      }),
      { numRuns: 300 },
    );
  });

  it('the graph comparison itself notices key order, holes, Map order and replaced objects', () => {
    const variants: Array<(s: State) => void> = [
      (s) => {
        const b = s.obj['b'];
        delete s.obj['b'];
        s.obj['b'] = b;
      },
      (s) => (s.arr[4] = undefined),
      (s) => {
        const v = s.map.get('k1');
        s.map.delete('k1');
        s.map.set('k1', v);
      },
      (s) => (s.obj['c'] = { deep: 0 }),
      (s) => Object.defineProperty(s.obj, 'a', { enumerable: false }),
      (s) => (s.bytes[0] = 6),
    ];
    for (const change of variants) {
      const raw = makeState();
      const before = describeGraph(raw);
      change(raw);
      expect(() => expectSameGraph(raw, before)).toThrow();
    }
  });
});
