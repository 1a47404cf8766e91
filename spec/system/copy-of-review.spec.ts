import { copyOf, initSystem, type Prevalent } from '../../lib';
import { freshBasedir, journalRecords } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { prevalenceErrorOf } from '../support/errors';

/**
 * copyOf review: what copyOf reads must follow the rules every other read
 * follows, and what it gives back must be a working copy or a refusal.
 */

const opened = closedAfterEach();

// What the actions below reach outside `this` (as a program might keep it).
const outside: { view?: unknown; system?: unknown; tracking?: unknown } = {};

class Settings {
  rate = 1;
  list = [1, 2];
  got: unknown = null;

  keep(): void {
    outside.tracking = this.list;
  }

  copyView(): void {
    this.got = copyOf(outside.view);
  }

  copySystem(): void {
    this.got = copyOf(outside.system);
  }

  copyTracking(): void {
    this.got = copyOf(outside.tracking);
  }

  copyOwn(): number {
    const mine = copyOf(this.list);
    mine.push(3);
    this.got = copyOf(this);
    return mine.length;
  }
}

function open(dir = freshBasedir()): Prevalent<Settings> {
  return opened(initSystem(Settings, { basedir: dir }));
}

describe('copyOf inside an action', () => {
  // Regression: copyOf took a view or system object kept in a variable to its
  // raw object without asking it, so an action copied (and stored) what a
  // replay, run before any view or system object exists, could not reach: the
  // action was journaled, and a restart diverged.
  it('refuses a view kept in a variable, as reading it does, and journals nothing', () => {
    const s = open();
    outside.view = s.list;
    expect(prevalenceErrorOf(() => s.copyView()).code).toBe('NONDETERMINISTIC_METHOD');
    expect(s.got).toBeNull();
    expect(journalRecords(s.basedirAbspath())).toHaveLength(0);
  });

  it('refuses a system object, this one or another, as any call into one', () => {
    const s = open();
    const other = open();
    for (const system of [s, other]) {
      outside.system = system;
      expect(prevalenceErrorOf(() => s.copySystem()).code).toBe('NONDETERMINISTIC_METHOD');
    }
    expect(s.got).toBeNull();
    expect(journalRecords(s.basedirAbspath())).toHaveLength(0);
  });

  it("refuses another system's state object that a variable kept from its action", () => {
    const s = open();
    const other = open();
    other.keep();
    expect(prevalenceErrorOf(() => s.copyTracking()).code).toBe('NONDETERMINISTIC_METHOD');
    expect(s.got).toBeNull();
    expect(journalRecords(s.basedirAbspath())).toHaveLength(0);
  });

  it('copies what the action reaches through `this`, live and in a replay alike', async () => {
    const dir = freshBasedir();
    const s = open(dir);
    expect(s.copyOwn()).toBe(3);
    const live = copyOf(s);
    await s.close();
    const again = open(dir);
    expect(copyOf(again)).toEqual(live);
    expect(again.got).toEqual({ rate: 1, list: [1, 2], got: null });
  });

  it('still copies a kept view outside actions', () => {
    const s = open();
    outside.view = s.list;
    expect(copyOf(outside.view)).toEqual([1, 2]);
  });
});

