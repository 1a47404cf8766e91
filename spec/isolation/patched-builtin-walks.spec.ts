import { abortOnException, initSystem, type Prevalent } from '../../lib';
import { isTracking, isView } from '../../lib/isolation/registry';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * As patched-builtin-methods.spec.ts, for the built-ins the library's own
 * walks apply to raw state objects: the Map and Set iterators (a snapshot's
 * encoding, the end-of-action walk, the undo log saving a Map's or Set's
 * contents), typed arrays' subarray/slice/set (saving and rolling back
 * bytes) and RegExp's flag getters (a view's exec). A program replacing one
 * of them while running must not be handed a raw state object: as `this`,
 * as an argument, or in what the original returns to it.
 */

const opened = closedAfterEach();

/** The raw state objects the constructor made (the initial state is the instance itself). */
const rawObjects = new WeakSet<object>();
/** Their buffers: a typed array over one of them shares the state's bytes. */
const rawBuffers = new WeakSet<object>();
const typedBuffer = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  'buffer',
)!.get!;

class Page {
  constructor(public id = '') {}
}

class Shelf {
  byId = new Map<string, Page>([['a', new Page('a')]]);
  tags = new Set<unknown>(['t', new Page('s')]);
  bytes = new Uint8Array(8);
  re = /a/g;

  constructor() {
    for (const o of [this.byId, this.tags, this.bytes, this.re, this.byId.get('a')!])
      rawObjects.add(o);
    for (const m of this.tags) if (typeof m === 'object') rawObjects.add(m as object);
    rawBuffers.add(this.bytes.buffer);
  }

  /** Stores a fresh Map and Set holding a state object (the end-of-action walk replaces its proxy). */
  store(): void {
    const page = this.byId.get('a')!;
    this.byId.set('m', new Page('m'));
    (this as unknown as Record<string, unknown>)['fresh'] = [
      new Map([['p', page]]),
      new Set([page]),
    ];
  }

  @abortOnException deleteThenFail(): void {
    this.byId.delete('a');
    this.tags.delete('t');
    throw new Error('fail');
  }

  @abortOnException clearThenFail(): void {
    this.byId.clear();
    this.tags.clear();
    throw new Error('fail');
  }

  @abortOnException writeThenFail(): void {
    this.bytes.fill(7);
    this.bytes.set([1, 2], 3);
    throw new Error('fail');
  }
}

/** Whether `x` is, holds (an entry, an iterator result) or shares bytes with a raw state object. */
function isRaw(x: unknown, depth = 0): boolean {
  if (typeof x !== 'object' || x === null || isView(x) || isTracking(x)) return false;
  if (rawObjects.has(x)) return true;
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    return rawBuffers.has(Reflect.apply(typedBuffer, x, []) as object);
  }
  if (x instanceof Page) return true; // a Page the test did not make: the state's
  if (depth > 1) return false;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) if (isRaw(x[i] as unknown, depth + 1)) return true;
    return false;
  }
  const d = Object.getOwnPropertyDescriptor(x, 'value');
  return d !== undefined && 'value' in d && isRaw(d.value, depth + 1);
}

/**
 * Runs `fn` with `holder[name]` (a method, or an accessor's getter) replaced
 * by a wrapper that calls the original and counts the calls that saw a raw
 * state object as `this`, an argument or the result (`thisOnly`: as `this`;
 * the library's own Maps and Sets take raw objects as keys, a gap README.md
 * names).
 */
function withReplaced(
  holder: object,
  name: PropertyKey,
  fn: () => unknown,
  thisOnly = false,
): number {
  const desc = Object.getOwnPropertyDescriptor(holder, name)!;
  const original = (desc.get ?? desc.value) as (...args: unknown[]) => unknown;
  let raw = 0;
  let inCheck = false;
  // No spread, no for…of in here: the replaced built-in may be the array iterator's next().
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const result = Reflect.apply(original, this, args);
    if (inCheck) return result;
    inCheck = true;
    try {
      if (isRaw(this) || isRaw(result)) raw++;
      if (!thisOnly) for (let i = 0; i < args.length; i++) if (isRaw(args[i])) raw++;
      if (raw > 0 && process.env['TRACE_RAW']) console.log(new Error('raw').stack);
    } finally {
      inCheck = false;
    }
    return result;
  };
  Object.defineProperty(
    holder,
    name,
    desc.get ? { ...desc, get: wrapper } : { ...desc, value: wrapper },
  );
  try {
    fn();
  } catch (err) {
    // The failing actions' own error.
    if (!(err instanceof Error && err.message === 'fail')) throw err;
  } finally {
    Object.defineProperty(holder, name, desc);
  }
  return raw;
}

