import { DateTime } from 'luxon';
import {
  enableClock,
  installClock,
  mockClock,
  SystemClock,
  type Clock,
} from '../../lib/clock/clock';
import { isPrevalenceError } from '../../lib/errors';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const INSTANT = '2024-02-29T13:45:10.250Z';
const INSTANT_MS = Date.parse(INSTANT);

/** A domain class as users write it: a declared `_clock` field and methods that use it. */
class Wiki {
  _clock!: Clock;
  pages: Array<{ id: string; title: string; created: string }> = [];

  createPage(title: string): string {
    const id = this._clock.uuid();
    this.pages.push({ id, title, created: this._clock.utcNow().toISO() ?? '' });
    return id;
  }
}

/** A domain class that never mentions `_clock`. */
class Counter {
  count = 0;
}

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

afterEach(() => jest.restoreAllMocks());

describe('installClock', () => {
  it('turns a declared _clock field into a non-enumerable property holding the clock as its five methods (regression (code review): the clock itself, whose generator an action could change)', () => {
    const wiki = new Wiki();
    // The declared field really is an own enumerable property before install.
    expect(Object.keys(wiki)).toContain('_clock');
    const clock = new SystemClock();
    installClock(wiki, clock);
    const desc = Object.getOwnPropertyDescriptor(wiki, '_clock')!;
    expect(desc).toMatchObject({ enumerable: false, writable: true, configurable: true });
    expect(desc.value).not.toBe(clock);
    expect(Object.isFrozen(desc.value)).toBe(true);
    expect(Object.getOwnPropertyNames(desc.value).sort()).toEqual([
      'now',
      'random',
      'today',
      'utcNow',
      'uuid',
    ]);
    expect(Object.keys(wiki)).not.toContain('_clock');
    expect(JSON.parse(JSON.stringify(wiki))).toEqual({ pages: [] });
    expect({ ...wiki }).not.toHaveProperty('_clock');
  });

  it('adds a non-enumerable _clock to an object without the field', () => {
    const counter = new Counter();
    const clock = new SystemClock();
    installClock(counter, clock);
    clock.enter(INSTANT_MS, 1);
    expect((counter as unknown as { _clock: Clock })._clock.utcNow().toMillis()).toBe(INSTANT_MS);
    clock.exit();
    expect(Object.keys(counter)).toEqual(['count']);
  });

  it('replaces a clock installed before, keeping it hidden', () => {
    const wiki = new Wiki();
    installClock(wiki, new SystemClock());
    const second = new SystemClock();
    installClock(wiki, second);
    second.enter(INSTANT_MS, 1);
    expect(wiki._clock.utcNow().toMillis()).toBe(INSTANT_MS);
    second.exit();
    expect(Object.keys(wiki)).not.toContain('_clock');
  });

  it('lets the action clock drive domain code', () => {
    const wiki = new Wiki();
    const clock = new SystemClock();
    installClock(wiki, clock);
    clock.enter(INSTANT_MS, 5);
    const id = wiki.createPage('Home');
    clock.exit();
    expect(id).toMatch(UUID_V4);
    expect(wiki.pages).toEqual([{ id, title: 'Home', created: INSTANT }]);
  });

  it('explains why a frozen domain object cannot take a clock', () => {
    const err = thrown(() => installClock(Object.freeze(new Counter()), new SystemClock()));
    expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
    expect((err as Error).message).toMatch(/cannot install a clock on a Counter: .*freeze/);
  });

  it('rejects something that is not an object', () => {
    const err = thrown(() => installClock(null as unknown as object, new SystemClock()));
    expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
    expect((err as Error).message).toContain('cannot install a clock on null');
  });
});

describe('mockClock', () => {
  it.each<[string, Date | DateTime | string | number]>([
    ['a Date', new Date(INSTANT_MS)],
    ['a luxon DateTime', DateTime.fromISO(INSTANT, { zone: 'Asia/Tokyo' })],
    ['an ISO string', INSTANT],
    ['an ISO string with an offset', '2024-02-29T14:45:10.250+01:00'],
    ['epoch milliseconds', INSTANT_MS],
  ])('stops the clock at %s', (_, date) => {
    const wiki = new Wiki();
    mockClock(wiki, date);
    jest.spyOn(Date, 'now').mockReturnValue(INSTANT_MS + 3_600_000);
    expect(wiki._clock.now().toMillis()).toBe(INSTANT_MS);
    expect(wiki._clock.now().zoneName).toBe(DateTime.now().zoneName);
    expect(wiki._clock.utcNow().toISO()).toBe(INSTANT);
    expect(wiki._clock.today().toMillis()).toBe(
      DateTime.fromMillis(INSTANT_MS).startOf('day').toMillis(),
    );
    expect(Object.keys(wiki)).not.toContain('_clock');
  });

  it('makes random() and uuid() repeat for the same instant', () => {
    const a = new Wiki();
    const b = new Wiki();
    mockClock(a, INSTANT);
    mockClock(b, INSTANT);
    const seqA = [a._clock.random(), a._clock.uuid(), a._clock.random()];
    expect([b._clock.random(), b._clock.uuid(), b._clock.random()]).toEqual(seqA);
    expect(seqA[0]).not.toBe(seqA[2]);
    expect(seqA[1]).toMatch(UUID_V4);
  });

  it('lets domain code be unit-tested without a system', () => {
    const wiki = new Wiki();
    mockClock(wiki, INSTANT);
    const id = wiki.createPage('Home');
    const again = new Wiki();
    mockClock(again, INSTANT);
    expect(again.createPage('Home')).toBe(id);
    expect(wiki.pages).toEqual([{ id, title: 'Home', created: INSTANT }]);
  });

  it.each<[string, Date | string | number]>([
    ['an invalid ISO string', 'last tuesday'],
    ['an invalid Date', new Date('nope')],
    ['NaN', Number.NaN],
  ])('rejects %s', (_, date) => {
    const err = thrown(() => mockClock(new Wiki(), date));
    expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
    expect((err as Error).message).toContain('pass a valid Date, luxon DateTime');
  });
});

describe('enableClock', () => {
  it('installs real time and real randomness', () => {
    const wiki = new Wiki();
    enableClock(wiki);
    jest.spyOn(Date, 'now').mockReturnValue(INSTANT_MS);
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    expect(wiki._clock.now().toMillis()).toBe(INSTANT_MS);
    expect(wiki._clock.utcNow().toISO()).toBe(INSTANT);
    expect(wiki._clock.random()).toBe(0.5);
    expect(wiki._clock.uuid()).toMatch(UUID_V4);
    expect(wiki._clock.uuid()).not.toBe(wiki._clock.uuid());
    expect(Object.keys(wiki)).not.toContain('_clock');
  });

  it('replaces a mocked clock', () => {
    const wiki = new Wiki();
    mockClock(wiki, 0);
    enableClock(wiki);
    jest.spyOn(Date, 'now').mockReturnValue(INSTANT_MS);
    expect(wiki._clock.now().toMillis()).toBe(INSTANT_MS);
  });
});
