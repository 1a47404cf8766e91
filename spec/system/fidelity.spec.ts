import * as fs from 'node:fs';
import * as path from 'node:path';
import { DateTime, Settings, type WeekSettings } from 'luxon';
import { initSystem, isPrevalenceError, verifyReplay } from '../../lib';
import type { PrevalentMutable } from '../../lib';
import { firstDifference } from '../../lib/codec/equal';
import { filesIn, freshBasedir, journalRecords } from '../support/tmp';
import { withoutCodePrints } from '../support/code-print';
import { expectCode } from '../isolation/helpers';
import { shopWithDrawnKeys } from '../fixtures/shop-with-drawn-keys';
import { customZone } from '../support/custom-zone';

const SYM = Symbol('tag');

/** Values of each kind, made fresh on each call. */
const BASES: Record<string, () => object> = {
  'a named property on an array': () => [1, 2],
  'a named property on a Map': () => new Map([['k', 1]]),
  'a named property on a Set': () => new Set([1]),
  'a named property on a Date': () => new Date(5),
  'a named property on a RegExp': () => /x/g,
  'a named property on a typed array': () => new Float64Array(2),
  'a named property on a Buffer': () => Buffer.from('ab'),
  'a named property on an ArrayBuffer': () => new ArrayBuffer(4),
  'a symbol key on a plain object': () => ({ a: 1 }),
  'a symbol key on an array': () => [1],
};
/** The own property of each kind that the encodings cannot store. */
const extraOf = (kind: string): object =>
  kind.startsWith('a symbol') ? { [SYM]: 'x' } : { extra: 'x' };
/** Values carrying an own property the encodings cannot store, made fresh on each call. */
const EXTRAS: Record<string, () => object> = Object.fromEntries(
  Object.entries(BASES).map(([kind, base]) => [kind, () => Object.assign(base(), extraOf(kind))]),
);
const KINDS = Object.keys(EXTRAS).map((kind) => [kind]);
const segmentOf = (kind: string): string =>
  kind.startsWith('a symbol') ? '[Symbol(tag)]' : '.extra';

/** A resizable ArrayBuffer (ES2024; the project's lib types predate its options). */
function resizableBuffer(): ArrayBuffer {
  const Resizable = ArrayBuffer as unknown as new (
    length: number,
    options: { maxByteLength: number },
  ) => ArrayBuffer;
  return new Resizable(4, { maxByteLength: 64 });
}

/** An ArrayBuffer whose bytes were transferred away (structuredClone with `transfer`, as postMessage does). */
function detachedBuffer(): ArrayBuffer {
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
}

/** An array of `length` holes but for `value` at `at`. */
function sparse(length: number, at: number, value: unknown): unknown[] {
  const arr: unknown[] = [];
  arr[at] = value;
  arr.length = length;
  return arr;
}

class Shelf {
  v: unknown = null;
  items: Record<string, unknown> = {};
  n = 0;

  /** Builds sparse arrays inside the action: holes at the start, middle and end, and a long run. */
  makeSparse(): void {
    this.items['start'] = sparse(3, 2, 'x');
    this.items['middle'] = [1, , 3]; // eslint-disable-line no-sparse-arrays
    this.items['end'] = sparse(4, 0, { o: 1 });
    this.items['long'] = sparse(100_001, 100_000, 1);
    this.items['undefined'] = [undefined, 1];
  }

  put(key: string, value: unknown): void {
    this.items[key] = value;
  }

  /** Stores a value made inside the action that the encodings cannot store in full. */
  makeExtra(kind: string): void {
    this.v = (EXTRAS[kind] as () => object)();
  }

  /** Stores a value of the kind, which the encodings can store. */
  makeBase(kind: string): void {
    this.v = (BASES[kind] as () => object)();
  }

  /** Gives the stored value a property the encodings cannot store, through `this`. */
  addExtra(kind: string): void {
    Object.assign(this.v as object, extraOf(kind));
  }

  /** The same, with the action catching the refusal. */
  addExtraAndCatch(kind: string): string {
    try {
      Object.assign(this.v as object, extraOf(kind));
      return 'added';
    } catch (err) {
      return (err as Error).message;
    }
  }

  clear(): void {
    this.v = null;
  }

  bump(): number {
    return ++this.n;
  }
}