const MAP_ITERATOR = Object.getPrototypeOf(new Map().entries()) as object;
const SET_ITERATOR = Object.getPrototypeOf(new Set().values()) as object;
const ARRAY_ITERATOR = Object.getPrototypeOf([][Symbol.iterator]()) as object;
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;

/** The iteration built-ins a walk over a Map or Set may go through. */
const ITERATION: Array<[string, object, PropertyKey, boolean?]> = [
  ['MapIterator next', MAP_ITERATOR, 'next'],
  ['SetIterator next', SET_ITERATOR, 'next'],
  ['ArrayIterator next', ARRAY_ITERATOR, 'next'],
  ['Map @@iterator', Map.prototype, Symbol.iterator],
  ['Map entries', Map.prototype, 'entries'],
  ['Map keys', Map.prototype, 'keys'],
  ['Map forEach', Map.prototype, 'forEach'],
  ['Set @@iterator', Set.prototype, Symbol.iterator],
  ['Set values', Set.prototype, 'values'],
  ['Set forEach', Set.prototype, 'forEach'],
  ['Map clear', Map.prototype, 'clear'],
  ['Map set', Map.prototype, 'set', true],
  ['Set clear', Set.prototype, 'clear'],
  ['Set add', Set.prototype, 'add', true],
  ['Array.from', Array, 'from'],
];

function open(): Prevalent<Shelf> {
  return opened(initSystem(Shelf, { basedir: freshBasedir(), classes: [Page] }));
}

describe('a built-in the program replaced while running, which the library applies to raw state', () => {
  it('is not handed a raw Map, Set or member by a snapshot’s encoding', () => {
    for (const [label, holder, name, thisOnly] of ITERATION) {
      const shelf = open();
      shelf.store();
      expect([label, withReplaced(holder, name, () => shelf.takeSnapshot(), thisOnly)]).toEqual([
        label,
        0,
      ]);
    }
  });

  it('is not handed one by the end-of-action walk of a stored Map and Set', () => {
    for (const [label, holder, name, thisOnly] of ITERATION) {
      const shelf = open();
      expect([label, withReplaced(holder, name, () => shelf.store(), thisOnly)]).toEqual([
        label,
        0,
      ]);
      const fresh = (shelf as unknown as { fresh: [Map<string, Page>, Set<Page>] }).fresh;
      expect(fresh[0].get('p')?.id).toBe('a');
      expect([...fresh[1]][0]?.id).toBe('a');
    }
  });

  it('is not handed one by the undo log saving and restoring a Map’s and a Set’s contents', () => {
    for (const [label, holder, name, thisOnly] of ITERATION) {
      for (const action of ['deleteThenFail', 'clearThenFail'] as const) {
        const shelf = open();
        shelf.store();
        expect([
          label,
          action,
          withReplaced(holder, name, () => shelf[action](), thisOnly),
        ]).toEqual([label, action, 0]);
        expect([...shelf.byId.keys()]).toEqual(['a', 'm']);
        expect([...shelf.tags].length).toBe(2);
      }
    }
  });

  it('is not handed the state’s bytes by the undo log saving and rolling them back', () => {
    for (const name of ['subarray', 'slice', 'set']) {
      const shelf = open();
      expect([name, withReplaced(TYPED_ARRAY, name, () => shelf.writeThenFail())]).toEqual([
        name,
        0,
      ]);
      expect([...shelf.bytes]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    }
  });

  it('is not handed the raw RegExp by a view’s exec (its global and sticky getters)', () => {
    for (const name of ['global', 'sticky']) {
      const shelf = open();
      const raw = withReplaced(RegExp.prototype, name, () => {
        expect(() => shelf.re.exec('ba')).toThrow(/lastIndex/);
        expect(shelf.re.test('b')).toBe(false);
      });
      expect([name, raw]).toEqual([name, 0]);
    }
  });
});