describe('copyOf of objects that are no views', () => {
  class Mine {
    n = 1;
    twice(): number {
      return this.n * 2;
    }
  }

  // Regression: a function given itself came back as it was (not a copy),
  // where one inside a value is refused.
  it('refuses a function given itself, as one inside a value', () => {
    const err = prevalenceErrorOf(() => copyOf(() => 1));
    expect(err.code).toBe('NOT_SERIALIZABLE');
    expect(err.message).toMatch(/functions cannot be stored/);
    expect(copyOf('text')).toBe('text');
  });

  it('copies an instance of a class of the program, registered or not, with its class', () => {
    const copy = copyOf({ mine: new Mine() });
    expect(copy.mine).toBeInstanceOf(Mine);
    expect(copy.mine.twice()).toBe(2);
  });

  // Regression: any object with a prototype was copied as a class instance
  // (Object.create(prototype) and its own enumerable properties), so a
  // built-in with internal slots, an instance of a class extending one, or of
  // a class with #private members came back as a broken object whose methods
  // threw (an Error lost its message, a Map subclass its entries), and a
  // prototype or an Object.create() object came back sharing what it inherits.
  it.each([
    ['a DataView', () => new DataView(new ArrayBuffer(4))],
    ['an Error', () => new Error('lost')],
    ['a Promise', () => Promise.resolve(1)],
    ['a WeakMap', () => new WeakMap()],
    ['a boxed number', () => new Number(3)],
    ['a URL (#private members)', () => new URL('http://example.com/')],
    ['an Intl.Collator', () => new Intl.Collator()],
    ['a Map subclass', () => new (class Sub extends Map<number, number> {})([[1, 2]])],
    ['an Array subclass', () => new (class Sub extends Array<number> {})()],
    [
      'a class with #private members',
      () =>
        new (class Secret {
          #n = 1;
          get n(): number {
            return this.#n;
          }
        })(),
    ],
    ['a prototype', () => Mine.prototype],
    ['an Object.create() object', () => Object.create({ inherited: 1 }) as object],
  ])('refuses %s with NOT_SERIALIZABLE, not a broken copy', (_what, make) => {
    const err = prevalenceErrorOf(() => copyOf({ value: make() }));
    expect(err.code).toBe('NOT_SERIALIZABLE');
    expect(err.message).toMatch(
      /^NOT_SERIALIZABLE: copyOf copies what a snapshot can keep, and no more: value /,
    );
  });

  // Regression: the copier walked an array index by index, holes included,
  // with no bound on its length (the encoders refuse one longer than
  // MAX_ARRAY_LENGTH first), so copyOf of a sparse array of length
  // 2 ** 32 - 1, which a program can make in one line, hung for a minute and a half.
  it('refuses a sparse array too long to walk at once, as the encoders do', () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    const started = Date.now();
    const err = prevalenceErrorOf(() => copyOf({ sparse }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err.code).toBe('NOT_SERIALIZABLE');
    expect(err.message).toMatch(
      /sparse is an array of length 4294967295 .*keep sparse data in a Map/,
    );
  });
});

describe('copyOf and the raw state', () => {
  let met: unknown[] = [];

  class Flagged {
    n = 1;
    // A getter whose name the copier asks every class instance for.
    get isLuxonDateTime(): boolean {
      met.push(this);
      return false;
    }
  }

  class Holder {
    flagged = new Flagged();
  }

  // Regression: telling a luxon DateTime read `isLuxonDateTime` through the
  // prototype chain first, so a getter of that name on a stored class ran with
  // the raw state object as `this` when copyOf (or a snapshot) met an
  // instance: the program got the raw object and changed the state outside
  // any action, unjournaled (a restart lost the change).
  it('runs no getter of a stored class with the raw object as `this`', () => {
    met = [];
    const s = opened(initSystem(Holder, { basedir: freshBasedir(), classes: [Flagged] }));
    const copy = copyOf(s.flagged);
    expect(copy).toBeInstanceOf(Flagged);
    copyOf(s);
    s.takeSnapshot();
    expect(met).toEqual([]);
  });

  class Bytes {
    bytes = new Uint8Array([1, 2]);
    buffer = new Uint8Array([3, 4]).buffer;

    // Runtime-only helpers in non-enumerable own properties, which actions may define.
    arm(): void {
      const note = function (this: unknown): number {
        met.push(this);
        return 2;
      };
      Object.defineProperty(this.bytes, 'length', { get: note, configurable: true });
      Object.defineProperty(this.buffer, 'byteLength', { get: note, configurable: true });
    }
  }

  // Regression: the copier read a typed array's `length` and an ArrayBuffer's
  // `byteLength` (through Buffer.from, as a snapshot did) as properties, so an
  // own getter of that name an action defined ran with the raw typed array or
  // buffer as `this` when copyOf met it: the program could write the state's
  // bytes outside any action, unjournaled. They are read from the internal
  // slots, as the snapshot encoder reads a typed array's length.
  it("reads a typed array's length and an ArrayBuffer's size from their slots, not own getters", () => {
    const s = opened(initSystem(Bytes, { basedir: freshBasedir() }));
    s.arm();
    met = [];
    const copy = copyOf(s);
    expect([...copy.bytes]).toEqual([1, 2]);
    expect([...new Uint8Array(copy.buffer)]).toEqual([3, 4]);
    s.takeSnapshot();
    expect(met).toEqual([]);
  });
});
