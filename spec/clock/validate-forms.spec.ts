import * as crypto from 'node:crypto';
import { randomBytes, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import * as lx from 'luxon';
import * as nc from 'node:crypto';
import * as perfHooks from 'node:perf_hooks';
import { validateDomainClass } from '../../lib/clock/validate';

// Only for the source text of a method below; never evaluated under Node.
declare const window: typeof globalThis;

/** One method per forbidden form; each test validates a single one of them. */
class Calls {
  log: string[] = [];
  #n = 0;
  dateNow() {
    return Date.now();
  }
  newDate() {
    return new Date();
  }
  dateCall() {
    return Date();
  }
  mathRandom() {
    return Math.random();
  }
  perfNow() {
    return performance.now();
  }
  cryptoUuid() {
    return crypto.randomUUID();
  }
  cryptoBytes() {
    return crypto.randomBytes(16);
  }
  cryptoValues() {
    return crypto.getRandomValues(new Uint8Array(4));
  }
  globalCrypto() {
    return globalThis.crypto.randomUUID();
  }
  bareUuid() {
    return randomUUID();
  }
  bareBytes() {
    return randomBytes(8);
  }
  luxonNow() {
    return DateTime.now();
  }
  luxonLocal() {
    return DateTime.local();
  }
  luxonUtc() {
    return DateTime.utc();
  }
  luxonLocalOpts() {
    return DateTime.local({ zone: 'utc' });
  }
  globalDate() {
    return globalThis.Date.now();
  }
  newGlobalDate() {
    return new globalThis.Date();
  }
  windowPerf() {
    return window.performance.now();
  }
  computed() {
    return Date['now']();
  }
  optional() {
    return Date.now?.();
  }
  viaCall() {
    return Date.now.call(null);
  }
  nested() {
    this.log.push(String(Math.max(1, Date.now())));
  }
  template() {
    return `page-${Math.random()}`;
  }
  conditional(x: boolean) {
    return x ? 0 : Date.now();
  }
  innerArrow() {
    return [1].map(() => Math.random());
  }
  innerFunction() {
    return function inner() {
      return new Date();
    };
  }
  defaultParam(at = Date.now()) {
    return at;
  }
  destructDefault({ at = Date.now() }: { at?: number }) {
    return at;
  }
  // Symbol-keyed: a string-keyed generator is refused as a generator before its body is read.
  *[Symbol.for('generator')]() {
    yield Math.random();
  }
  withPrivate() {
    this.#n = Date.now();
    return this.#n;
  }
  laterLocal() {
    return [DateTime.local(2020), DateTime.local()];
  }
  namespaceNow() {
    return lx.DateTime.now();
  }
  namespaceLocal() {
    return lx.DateTime.local();
  }
  namespaceUtc() {
    return lx.DateTime.utc({ locale: 'de' });
  }
  namespaceBytes() {
    return nc.randomBytes(4);
  }
  namespaceWebcrypto() {
    return nc.webcrypto.getRandomValues(new Uint8Array(2));
  }
  perfHooksNow() {
    return perfHooks.performance.now();
  }
}

/** One method per way of taking a reference that an alias could call later. */
class Aliases {
  constAlias() {
    const now = Date.now;
    return now();
  }
  mapArg() {
    return [1, 2].map(Math.random);
  }
  passLuxon(f: (g: () => unknown) => void) {
    f(DateTime.now);
  }
  passUuid(f: (g: () => string) => void) {
    f(randomUUID);
  }
  passNamespace(f: (g: () => unknown) => void) {
    f(lx.DateTime.now);
  }
  destructureNamespace() {
    const { now } = lx.DateTime;
    return now();
  }
  stored() {
    return { at: DateTime.local };
  }
  destructure() {
    const { now } = Date;
    return now();
  }
  renamed() {
    const { random: r } = Math;
    return r();
  }
  fromModule() {
    const { randomUUID: id } = crypto;
    return id();
  }
}

/** A holder of time or randomness handed on as a value: what is done with it is out of sight. */
class Holders {
  dateAlias() {
    const D = Date;
    return new D().getTime();
  }
  mathAlias() {
    const M = Math;
    return M.random();
  }
  assigned() {
    const self = this as unknown as { clock: unknown };
    self.clock = Date;
  }
  fromGlobal() {
    const { Date: D } = globalThis;
    return D.now();
  }
  fromGlobalSameName() {
    const { Math } = globalThis;
    return Math.random();
  }
  nullish(c?: Math) {
    const M = c ?? Math;
    return M.random();
  }
  ternary(flag: boolean) {
    const M = flag ? Math : null;
    return M?.random();
  }
  defaulted(M = Math) {
    return M.random();
  }
  inObject() {
    const o = { M: Math };
    return o.M.random();
  }
  sameNamePerformance() {
    const { performance } = globalThis;
    return performance.now();
  }
  reflectConstruct() {
    return Reflect.construct(Date, []) as Date;
  }
  computedMember(name: string) {
    return (Math as unknown as Record<string, () => number>)[`rand${name}`]!();
  }
  perfAlias() {
    const p = performance;
    return p.now();
  }
  luxonAlias() {
    const DT = DateTime;
    return DT.now();
  }
  namespaceAlias() {
    const DT = lx.DateTime;
    return DT.now();
  }
  webcryptoAlias() {
    const w = nc.webcrypto;
    return w.getRandomValues(new Uint8Array(2));
  }
}

function messageFor(cls: abstract new () => unknown, method: string): string {
  try {
    validateDomainClass(cls, (name) => name !== method);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${cls.name}.${method} passed validation`);
}

describe('validateDomainClass: forbidden calls', () => {
  it.each([
    ['dateNow', 'calls Date.now()'],
    ['newDate', 'calls new Date()'],
    ['dateCall', 'calls Date()'],
    ['mathRandom', 'calls Math.random()'],
    ['perfNow', 'calls performance.now()'],
    ['cryptoUuid', 'calls crypto.randomUUID()'],
    ['cryptoBytes', 'calls crypto.randomBytes(16)'],
    ['cryptoValues', 'calls crypto.getRandomValues(new Uint8Array(4))'],
    ['globalCrypto', 'calls globalThis.crypto.randomUUID()'],
    ['bareUuid', 'calls (0, node_crypto_1.randomUUID)()'],
    ['bareBytes', 'calls (0, node_crypto_1.randomBytes)(8)'],
    ['luxonNow', 'calls luxon_1.DateTime.now()'],
    ['luxonLocal', 'calls luxon_1.DateTime.local()'],
    ['luxonUtc', 'calls luxon_1.DateTime.utc()'],
    ['luxonLocalOpts', "calls luxon_1.DateTime.local({ zone: 'utc' })"],
    ['globalDate', 'calls globalThis.Date.now()'],
    ['newGlobalDate', 'calls new globalThis.Date() (new Date())'],
    ['windowPerf', 'calls window.performance.now()'],
    ['computed', "calls Date['now']() (Date.now)"],
    ['optional', 'calls Date.now?.()'],
    ['viaCall', 'calls Date.now.call(null)'],
    ['nested', 'calls Date.now()'],
    ['template', 'calls Math.random()'],
    ['conditional', 'calls Date.now()'],
    ['innerArrow', 'calls Math.random()'],
    ['innerFunction', 'calls new Date()'],
    ['defaultParam', 'calls Date.now()'],
    ['destructDefault', 'calls Date.now()'],
    ['[generator]', 'calls Math.random()'],
    ['withPrivate', 'calls Date.now()'],
    ['laterLocal', 'calls luxon_1.DateTime.local()'],
    ['namespaceNow', 'calls lx.DateTime.now()'],
    ['namespaceLocal', 'calls lx.DateTime.local()'],
    ['namespaceUtc', "calls lx.DateTime.utc({ locale: 'de' })"],
    ['namespaceBytes', 'calls nc.randomBytes(4)'],
    ['namespaceWebcrypto', 'calls nc.webcrypto.getRandomValues(new Uint8Array(2))'],
    ['perfHooksNow', 'calls perfHooks.performance.now()'],
  ])('detects Calls.%s', (method, expected) => {
    expect(messageFor(Calls, method)).toContain(`Calls.${method} ${expected}: a replayed action`);
  });
});

describe('validateDomainClass: references an alias could call', () => {
  it.each([
    ['constAlias', 'Date.now'],
    ['mapArg', 'Math.random'],
    ['passLuxon', 'luxon_1.DateTime.now'],
    ['passUuid', 'node_crypto_1.randomUUID'],
    ['passNamespace', 'lx.DateTime.now'],
    ['destructureNamespace', '{ now } = lx.DateTime (lx.DateTime.now)'],
    ['stored', 'luxon_1.DateTime.local'],
    ['destructure', '{ now } = Date (Date.now)'],
    ['renamed', '{ random: r } = Math (Math.random)'],
    ['fromModule', '{ randomUUID: id } = crypto (crypto.randomUUID)'],
  ])('detects Aliases.%s', (method, expected) => {
    expect(messageFor(Aliases, method)).toContain(
      `Aliases.${method} refers to ${expected} without calling it`,
    );
  });
});

describe('validateDomainClass: an alias made of a holder of time or randomness', () => {
  it.each([
    ['dateAlias', 'Date'],
    ['mathAlias', 'Math'],
    ['assigned', 'Date'],
    ['fromGlobal', '{ Date: D } = globalThis'],
    ['fromGlobalSameName', '{ Math } = globalThis'],
    ['nullish', 'Math'],
    ['ternary', 'Math'],
    ['defaulted', 'Math'],
    ['inObject', 'Math'],
    ['sameNamePerformance', '{ performance } = globalThis'],
    ['reflectConstruct', 'Date'],
    ['computedMember', 'Math'],
    ['perfAlias', 'performance'],
    ['luxonAlias', 'luxon_1.DateTime'],
    ['namespaceAlias', 'lx.DateTime'],
    ['webcryptoAlias', 'nc.webcrypto'],
  ])('detects Holders.%s (an alias was accepted before)', (method, expected) => {
    expect(messageFor(Holders, method)).toContain(
      `Holders.${method} refers to ${expected} without calling it`,
    );
  });

  it('allows the holders used in place: members, checks, comparisons, lists, apply', () => {
    class InPlace {
      kinds: string[] = [];
      check(v: unknown, ts: number) {
        const { floor, max } = Math;
        if (v instanceof Date || v instanceof DateTime) this.kinds.push('time');
        if ((v as object).constructor === Date || Math !== (v as object)) this.kinds.push('same');
        if (typeof performance === 'undefined') this.kinds.push('none');
        switch ((v as object).constructor) {
          case Date:
            this.kinds.push('date');
            break;
          default:
        }
        const kinds = [Date, Map, Set];
        if (kinds.some((k) => v instanceof k) || Object.is((v as object).constructor, Date)) {
          this.kinds.push('builtin');
        }
        return [
          floor(ts),
          max(ts, 1),
          new Date(ts),
          Date.UTC(2020, 0),
          process.env['HOME'],
          // What tsc emits for Math.max(...list) at an ES5 target (regression (review): refused).
          Math.max.apply(Math, [ts, 1]),
          Object.keys(Math).length,
        ];
      }
    }
    expect(() => validateDomainClass(InPlace, () => false)).not.toThrow();
  });
});

describe('validateDomainClass: allowed code', () => {
  it('ignores comments, strings and names that merely look alike', () => {
    class Quiet {
      notes: string[] = [];
      deps = { now: 0, random: 0, randomUUID: 0 };
      _clock = { now: () => 1, random: () => 0.5 };
      write(at: number) {
        // Date.now() would break replay; Math.random() too.
        /* crypto.randomUUID() and DateTime.now() are banned */
        this.notes.push('Date.now()', `Math.random() and new Date()`, 'DateTime.local()');
        this.deps = { now: at, random: 2, randomUUID: 3 };
        return this._clock.now() + this._clock.random() + this.deps.now;
      }
      now() {
        return this.notes.length;
      }
    }
    const source = Function.prototype.toString.call(Quiet.prototype.write);
    expect(source).toContain('// Date.now() would break replay');
    expect(() => validateDomainClass(Quiet, () => false)).not.toThrow();
  });

  it('allows deterministic constructors and factories', () => {
    class Dates {
      make(ts: number, iso: string) {
        return [
          DateTime.local(2020, 1, 1),
          DateTime.utc(2020, 6),
          DateTime.local(2020, 1, 1, { zone: 'utc' }),
          DateTime.fromMillis(ts),
          DateTime.fromISO(iso),
          new Date(ts),
          new Date(2020, 0, 1),
          Date.UTC(2020, 0, 1),
          Date.parse(iso),
          Math.floor(ts / 2),
        ];
      }
    }
    expect(() => validateDomainClass(Dates, () => false)).not.toThrow();
  });

  it('allows the injected clock and luxon reached through a namespace import with date parts', () => {
    class Stamped {
      _clock = { now: () => 1, random: () => 0.5, uuid: () => 'id' };
      ids = { randomUUID: () => 'mine', randomBytes: () => 2 };
      stamp(ts: number, iso: string) {
        return [
          this._clock.now(),
          this._clock.random(),
          this._clock.uuid(),
          this.ids.randomUUID(),
          this.ids.randomBytes(),
          lx.DateTime.local(2020, 1, 1),
          lx.DateTime.utc(2020, 6, { locale: 'de' }),
          lx.DateTime.fromMillis(ts),
          lx.DateTime.fromISO(iso),
          lx.Duration.fromMillis(ts),
        ];
      }
    }
    expect(Function.prototype.toString.call(Stamped.prototype.stamp)).toContain(
      'lx.DateTime.local(2020, 1, 1)',
    );
    expect(() => validateDomainClass(Stamped, () => false)).not.toThrow();
  });
});
