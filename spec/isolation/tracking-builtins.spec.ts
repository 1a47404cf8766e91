import { types } from 'node:util';
import { beginTracking, endTracking, toRaw, tracked } from '../../lib/isolation/tracking';
import { viewOf } from '../../lib/isolation/views';
import { describe as describeGraph, expectCode, expectSameGraph, inAction } from './helpers';

const isProxy = (v: unknown): boolean => types.isProxy(v);

describe('tracking proxies of built-ins', () => {
  it('Map: reads hand out tracked values; set/delete/clear roll back with order kept', () => {
    const a = { n: 1 };
    const keyObj = { key: true };
    const raw = new Map<unknown, unknown>([
      ['a', a],
      [keyObj, 2],
      ['c', 3],
    ]);
    const before = describeGraph(raw);
    const p = tracked(raw);
    expect(p.size).toBe(3);
    expect(p.get('a')).toBe(tracked(a));
    expect(p.has(tracked(keyObj))).toBe(true);
    expect(p.get(tracked(keyObj))).toBe(2);
    const seen: unknown[] = [];
    p.forEach((v, k, m) => seen.push([isProxy(v), isProxy(k), m === p]));
    expect(seen).toEqual([
      [true, false, true],
      [false, true, true],
      [false, false, true],
    ]);
    expect([...p.keys()].map(isProxy)).toEqual([false, true, false]);
    expect([...p.values()].map(isProxy)).toEqual([true, false, false]);
    expect([...p].map(([k, v]) => [isProxy(k), isProxy(v)])).toEqual([
      [false, true],
      [true, false],
      [false, false],
    ]);
    const log = inAction(() => {
      expect(p.set('c', 30)).toBe(p);
      p.set('new', tracked(a));
      (p.get('a') as { n: number }).n = 5;
      expect(p.delete('a')).toBe(true);
      expect(p.delete('missing')).toBe(false);
      p.set('a', 'back at the end');
      p.clear();
      p.set('after', 1);
    });
    expect([...raw.keys()]).toEqual(['after']);
    log.rollback();
    expectSameGraph(raw, before);
  });

  it('Map.set of an existing key keeps its position; a new key is removed on rollback', () => {
    const raw = new Map([
      ['x', 1],
      ['y', 2],
    ]);
    const log = inAction(() => {
      tracked(raw).set('x', 10).set('z', 3);
    });
    expect([...raw]).toEqual([
      ['x', 10],
      ['y', 2],
      ['z', 3],
    ]);
    expect(log.size).toBe(2);
    log.rollback();
    expect([...raw]).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('Set: add/delete/clear roll back with order kept; members come out tracked', () => {
    const member = { m: 1 };
    const raw = new Set<unknown>([1, member, 'three']);
    const before = describeGraph(raw);
    const p = tracked(raw);
    expect(p.has(tracked(member))).toBe(true);
    expect([...p].map(isProxy)).toEqual([false, true, false]);
    expect([...p.entries()].map(([a, b]) => isProxy(a) && a === b)).toEqual([false, true, false]);
    p.forEach((v, v2, s) => expect([v === v2, s === p]).toEqual([true, true]));
    const log = inAction(() => {
      p.add(4).add(1);
      p.delete(1);
      p.add(1);
      p.clear();
      p.add(tracked(member));
    });
    expect([...raw]).toEqual([member]);
    log.rollback();
    expectSameGraph(raw, before);
  });

  it('Date: setters record the time', () => {
    const raw = new Date(1_000_000);
    const p = tracked(raw);
    expect(p.getTime()).toBe(1_000_000);
    expect(p.toISOString()).toBe(raw.toISOString());
    expect(p instanceof Date).toBe(true);
    const log = inAction(() => {
      p.setFullYear(2030);
      p.setUTCHours(5);
      p.setTime(NaN);
    });
    expect(p.getTime()).toBeNaN();
    log.rollback();
    expect(raw.getTime()).toBe(1_000_000);
  });

  it('typed arrays: index writes and mutators roll back; callbacks see the proxy', () => {
    const raw = new Int16Array([5, -3, 9, 1]);
    const before = describeGraph(raw);
    const p = tracked(raw);
    expect(p.length).toBe(4);
    expect(p.byteLength).toBe(8);
    p.forEach((_v, _i, arr) => expect(arr).toBe(p));
    expect(p.reduce((acc, _v, _i, arr) => acc && arr === p, true)).toBe(true);
    expect(isProxy(p.map((x) => x * 2))).toBe(false);
    expect(isProxy(p.subarray(1))).toBe(true);
    expect(isProxy(p.buffer)).toBe(true);
    const log = inAction(() => {
      p[0] = 100;
      p[99] = 1; // out of range: ignored
      p.sort();
      p.reverse();
      p.fill(7, 2);
      p.set([1, 2], 1);
      p.copyWithin(0, 2);
      p.subarray(2)[0] = 42;
    });
    expect(raw[2]).toBe(42);
    log.rollback();
    expectSameGraph(raw, before);
  });

  it('Buffer: reads and write methods', () => {
    const raw = Buffer.from('hello');
    const p = tracked(raw);
    expect(p.toString()).toBe('hello');
    expect(p.toString('hex')).toBe(raw.toString('hex'));
    expect(Buffer.isBuffer(p)).toBe(true);
    expect(p.equals(Buffer.from('hello'))).toBe(true);
    expect(p.readUInt8(0)).toBe(104);
    const log = inAction(() => {
      p.write('J');
      p.writeUInt8(33, 4);
      p.slice(1, 2)[0] = 0x41; // Buffer#slice shares memory: still tracked
    });
    expect(raw.toString('latin1')).toBe('JAll!');
    log.rollback();
    expect(raw.toString()).toBe('hello');
  });

  it("Buffer: copy() into another state buffer and Node's utf8Write, latin1Write, … roll back (regression (red team): they wrote the raw bytes unrecorded, so @abortOnException kept them)", () => {
    const raw = { a: Buffer.from('aaaa'), b: Buffer.from('bbbb') };
    const p = tracked(raw);
    const mine = Buffer.alloc(4);
    const writers = ['utf8Write', 'latin1Write', 'asciiWrite', 'hexWrite', 'ucs2Write'];
    const log = inAction(() => {
      p.a.copy(p.b, 0, 0, 2);
      p.a.copy(mine);
      for (const w of writers) (p.a as unknown as Record<string, (s: string) => number>)[w]!('00');
    });
    expect(raw.b.toString()).toBe('aabb');
    expect(raw.a.toString()).not.toBe('aaaa');
    expect(mine.toString()).toBe('aaaa');
    log.rollback();
    expect([raw.a.toString(), raw.b.toString()]).toEqual(['aaaa', 'bbbb']);
  });

  it('SharedArrayBuffer: grow() is refused in actions and on views (regression (review): it ran as a read, was not rolled back, and a view could grow the state)', () => {
    // Growable SharedArrayBuffers are ES2024: typed loosely here.
    type Growable = { grow(n: number): void; byteLength: number };
    const Shared = SharedArrayBuffer as unknown as new (n: number, o: object) => Growable;
    const raw = {
      b: new Uint8Array(new Shared(4, { maxByteLength: 16 }) as unknown as ArrayBuffer),
    };
    const p = tracked(raw);
    inAction(() => {
      expectCode(() => (p.b.buffer as unknown as Growable).grow(8), 'READONLY_VIOLATION');
    });
    expectCode(() => (viewOf(raw).b.buffer as unknown as Growable).grow(8), 'READONLY_VIOLATION');
    expect(raw.b.buffer.byteLength).toBe(4);
  });

  it('DataView and ArrayBuffer', () => {
    const buffer = new ArrayBuffer(8);
    const raw = { dv: new DataView(buffer), buffer };
    new DataView(buffer).setInt32(0, 77);
    const before = describeGraph(raw);
    const p = tracked(raw);
    expect(p.dv.getInt32(0)).toBe(77);
    expect(p.buffer.byteLength).toBe(8);
    expect(isProxy(p.buffer.slice(0))).toBe(false);
    expect(toRaw(p.dv.buffer)).toBe(buffer);
    const log = inAction(() => {
      p.dv.setInt32(0, -1);
      p.dv.setFloat64(0, 1.5);
    });
    log.rollback();
    expectSameGraph(raw, before);
  });

  it('RegExp: lastIndex moved by exec/test and compile() roll back', () => {
    const raw = /o/g;
    const p = tracked(raw);
    expect(p.source).toBe('o');
    expect(p.flags).toBe('g');
    const log = inAction(() => {
      expect(p.test('foo')).toBe(true);
      expect(p.exec('foo')?.index).toBe(2);
      expect('foo'.replace(p, '0')).toBe('f00');
      p.compile('x', 'i');
    });
    expect(raw.source).toBe('x');
    log.rollback();
    expect([raw.source, raw.flags, raw.lastIndex]).toEqual(['o', 'g', 0]);
    const plain = tracked(/o/);
    expect(plain.test('o')).toBe(true); // no tracking needed: lastIndex is not touched
  });

  it('subclasses keep their own methods, called with the proxy as this', () => {
    class Registry extends Map<string, { name: string }> {
      register(name: string): void {
        this.set(name, { name });
      }
      get names(): string[] {
        return [...this.keys()];
      }
    }
    const raw = new Registry();
    const p = tracked(raw);
    const log = inAction(() => p.register('x'));
    expect(p.names).toEqual(['x']);
    expect(log.size).toBe(1);
    log.rollback();
    expect(raw.size).toBe(0);
  });

  it('escaped built-in proxies refuse mutators', () => {
    const raw = { s: new Set([1]), b: new Uint8Array(2), re: /a/g };
    beginTracking();
    const p = tracked(raw);
    endTracking();
    expectCode(() => p.s.add(2), 'READONLY_VIOLATION');
    expectCode(() => p.s.clear(), 'READONLY_VIOLATION');
    expectCode(() => (p.b[0] = 1), 'READONLY_VIOLATION');
    expectCode(() => p.b.fill(1), 'READONLY_VIOLATION');
    expectCode(() => p.re.test('a'), 'READONLY_VIOLATION');
    expect([...raw.s, ...raw.b, raw.re.lastIndex]).toEqual([1, 0, 0, 0]);
  });
});