const open: Array<PrevalentMutable<Shelf>> = [];
function openShelf(dir: string): PrevalentMutable<Shelf> {
  const shelf = initSystem(new Shelf(), { basedir: dir, isolation: 'none' });
  open.push(shelf);
  return shelf;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** The raw state behind a system opened with isolation 'none'. */
function stateOf(shelf: PrevalentMutable<Shelf>): unknown {
  return { v: shelf.v, items: shelf.items, n: shelf.n };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

// Regression: holes came back as undefined after a restart from a snapshot, so the restored
// state differed from the live one (`i in arr`, Object.keys) while a journal replay agreed.
describe('array holes across a restart', () => {
  it.each([
    ['a snapshot', true],
    ['the journal alone', false],
  ])('come back as holes after a restart from %s', async (_from, snapshot) => {
    const dir = freshBasedir();
    const shelf = openShelf(dir);
    shelf.makeSparse();
    shelf.put('argument', sparse(5, 1, 'y'));
    if (snapshot) shelf.takeSnapshot();
    const live = stateOf(shelf);
    expect(1 in (shelf.items['middle'] as unknown[])).toBe(false);
    await shelf.close();

    const again = openShelf(dir);
    expect(firstDifference(stateOf(again), live)).toBeUndefined();
    const middle = again.items['middle'] as unknown[];
    expect([middle.length, 1 in middle, Object.keys(middle)]).toEqual([3, false, ['0', '2']]);
    expect((again.items['long'] as unknown[]).length).toBe(100_001);
    expect(0 in (again.items['undefined'] as unknown[])).toBe(true);
  });

  it('journals a sparse argument with its holes', () => {
    const dir = freshBasedir();
    const shelf = openShelf(dir);
    shelf.put('a', sparse(4, 1, 'y'));
    expect(journalRecords(dir)[0]!.args).toEqual(['a', [{ $: 'hole' }, 'y', { $: 'hole', n: 2 }]]);
    expect(1 in (shelf.items['a'] as unknown[])).toBe(true);
    expect(0 in (shelf.items['a'] as unknown[])).toBe(false);
  });
});

// Regression: these were dropped without a word, as arguments and in snapshots.
describe('own properties the encodings cannot store', () => {
  // Arguments are copies: a resizable buffer arrives as a fixed-size one, live and in replay alike
  // (regression, diff review: it was refused, for no gain).
  it('passes a resizable ArrayBuffer argument as a fixed-size copy, live and in replay', async () => {
    const dir = freshBasedir();
    const shelf = openShelf(dir);
    shelf.put('buf', resizableBuffer());
    const stored = shelf.items['buf'] as ArrayBuffer & { resizable?: boolean };
    expect([stored.byteLength, stored.resizable]).toEqual([4, false]);
    const live = stateOf(shelf);
    await shelf.close();
    const again = openShelf(dir);
    expect(firstDifference(stateOf(again), live)).toBeUndefined();
  });

  // README, Actions: what the copy keeps, which the codec review found undocumented.
  it('passes a frozen argument as an ordinary copy without its non-enumerable properties, and arrays sharing bytes apart, live and in replay', async () => {
    const dir = freshBasedir();
    const shelf = openShelf(dir);
    const inner = Object.defineProperty({ b: 2 }, 'hidden', { value: 3 });
    const frozen = Object.freeze({ a: 1, inner: Object.seal(inner) });
    const bytes = new Uint8Array([1, 2]);
    shelf.put('frozen', frozen);
    shelf.put('bytes', { bytes, buffer: bytes.buffer, wide: new Uint16Array(bytes.buffer) });
    const stored = shelf.items['frozen'] as { a: number; inner: object };
    expect([Object.isExtensible(stored), Object.isFrozen(stored)]).toEqual([true, false]);
    expect(Object.isSealed(stored.inner)).toBe(false);
    expect(Object.getOwnPropertyNames(stored.inner)).toEqual(['b']);
    const apart = shelf.items['bytes'] as { bytes: Uint8Array; buffer: ArrayBuffer; wide: object };
    expect(apart.bytes.buffer).not.toBe(apart.buffer);
    apart.bytes[0] = 9; // a raw write ('none' isolation): shows through nothing else
    expect(new Uint8Array(apart.buffer)[0]).toBe(1);
    apart.bytes[0] = 1;
    const live = stateOf(shelf);
    await shelf.close();
    const again = openShelf(dir);
    expect(firstDifference(stateOf(again), live)).toBeUndefined();
  });

  it.each(KINDS)('refuses %s as an argument with NOT_SERIALIZABLE before anything runs', (kind) => {
    const dir = freshBasedir();
    const shelf = openShelf(dir);
    const message = expectCode(
      () => shelf.put('bad', { nested: (EXTRAS[kind] as () => object)() }),
      'NOT_SERIALIZABLE',
    );
    expect(message).toContain(`args[1].nested${segmentOf(kind)} is `);
    expect(shelf.items).toEqual({});
    expect(journalRecords(dir)).toHaveLength(0);
  });

  it.each(KINDS)(
    'refuses %s in a value an action stores, failing the whole action (regression: accepted, then every snapshot failed)',
    (kind) => {
      const dir = freshBasedir();
      const shelf = openShelf(dir);
      shelf.bump();
      const message = expectCode(() => shelf.makeExtra(kind), 'NOT_SERIALIZABLE');
      const inner = segmentOf(kind).replace(/^\./, '');
      expect(message).toContain(
        `NOT_SERIALIZABLE: ${inner} in the value the action stored at v is `,
      );
      // Refused as a whole, like a call into a system object: a replay runs no such check.
      expect(shelf.v).toBeNull();
      expect(journalRecords(dir).map((r) => r.method)).toEqual(['bump']);
    },
  );

  it.each(KINDS)(
    'refuses %s written through `this` onto a value in the state, failing the whole action (regression: journaled, then every snapshot failed)',
    (kind) => {
      const dir = freshBasedir();
      const shelf = openShelf(dir);
      shelf.makeBase(kind);
      const key = kind.startsWith('a symbol') ? 'Symbol(tag)' : '"extra"';
      const expected = `NOT_SERIALIZABLE: the property ${key} the action wrote is `;
      expect(expectCode(() => shelf.addExtra(kind), 'NOT_SERIALIZABLE')).toContain(expected);
      // Even when the action catches it: a replay runs no such check, so it must not go on.
      expect(expectCode(() => shelf.addExtraAndCatch(kind), 'NOT_SERIALIZABLE')).toContain(
        expected,
      );
      expect(Reflect.ownKeys(shelf.v as object)).toEqual(
        Reflect.ownKeys((BASES[kind] as () => object)()),
      );
      expect(journalRecords(dir).map((r) => r.method)).toEqual(['makeBase']);
      expect(() => shelf.takeSnapshot()).not.toThrow();
    },
  );

  it.each(KINDS)(
    'refuses %s in the state at takeSnapshot, naming its path; the previous snapshot stays and the system keeps working',
    async (kind) => {
      const dir = freshBasedir();
      const shelf = openShelf(dir);
      shelf.bump();
      const good = shelf.takeSnapshot();
      const before = fs.readFileSync(good);
      shelf.makeBase(kind);
      // Behind the journal's back: isolation 'none' hands out the raw object.
      const extra = extraOf(kind);
      Object.assign(shelf.v as object, extra);
      const err = thrown(() => shelf.takeSnapshot());
      expect(isPrevalenceError(err, 'NOT_SERIALIZABLE')).toBe(true);
      expect(err.message).toContain(`NOT_SERIALIZABLE: v${segmentOf(kind)} is `);
      expect(filesIn(dir).filter((f) => f.startsWith('snapshot-'))).toEqual([
        'snapshot-0000000000000000.snap',
        path.basename(good),
      ]);
      expect(fs.readFileSync(good).equals(before)).toBe(true);

      // still working: actions run and are journaled; once the value is gone, snapshots work again
      expect(shelf.bump()).toBe(2);
      for (const key of Reflect.ownKeys(extra)) Reflect.deleteProperty(shelf.v as object, key);
      const live = stateOf(shelf);
      await shelf.close();
      // the journal replays the action, so a restart agrees with the live run
      const again = openShelf(dir);
      expect(firstDifference(stateOf(again), live)).toBeUndefined();
      again.clear();
      expect(() => again.takeSnapshot()).not.toThrow();
    },
  );
});

// Regression (newcomer review): an action storing an instance of an unregistered class, a function
// or an accessor was journaled, and every snapshot after it failed until the code was fixed.
describe('values an action stores that the snapshot encoding cannot keep', () => {
  class Unregistered {
    n = 1;
  }
  const CASES: Array<[string, () => unknown, RegExp]> = [
    [
      'an instance of an unregistered class',
      () => new Unregistered(),
      /^NOT_SERIALIZABLE: the value the action stored at items\.bad is an instance of unregistered class Unregistered: register it with @persistent\(\) or options.classes/,
    ],
    [
      'one nested in a plain object',
      () => ({ list: [1, new Unregistered()] }),
      /^NOT_SERIALIZABLE: list\[1\] in the value the action stored at items\.bad is an instance of unregistered class Unregistered/,
    ],
    [
      'a function',
      () => () => 1,
      /^NOT_SERIALIZABLE: the value the action stored at items\.bad is a function: functions cannot be stored/,
    ],
    [
      'a function in a property',
      () => ({ onChange: function onChange() {} }),
      /^NOT_SERIALIZABLE: onChange in the value the action stored at items\.bad is a function \(onChange\)/,
    ],
    [
      'an accessor',
      () => ({
        get total() {
          return 1;
        },
      }),
      /^NOT_SERIALIZABLE: total in the value the action stored at items\.bad is an accessor property/,
    ],
    ['a Promise', () => Promise.resolve(1), /is a Promise: promises cannot be stored/],
    ['a symbol', () => Symbol('s'), /is a symbol \(Symbol\(s\)\): symbols cannot be stored/],
    [
      'a Map holding a function',
      () => new Map([['f', () => 1]]),
      /get\("f"\) in the value the action stored at items\.bad is a function/,
    ],
    // Regression (adversarial review): stored as bytes, they came back fixed-size after a restart.
    [
      'a resizable ArrayBuffer',
      () => resizableBuffer(),
      /the value the action stored at items\.bad is a resizable ArrayBuffer/,
    ],
    // Regression (concurrency review): accepted, it came back from a snapshot as a plain copy (its
    // traps gone), and its traps ran user code while a snapshot was written or an action rolled
    // back, so an action called from one mixed two states into one snapshot.
    [
      'a Proxy of the program',
      () => new Proxy({ theme: 'dark' }, { get: (t, k) => (k in t ? t[k as 'theme'] : 'x') }),
      /a Proxy \(one of the program's own, or a system initSystem returned: a snapshot keeps its target's data, not its traps\)/,
    ],
    // Regression (diff review): one around a DateTime answered the DateTime test through its traps.
    [
      'a Proxy of a DateTime',
      () => new Proxy(DateTime.fromMillis(0, { zone: 'utc' }), {}),
      /a Proxy \(one of the program's own/,
    ],
    [
      'a Proxy inside a stored value',
      () => ({ nested: [new Proxy({}, {})] }),
      /a Proxy \(one of the program's own/,
    ],
    [
      'a typed array on a resizable ArrayBuffer',
      () => ({ view: new Uint8Array(resizableBuffer()) }),
      /view in the value the action stored at items\.bad is a typed array on a resizable ArrayBuffer/,
    ],
    // Regression (codec review): accepted, it came back from a snapshot as an invalid DateTime
    // ("unsupported zone"), while a journal replay made it valid again.
    [
      'a DateTime in a zone of the program',
      () => ({ at: DateTime.fromMillis(0, { zone: customZone('Fixed/Named', 0) }) }),
      /at in the value the action stored at items\.bad is a luxon DateTime in a custom zone \(Fixed\/Named, of type custom\)/,
    ],
    [
      'a DateTime in a zone of the program, stored itself',
      () => DateTime.fromMillis(0, { zone: customZone('Fixed/Named', 0) }),
      /^NOT_SERIALIZABLE: the value the action stored at items\.bad is a luxon DateTime in a custom zone/,
    ],
    // Regression (codec review): accepted, it came back from a snapshot on an ordinary ArrayBuffer
    // (while other threads holding the SharedArrayBuffer wrote its bytes outside any action).
    [
      'a typed array on a SharedArrayBuffer',
      () => ({ view: new Int32Array(new SharedArrayBuffer(8)) }),
      /view in the value the action stored at items\.bad is a typed array on a SharedArrayBuffer/,
    ],
    [
      'a Buffer on a SharedArrayBuffer',
      () => Buffer.from(new SharedArrayBuffer(8)),
      /the value the action stored at items\.bad is a typed array on a SharedArrayBuffer/,
    ],
    // Regression (codec review): accepted and journaled, then every snapshot failed with
    // SNAPSHOT_WRITE_FAILED ("Cannot perform Construct on a detached ArrayBuffer"), as a disk error.
    [
      'a detached ArrayBuffer',
      () => detachedBuffer(),
      /the value the action stored at items\.bad is a detached ArrayBuffer/,
    ],
    [
      'a typed array on a detached ArrayBuffer',
      () => {
        const view = new Float64Array(2);
        structuredClone(view.buffer, { transfer: [view.buffer] });
        return { view };
      },
      /view in the value the action stored at items\.bad is a typed array on a detached ArrayBuffer/,
    ],
  ];

  it.each(CASES)(
    'refuses %s where it is stored, failing the whole action',
    (_what, make, expected) => {
      class Store {
        items: Record<string, unknown> = {};
        n = 0;
        keep(): void {
          this.n++;
          this.items['bad'] = make();
        }
        keepAndCatch(): string {
          try {
            this.items['bad'] = make();
            return 'stored';
          } catch (err) {
            return (err as Error).message;
          }
        }
      }
      const dir = freshBasedir();
      const store = initSystem(new Store(), { basedir: dir, isolation: 'none' });
      open.push(store as never);
      expect(expectCode(() => store.keep(), 'NOT_SERIALIZABLE')).toMatch(expected);
      expect(store.items).toEqual({});
      expect(store.n).toBe(0);
      // Even when the action catches it (a replay runs no such check, so it must not go on).
      expect(expectCode(() => store.keepAndCatch(), 'NOT_SERIALIZABLE')).toMatch(expected);
      expect(journalRecords(dir)).toHaveLength(0);
      expect(() => store.takeSnapshot()).not.toThrow();
    },
  );

  it('refuses at the end of the action what a kept raw reference added after the store, rolling the action back', () => {
    class Store {
      items: Array<Record<string, unknown>> = [];
      add(): void {
        const o: Record<string, unknown> = { a: 1 };
        this.items.push(o);
        o['later'] = new Unregistered();
      }
    }
    const dir = freshBasedir();
    const store = initSystem(new Store(), { basedir: dir, isolation: 'none' });
    open.push(store as never);
    expect(expectCode(() => store.add(), 'NOT_SERIALIZABLE')).toMatch(
      /later in a value the action stored is an instance of unregistered class Unregistered/,
    );
    expect(store.items).toEqual([]);
    expect(journalRecords(dir)).toHaveLength(0);
  });

  it('still stores what the encodings keep: registered classes, built-ins, DateTimes, holes', () => {
    class Kept {
      n = 1;
    }
    class Store {
      items: Record<string, unknown> = {};
      keep(): void {
        this.items['all'] = {
          kept: new Kept(),
          date: new Date(1),
          re: /x/g,
          map: new Map([[{ k: 1 }, new Set([1n, 'a'])]]),
          bytes: new Uint8Array([1, 2]),
          buf: Buffer.from('a'),
          ab: new ArrayBuffer(2),
          nil: Object.create(null) as object,
          holes: [1, , 3], // eslint-disable-line no-sparse-arrays
          special: [undefined, NaN, -0, Infinity],
          dt: DateTime.fromMillis(5, { zone: 'utc' }),
        };
      }
    }
    const dir = freshBasedir();
    const store = initSystem(new Store(), { basedir: dir, isolation: 'none', classes: [Kept] });
    open.push(store as never);
    store.keep();
    expect(() => store.takeSnapshot()).not.toThrow();
  });
});

// Regressions from a review of the store-time check.
describe('the store-time check follows the encodings exactly', () => {
  it('accepts what the encodings skip: non-enumerable properties holding anything', () => {
    class Item {
      n = 1;
      constructor() {
        Object.defineProperty(this, 'events', {
          value: { handlers: [() => 1], emitter: new (class Emitter {})() },
          enumerable: false,
          writable: true,
          configurable: true,
        });
      }
    }
    class Store {
      list: Item[] = [];
      a: Item | undefined;
      add(): void {
        this.list.push(new Item());
        const hidden: unknown[] = [1];
        Object.defineProperty(hidden, 'note', {
          value: () => 2,
          enumerable: false,
          configurable: true,
        });
        (this as unknown as { hidden: unknown[] }).hidden = hidden;
        Object.defineProperty(this, 'cb', {
          value: () => 3,
          enumerable: false,
          writable: true,
          configurable: true,
        });
      }
    }
    const dir = freshBasedir();
    const store = initSystem(new Store(), { basedir: dir, isolation: 'none', classes: [Item] });
    open.push(store as never);
    store.add();
    expect(store.list).toHaveLength(1);
    expect(() => store.takeSnapshot()).not.toThrow();
  });

  it('accepts the writes through `this` the encodings keep or skip: elements, length, non-enumerable named properties, RegExp lastIndex', async () => {
    class Store {
      list: unknown[] = [1, 2, 3];
      re = /a/g;
      obj: Record<string, unknown> = {};
      change(): void {
        this.list[5] = 6;
        this.list.length = 4;
        Object.defineProperty(this.list, 'note', {
          value: 'hidden',
          enumerable: false,
          configurable: true,
          writable: true,
        });
        (this.list as unknown as { note: string }).note = 'still hidden';
        this.re.lastIndex = 1;
        Object.defineProperty(this.obj, 'computed', {
          get: () => 1,
          enumerable: false,
          configurable: true,
        });
      }
    }
    const dir = freshBasedir();
    const store = initSystem(new Store(), { basedir: dir, isolation: 'none' });
    open.push(store as never);
    store.change();
    expect(store.list).toEqual([1, 2, 3, undefined]);
    expect(() => store.takeSnapshot()).not.toThrow();
  });

  // Regression (adversarial review): a read-only property was stored writable by snapshots, so a
  // write that failed live (journaled as thrown) completed in the replay after a restart, and the
  // directory stopped opening with REPLAY_DIVERGED.
  it('refuses a stored property made read-only, in every way an action can make one, failing the whole action', async () => {
    class Store {
      x: Record<string, unknown> | null = null;
      y: unknown = null;
      n = 0;
      storeWritable(): void {
        this.x = { a: 1 };
      }
      lockThroughThis(): void {
        this.n++;
        Object.defineProperty(this.x, 'a', { writable: false });
      }
      storeReadOnly(): void {
        this.n++;
        this.y = Object.defineProperty({}, 'a', {
          value: 1,
          enumerable: true,
          configurable: true,
          writable: false,
        });
      }
      lockKeptReference(): void {
        this.n++;
        const o = { a: 1 };
        this.y = o;
        Object.defineProperty(o, 'a', { writable: false });
      }
      hideReadOnly(): void {
        Object.defineProperty(this.x, 'hidden', {
          value: 1,
          enumerable: false,
          configurable: true,
          writable: false,
        });
      }
    }
    const dir = freshBasedir();
    const store = initSystem(new Store(), { basedir: dir, isolation: 'none' });
    store.storeWritable();
    expect(expectCode(() => store.lockThroughThis(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the property "a" the action wrote is read-only/,
    );
    expect(expectCode(() => store.storeReadOnly(), 'NOT_SERIALIZABLE')).toMatch(
      /read-only property "a" cannot be stored/,
    );
    expect(expectCode(() => store.lockKeptReference(), 'NOT_SERIALIZABLE')).toMatch(
      /read-only property "a" cannot be stored/,
    );
    store.hideReadOnly(); // not stored by snapshots: accepted
    expect([store.n, store.y, Object.getOwnPropertyDescriptor(store.x, 'a')?.writable]).toEqual([
      0,
      null,
      true,
    ]);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['storeWritable', 'hideReadOnly']);
    store.takeSnapshot();
    await store.close();
    const again = initSystem(Store, { basedir: dir, isolation: 'none' });
    expect(again.x).toEqual({ a: 1 });
    await again.close();
  });

  // Regression (diff review): the first version refused at the write, so a property added for a
  // moment and removed again (a visited marker, a scratch field) failed the whole action.
  it('checks what is left when the action ends: a symbol marker or scratch property removed again passes', async () => {
    const VISITED = Symbol('visited');
    class Graph {
      nodes: Array<{ id: number }> = [{ id: 1 }, { id: 2 }];
      list: number[] = [];
      walks = 0;
      walk(): void {
        for (const node of this.nodes) (node as Record<symbol, boolean>)[VISITED] = true;
        for (const node of this.nodes) delete (node as Record<symbol, boolean>)[VISITED];
        (this.list as unknown as { tmp?: number }).tmp = 1;
        delete (this.list as unknown as { tmp?: number }).tmp;
        this.walks++;
      }
    }
    const dir = freshBasedir();
    const graph = initSystem(new Graph(), { basedir: dir, isolation: 'none' });
    open.push(graph as never);
    graph.walk();
    expect(graph.walks).toBe(1);
    expect(() => graph.takeSnapshot()).not.toThrow();
  });

  // Regression (diff review): a read-only property an earlier version let into the state made a
  // write through `this` fail live (journaled as thrown) and succeed in the replay after the next
  // snapshot restored it writable: the directory stopped opening with REPLAY_DIVERGED.
  it('refuses, as a whole, a write to a read-only property already in the state', async () => {
    class Box {
      o: Record<string, number> = { x: 1 };
      n = 0;
      set(v: number): void {
        this.n++;
        this.o['x'] = v;
      }
      setHidden(v: number): void {
        this.n++;
        this.o['hidden'] = v;
      }
    }
    const dir = freshBasedir();
    const box = initSystem(new Box(), { basedir: dir, isolation: 'none' });
    // As an earlier version could leave it (here behind the journal's back, through the raw object).
    Object.defineProperty(box.o, 'x', { writable: false });
    expect(expectCode(() => box.set(5), 'NOT_SERIALIZABLE')).toMatch(
      /the property "x" the action wrote is read-only/,
    );
    expect([box.n, box.o['x']]).toEqual([0, 1]);
    expect(journalRecords(dir)).toHaveLength(0);
    // Non-enumerable too (regression, second diff review): snapshots do not store it at all, so
    // after a restart the write would create it and succeed.
    Object.defineProperty(box.o, 'hidden', { value: 1, enumerable: false, configurable: true });
    expect(expectCode(() => box.setHidden(5), 'NOT_SERIALIZABLE')).toMatch(
      /the property "hidden" the action wrote is read-only/,
    );
    expect(journalRecords(dir)).toHaveLength(0);
    await box.close();
  });

  it('refuses an enumerable accessor defined through `this` on a state object, failing the whole action (regression: journaled, then every snapshot failed)', () => {
    class Store {
      obj: Record<string, unknown> = { a: 1 };
      n = 0;
      define(): void {
        this.n++;
        Object.defineProperty(this.obj, 'total', {
          get: () => 1,
          enumerable: true,
          configurable: true,
        });
      }
    }
    const dir = freshBasedir();
    const store = initSystem(new Store(), { basedir: dir, isolation: 'none' });
    open.push(store as never);
    expect(expectCode(() => store.define(), 'NOT_SERIALIZABLE')).toMatch(
      /^NOT_SERIALIZABLE: the property "total" the action wrote is an accessor property/,
    );
    expect([store.n, Object.keys(store.obj)]).toEqual([0, ['a']]);
    expect(journalRecords(dir)).toHaveLength(0);
    expect(() => store.takeSnapshot()).not.toThrow();
  });

  it.each([
    ['an Array subclass', () => MyArray.from([1])],
    ['an array with a hole and a named property', () => Object.assign([, 1], { foo: 2 })], // eslint-disable-line no-sparse-arrays
    ['an array with a hole and a symbol key', () => Object.assign([, 1], { [SYM]: 2 })], // eslint-disable-line no-sparse-arrays
  ])('refuses %s stored as it is (regression: the fast path let it through)', (_what, make) => {
    class Store {
      v: unknown = null;
      put(): void {
        this.v = make();
      }
    }
    const store = initSystem(new Store(), { basedir: freshBasedir(), isolation: 'none' });
    open.push(store as never);
    expectCode(() => store.put(), 'NOT_SERIALIZABLE');
    expect(() => store.takeSnapshot()).not.toThrow();
  });

  it('accepts references back to the root, whose injected _clock is never stored (regression: the check walked into it and refused the store)', async () => {
    class Tree {
      me: unknown = null;
      items: Array<{ id: string; owner: unknown }> = [];
      link(id: string): void {
        this.me = this;
        this.items.push({ id, owner: this });
      }
    }
    const dir = freshBasedir();
    const tree = initSystem(new Tree(), { basedir: dir, isolation: 'none' });
    open.push(tree as never);
    tree.link('a');
    tree.link('b');
    expect(() => tree.takeSnapshot()).not.toThrow();
    expect(tree.items.map((i) => i.owner === tree.me)).toEqual([true, true]);
  });

  it('runs no check in replay: a record an earlier version journaled replays as it did (regression: REPLAY_DIVERGED after the upgrade)', async () => {
    const dir = freshBasedir();
    class Notes {
      items: Array<Record<string, unknown>> = [];
      add(name: string): void {
        this.items.push({ name });
      }
    }
    const before = initSystem(Notes, dir);
    before.add('a');
    await before.close();
    // As an earlier prevalent left it (no code print: the change below stands for its checks).
    withoutCodePrints(dir);
    // The same class as a later version runs it: a function stored for a moment, then removed.
    Notes.prototype.add = function (this: Notes, name: string): void {
      const item: Record<string, unknown> = { name, onDone: () => 0 };
      this.items.push(item);
      delete item['onDone'];
    };
    const after = initSystem(Notes, dir);
    expect(after.items.map((i) => i['name'])).toEqual(['a']);
    await after.close();
  });

  it('runs no read-only check in replay: a record an earlier version journaled that stored a read-only property replays as it did', async () => {
    const dir = freshBasedir();
    class Limits {
      items: Array<Record<string, unknown>> = [];
      add(max: number): void {
        this.items.push({ max });
      }
    }
    const before = initSystem(Limits, dir);
    before.add(1);
    await before.close();
    Limits.prototype.add = function (this: Limits, max: number): void {
      this.items.push(
        Object.defineProperty({}, 'max', {
          value: max,
          enumerable: true,
          configurable: true,
          writable: false,
        }),
      );
    };
    const after = initSystem(Limits, dir);
    expect(after.items.map((i) => i['max'])).toEqual([1]);
    await after.close();
  });

  it('runs no property check in replay either: a named property an earlier version wrote onto an array replays as it did', async () => {
    const dir = freshBasedir();
    class Tags {
      list: string[] = [];
      tag(name: string): void {
        this.list.push(name);
      }
    }
    const before = initSystem(Tags, dir);
    before.tag('a');
    await before.close();
    // A later version writes a named property for a moment, then removes it.
    Tags.prototype.tag = function (this: Tags, name: string): void {
      (this.list as unknown as { last?: string }).last = name;
      delete (this.list as unknown as { last?: string }).last;
      this.list.push(name);
    };
    const after = initSystem(Tags, dir);
    expect(after.list).toEqual(['a']);
    await after.close();
  });
});

class MyArray<T> extends Array<T> {}

// Regression (usability review): an object passed back by its place, where a non-deterministic
// helper outside the class (which the check does not read) had made the key, failed the open
// and verifyReplay with STALE_REFERENCE and its advice for live calls, also with
// strictReplay: false, so the directory could not be opened at all.
describe('a passed-back object the replay does not find at its place', () => {
  const Shop = shopWithDrawnKeys();

  async function written(): Promise<string> {
    const dir = freshBasedir();
    const shop = initSystem(new Shop(), dir);
    shop.addItem(shop.newCart(), 'apple'); // the cart's place: root.carts.get("cartN")
    await shop.close();
    return dir;
  }

  it('stops the open with REPLAY_DIVERGED naming the action and the place', async () => {
    const dir = await written();
    const message = expectCode(() => initSystem(Shop, dir), 'REPLAY_DIVERGED');
    expect(message).toMatch(
      /action 2 \(addItem\) was given the state object at root\.carts\.get\("cart\d+"\) in the live run, and in replay nothing is there/,
    );
    expect(message).not.toMatch(/read the object from the system again/);
  });

  it('opens with strictReplay: false, without that action, and warns', async () => {
    const dir = await written();
    const warnings: string[] = [];
    const shop = initSystem(Shop, {
      basedir: dir,
      strictReplay: false,
      onWarning: (w) => warnings.push(String(w)),
    });
    expect([...shop.carts.values()].map((c) => [...c.items])).toEqual([[]]);
    expect(warnings.join('\n')).toMatch(/action 2 \(addItem\).*opens anyway, without this action/);
    await shop.close();
  });
});

// Regression (fidelity red team): snapshots did not keep a RegExp's lastIndex, so a global or
// sticky RegExp in the state whose test() an action ran started over at 0 after a restart from a
// later snapshot, and the next action stored another result; verifyReplay reported nothing.
describe("a RegExp's lastIndex", () => {
  class Scanner {
    re = /a/g;
    sticky = /b/y;
    hits: number[] = [];
    scan(s: string): void {
      this.hits.push(this.re.test(s) ? this.re.lastIndex : -1);
    }
    moveSticky(to: number): void {
      this.sticky.lastIndex = to;
    }
    keep(re: RegExp): void {
      this.re = re;
    }
  }
  const openScanner = (
    dir: string,
    isolation: 'none' | 'clone' = 'none',
  ): PrevalentMutable<Scanner> => initSystem(new Scanner(), { basedir: dir, isolation });

  it('is kept by snapshots: a restart from a snapshot between two test() calls goes on where the live run did', async () => {
    const dir = freshBasedir();
    const s = openScanner(dir);
    s.scan('aaa');
    s.moveSticky(-0);
    s.takeSnapshot();
    s.scan('aaa');
    expect(s.hits).toEqual([1, 2]);
    await s.close();
    const again = openScanner(dir);
    try {
      expect(again.hits).toEqual([1, 2]);
      expect(again.re.lastIndex).toBe(2);
      expect(Object.is(again.sticky.lastIndex, -0)).toBe(true);
      again.takeSnapshot();
      again.scan('aaa');
      expect(again.hits).toEqual([1, 2, 3]);
    } finally {
      await again.close();
    }
  });

  it('comes with a RegExp argument, live and in replay, and with a clone', async () => {
    const dir = freshBasedir();
    const s = openScanner(dir, 'clone');
    const re = /a/g;
    re.lastIndex = 2;
    s.keep(re);
    expect(s.re.lastIndex).toBe(2);
    s.scan('aaaa');
    await s.close();
    const again = openScanner(dir);
    try {
      expect(again.hits).toEqual([3]);
      expect(again.re.lastIndex).toBe(3);
    } finally {
      await again.close();
    }
  });

  // Regression (review of this fix): a lastIndex that is not a number was accepted by the
  // action, and then every snapshot failed (also after a restart, which replayed it).
  it('is refused whole when an action leaves it other than a number, through this or in a fresh RegExp', () => {
    class Bad {
      re = /a/g;
      other: RegExp | null = null;
      setText(): void {
        (this.re as unknown as { lastIndex: unknown }).lastIndex = '2';
      }
      setTextThenNumber(): void {
        (this.re as unknown as { lastIndex: unknown }).lastIndex = '2';
        this.re.lastIndex = 1;
      }
      storeFresh(): void {
        const re = /b/g;
        (re as unknown as { lastIndex: unknown }).lastIndex = {};
        this.other = re;
      }
    }
    const dir = freshBasedir();
    const s = initSystem(new Bad(), { basedir: dir, isolation: 'none' });
    open.push(s as never);
    expect(expectCode(() => s.setText(), 'NOT_SERIALIZABLE')).toMatch(
      /lastIndex the action wrote on a RegExp is string, not a number/,
    );
    expect(expectCode(() => s.storeFresh(), 'NOT_SERIALIZABLE')).toMatch(
      /a RegExp whose lastIndex is object, not a number/,
    );
    expect(s.re.lastIndex).toBe(0);
    expect(s.other).toBeNull();
    s.setTextThenNumber();
    expect(s.re.lastIndex).toBe(1);
    expect(() => s.takeSnapshot()).not.toThrow();
  });

  it('is compared by verifyReplay-style deep comparison', () => {
    const a = /a/g;
    const b = /a/g;
    b.lastIndex = 1;
    expect(firstDifference(a, b)).toMatch(/lastIndex 0 !== 1/);
  });
});

// Regression (fidelity red team): snapshots and arguments did not keep a luxon DateTime's locale,
// numbering system or output calendar (setLocale, reconfigure), so a later action formatting it
// stored another text after a restart; verifyReplay reported nothing.
describe("a DateTime's locale settings", () => {
  class Diary {
    when: DateTime | null = null;
    texts: string[] = [];
    mark(): void {
      this.when = this._clock.now().setLocale('fr-FR').reconfigure({ outputCalendar: 'hebrew' });
    }
    keep(when: DateTime): void {
      this.when = when;
    }
    write(): void {
      this.texts.push(this.when!.toLocaleString(DateTime.DATE_FULL));
    }
    declare readonly _clock: import('../../lib').Clock;
  }
  const openDiary = (dir: string): PrevalentMutable<Diary> =>
    initSystem(new Diary(), { basedir: dir, isolation: 'none' });

  it('are kept by snapshots and arguments: a restart formats as the live run did', async () => {
    const dir = freshBasedir();
    const d = openDiary(dir);
    d.mark();
    d.takeSnapshot();
    d.write();
    d.keep(DateTime.fromMillis(0, { zone: 'UTC' }).reconfigure({ numberingSystem: 'arab' }));
    d.write();
    const live = [...d.texts];
    expect(live[0]).toMatch(/5\d\d\d/); // a Hebrew-calendar year
    await d.close();
    const again = openDiary(dir);
    try {
      expect(again.texts).toEqual(live);
      again.takeSnapshot();
      again.write();
      expect(again.texts[2]).toBe(live[1]);
      expect(again.when!.numberingSystem).toBe('arab');
    } finally {
      await again.close();
    }
  });

  // Regression (replay adversary): a locale given explicitly that happened to be the machine's
  // (`setLocale('en-US')` on an en-US machine, as the README advises for locale-dependent
  // formatting) was stored as "the default", so a restart on a machine or container with another
  // locale (LANG) gave the DateTime that one, from a snapshot and from an argument in the journal.
  it("keep a locale given explicitly that is the machine's, for a restart where the default differs", async () => {
    const machine = new Intl.DateTimeFormat().resolvedOptions().locale;
    const other = machine.startsWith('de') ? 'fr-FR' : 'de-DE';
    class Pinned {
      when: DateTime | null = null;
      given: DateTime | null = null;
      declare readonly _clock: import('../../lib').Clock;
      mark(): void {
        this.when = this._clock.now().setLocale(machine);
      }
      keep(given: DateTime): void {
        this.given = given;
      }
    }
    const dir = freshBasedir();
    const live = initSystem(new Pinned(), dir);
    live.mark();
    live.takeSnapshot();
    live.keep(DateTime.fromMillis(0, { zone: 'UTC', locale: machine }));
    expect([live.when!.locale, live.given!.locale]).toEqual([machine, machine]);
    await live.close();
    const before = Settings.defaultLocale;
    Settings.defaultLocale = other; // the restart's default locale differs
    try {
      const again = initSystem(new Pinned(), dir);
      try {
        expect([again.when!.locale, again.given!.locale]).toEqual([machine, machine]);
      } finally {
        await again.close();
      }
    } finally {
      Settings.defaultLocale = before;
    }
  });

  it('are compared by the deep comparison verifyReplay uses', () => {
    const plain = DateTime.fromMillis(0, { zone: 'UTC' });
    expect(firstDifference(plain, plain.setLocale('fr-FR'))).toMatch(
      /DateTime locale settings \(defaults\) !== fr-FR/,
    );
    expect(firstDifference(plain, DateTime.fromMillis(0, { zone: 'UTC' }))).toBeUndefined();
  });
});

// Regression (replay adversary): a luxon DateTime made with week settings of its own
// (`{ weekSettings }`, luxon 3.5+) lost them in a snapshot (the encodings keep its instant, zone
// and locale only), so after a restart from a snapshot a later action computing local weeks
// (`localWeekNumber`, `startOf('week', { useLocaleWeeks: true })`) stored other values than the
// live run; verifyReplay, replaying from the first snapshot, reported nothing.
describe("a DateTime's week settings", () => {
  const WEDNESDAY_WEEKS: WeekSettings = { firstDay: 3, minimalDays: 4, weekend: [6, 7] };
  class Planner {
    due: DateTime | null = null;
    weeks: number[] = [];
    schedule(ms: number): void {
      this.due = DateTime.fromMillis(ms, { zone: 'UTC', weekSettings: WEDNESDAY_WEEKS });
    }
    keep(due: DateTime): void {
      this.due = due;
    }
    note(): void {
      this.weeks.push(this.due!.localWeekNumber);
    }
  }

  it('are refused where an action stores them: a restart from a snapshot would compute other local weeks', async () => {
    const dir = freshBasedir();
    const p = initSystem(new Planner(), dir);
    try {
      const message = expectCode(() => p.schedule(1_700_000_000_000), 'NOT_SERIALIZABLE');
      expect(message).toMatch(/week settings/);
      expect(p.due).toBeNull();
      expect(journalRecords(dir)).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('are refused in an argument, which would lose them without a word, nothing run or written', async () => {
    const dir = freshBasedir();
    const p = initSystem(new Planner(), dir);
    try {
      const given = DateTime.fromMillis(0, { zone: 'UTC', weekSettings: WEDNESDAY_WEEKS });
      expect(expectCode(() => p.keep(given), 'NOT_SERIALIZABLE')).toMatch(/week settings/);
      expect(p.due).toBeNull();
      expect(journalRecords(dir)).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it("are kept when they are luxon's default ones, which a restart gives every DateTime too", async () => {
    const dir = freshBasedir();
    Settings.defaultWeekSettings = WEDNESDAY_WEEKS;
    try {
      const p = initSystem(new Planner(), dir);
      p.schedule(1_700_000_000_000);
      p.takeSnapshot();
      p.note();
      const live = [...p.weeks];
      await p.close();
      const again = initSystem(new Planner(), dir);
      try {
        again.note();
        expect(again.weeks).toEqual([...live, ...live]);
      } finally {
        await again.close();
      }
    } finally {
      Settings.defaultWeekSettings = null;
    }
  });
});

// Regression (codec review): an invalid DateTime made with a zone luxon does not support
// (`DateTime.fromMillis(ms, { zone: 'Nowhere/City' })`, a zone name from a request) keeps that zone
// (`dt.zone.name`), but snapshots and arguments kept only the reason and explanation, so it came
// back in the system zone: a later action storing `dt.zone.name` stored another text after a restart.
describe('an invalid DateTime of an unsupported zone', () => {
  class Agenda {
    when: DateTime | null = null;
    zones: string[] = [];
    mark(zone: string): void {
      this.when = DateTime.fromMillis(0, { zone });
    }
    keep(when: DateTime): void {
      this.when = when;
    }
    note(): void {
      this.zones.push(`${this.when!.zone.name} ${String(this.when!.zone.isValid)}`);
    }
  }
  const openAgenda = (dir: string): PrevalentMutable<Agenda> =>
    initSystem(new Agenda(), { basedir: dir, isolation: 'none' });

  it('keeps its zone in snapshots and arguments: a restart reads it as the live run did', async () => {
    const dir = freshBasedir();
    const a = openAgenda(dir);
    a.mark('Nowhere/City');
    a.takeSnapshot();
    a.note();
    a.keep(DateTime.fromMillis(0, { zone: 'Elsewhere/Town' }));
    a.note();
    const live = [...a.zones];
    expect(live).toEqual(['Nowhere/City false', 'Elsewhere/Town false']);
    await a.close();
    const again = openAgenda(dir);
    try {
      expect(again.zones).toEqual(live);
      expect(again.when!.invalidExplanation).toBe('the zone "Elsewhere/Town" is not supported');
      again.takeSnapshot();
      again.note();
      expect(again.zones[2]).toBe(live[1]);
    } finally {
      await again.close();
    }
    const fromSnapshots = verifyReplay(dir, Agenda);
    expect(fromSnapshots.ok).toBe(true);
  });

  it('is compared by its zone in the deep comparison verifyReplay uses', () => {
    const there = DateTime.fromMillis(0, { zone: 'Nowhere/City' });
    expect(
      firstDifference(there, DateTime.fromMillis(0, { zone: 'Nowhere/City' })),
    ).toBeUndefined();
    expect(firstDifference(there, DateTime.fromMillis(0, { zone: 'Elsewhere/Town' }))).toMatch(
      /Nowhere\/City/,
    );
  });
});

// Regression (fidelity red team): making a stored property of a state object non-enumerable was
// accepted, and the next snapshot dropped it while the live process kept it (a restart lost the
// field, or an array element); a non-configurable property the action tried to define, and
// caught the refusal of, let the action go on and be journaled, though the README says such a
// refusal fails the whole action.
describe('properties made non-enumerable or non-configurable by an action', () => {
  class Store {
    settings: Record<string, unknown> = { theme: 'dark' };
    arr = ['a', 'b'];
    log: string[] = [];
    hideSettings(): void {
      Object.defineProperty(this, 'settings', { enumerable: false });
    }
    hideElement(): void {
      try {
        Object.defineProperty(this.arr, 0, { enumerable: false });
      } catch {
        this.log.push('caught');
      }
    }
    pin(): void {
      try {
        Object.defineProperty(this.settings, 'pinned', {
          value: 1,
          enumerable: true,
          writable: true,
          configurable: false,
        });
      } catch {
        this.log.push('caught');
      }
    }
    hideForAMoment(): string {
      Object.defineProperty(this, 'settings', { enumerable: false });
      const text = JSON.stringify(this);
      Object.defineProperty(this, 'settings', { enumerable: true });
      return text;
    }
    hideInFresh(): void {
      const fresh: Record<string, unknown> = { a: 1, scratch: 2 };
      Object.defineProperty(fresh, 'scratch', { enumerable: false });
      this.settings = fresh;
    }
  }

  it.each(['hideSettings', 'hideElement', 'pin'] as const)(
    'refuses %s whole, even when the action catches the refusal',
    async (method) => {
      const dir = freshBasedir();
      const s = initSystem(new Store(), { basedir: dir, isolation: 'none' });
      open.push(s as never);
      const message = expectCode(() => s[method](), 'NOT_SERIALIZABLE');
      expect(message).toMatch(
        method === 'pin' ? /non-configurable/ : /made non-enumerable was stored \(enumerable\)/,
      );
      expect(s.log).toEqual([]);
      expect(Object.keys(s.settings)).toEqual(['theme']);
      expect(Object.keys(s.arr)).toEqual(['0', '1']);
      expect(journalRecords(dir)).toEqual([]);
    },
  );

  it('lets an action hide a stored property for a moment (regression (review): refused where it was hidden)', () => {
    const dir = freshBasedir();
    const s = initSystem(new Store(), { basedir: dir, isolation: 'none' });
    open.push(s as never);
    expect(s.hideForAMoment()).not.toMatch(/settings/);
    expect(Object.keys(s)).toContain('settings');
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['hideForAMoment']);
  });

  it('lets an action hide a property of an object it made', async () => {
    const dir = freshBasedir();
    const s = initSystem(new Store(), { basedir: dir, isolation: 'none' });
    open.push(s as never);
    s.hideInFresh();
    expect(Object.keys(s.settings)).toEqual(['a']);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['hideInFresh']);
  });
});
