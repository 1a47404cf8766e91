import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { SystemClock, type Clock } from '../../lib/clock/clock';
import { Sfc32 } from '../../lib/clock/random';
import { newDirectorySeed } from '../../lib/clock/seed';
import { isPrevalenceError } from '../../lib/errors';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, randomUUID: jest.fn(actual.randomUUID) };
});

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TS = Date.UTC(2001, 8, 9, 1, 46, 40);

/** Runs `fn` as if inside the action journaled with `ts` and `seq`. */
function inAction<T>(clock: SystemClock, ts: number, seq: number, fn: (c: Clock) => T): T {
  clock.enter(ts, seq);
  try {
    return fn(clock);
  } finally {
    clock.exit();
  }
}

/** The mixed random()/uuid() sequence an action would draw. */
function draws(clock: SystemClock, ts: number, seq: number): Array<number | string> {
  return inAction(clock, ts, seq, (c) => [c.random(), c.uuid(), c.random(), c.random(), c.uuid()]);
}

afterEach(() => jest.restoreAllMocks());

describe('SystemClock inside an action', () => {
  it('answers the action timestamp, not the real time', () => {
    const clock = new SystemClock();
    clock.enter(TS, 7);
    expect(clock.now().toMillis()).toBe(TS);
    expect(clock.now().zoneName).toBe(DateTime.now().zoneName);
    expect(clock.utcNow().toMillis()).toBe(TS);
    expect(clock.utcNow().zoneName).toBe('UTC');
    expect(clock.today().toISO()).toBe(DateTime.fromMillis(TS).startOf('day').toISO());
    expect(clock.today().hour).toBe(0);
  });

  it('keeps answering the same instant while the action runs', () => {
    const clock = new SystemClock();
    clock.enter(TS, 1);
    const first = clock.now();
    jest.spyOn(Date, 'now').mockReturnValue(TS + 60_000);
    expect(clock.now().equals(first)).toBe(true);
  });

  it('follows each action timestamp in turn', () => {
    const clock = new SystemClock();
    const stamps = [TS, TS + 1, TS + 1, TS + 5_000, TS + 86_400_000];
    const seen = stamps.map((ts, i) => inAction(clock, ts, i + 1, (c) => c.now().toMillis()));
    expect(seen).toEqual(stamps);
  });

  it('gives floats in [0, 1) that use all 53 bits', () => {
    const clock = new SystemClock();
    const values = inAction(clock, TS, 3, (c) => Array.from({ length: 2000 }, () => c.random()));
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
      expect(Number.isInteger(v * 2 ** 53)).toBe(true);
    }
    // A 32-bit generator scaled to [0, 1) would leave the low 21 bits zero.
    expect(values.some((v) => (v * 2 ** 53) % 2 ** 21 !== 0)).toBe(true);
    expect(new Set(values).size).toBe(values.length);
  });

  it('formats uuids as RFC 4122 version 4', () => {
    const clock = new SystemClock();
    const ids = inAction(clock, TS, 4, (c) => Array.from({ length: 500 }, () => c.uuid()));
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(new Set(ids).size).toBe(ids.length);
    // Every variant nibble (8, 9, a, b) shows up, so those bits are random too.
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
  });
});

describe('SystemClock determinism', () => {
  it('replays the same random()/uuid() sequence for the same seq and ts', () => {
    const live = draws(new SystemClock(), TS, 42);
    const replayed = draws(new SystemClock(), TS, 42);
    expect(replayed).toEqual(live);
  });

  it('restarts the sequence when the same action is entered again', () => {
    const clock = new SystemClock();
    const first = draws(clock, TS, 9);
    draws(clock, TS + 1, 10);
    expect(draws(clock, TS, 9)).toEqual(first);
  });

  it('differs between actions', () => {
    const clock = new SystemClock();
    const base = draws(clock, TS, 100);
    expect(draws(clock, TS, 101)).not.toEqual(base);
    expect(draws(clock, TS + 1, 100)).not.toEqual(base);
    expect(draws(clock, TS + 2 ** 32, 100)).not.toEqual(base);
    expect(draws(clock, TS, 100 + 2 ** 32)).not.toEqual(base);
  });

  it('holds for any action number and timestamp', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: -8.64e15, max: 8.64e15 }),
        (seq, ts) => {
          const live = draws(new SystemClock(), ts, seq);
          expect(draws(new SystemClock(), ts, seq)).toEqual(live);
          for (const value of live) {
            if (typeof value === 'string') expect(value).toMatch(UUID_V4);
            else expect(value >= 0 && value < 1).toBe(true);
          }
        },
      ),
    );
  });

  it('spreads the first draw of consecutive actions evenly', () => {
    const clock = new SystemClock();
    const buckets = new Array<number>(10).fill(0);
    const ids = new Set<string>();
    for (let seq = 1; seq <= 10_000; seq++) {
      const [r, id] = inAction(clock, TS, seq, (c) => [c.random(), c.uuid()] as const);
      buckets[Math.floor(r * 10)]! += 1;
      ids.add(id);
    }
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
    expect(ids.size).toBe(10_000);
  });

  it('keeps producing the values journals were written with', () => {
    // Changing the generator or its seeding would make every stored journal
    // replay differently; this pins the algorithm.
    const clock = new SystemClock();
    expect(
      inAction(clock, 1_700_000_000_000, 1, (c) => [c.random(), c.random(), c.uuid()]),
    ).toEqual([0.1892913336089831, 0.26374730790156875, '3410f98f-4d51-4e9b-b1f4-09d78f99cb21']);
    expect(inAction(clock, 0, 0, (c) => [c.random(), c.uuid()])).toEqual([
      0.5916386528182085,
      'de707940-9c66-4487-98fa-9cc635bc13f4',
    ]);
  });

  it('seeds lazily, only when an action asks for randomness', () => {
    const seed = jest.spyOn(Sfc32.prototype, 'seed');
    const clock = new SystemClock();
    inAction(clock, TS, 1, (c) => c.now());
    expect(seed).not.toHaveBeenCalled();
    inAction(clock, TS, 2, (c) => [c.random(), c.uuid(), c.random()]);
    expect(seed).toHaveBeenCalledTimes(1);
    expect(seed).toHaveBeenCalledWith(2, TS);
  });
});

describe('SystemClock with a directory seed', () => {
  const SEED = '0123456789abcdeffedcba9876543210';

  it('draws other values than another directory for the same seq and ts (regression: two directories collided)', () => {
    const one = draws(new SystemClock(newDirectorySeed()), TS, 1);
    const other = draws(new SystemClock(newDirectorySeed()), TS, 1);
    for (const [i, value] of one.entries()) expect(other[i]).not.toBe(value);
  });

  it('replays the same values for the same seed, seq and ts', () => {
    expect(draws(new SystemClock(SEED), TS, 42)).toEqual(draws(new SystemClock(SEED), TS, 42));
  });

  it('keeps distinct actions of one directory distinct', () => {
    const clock = new SystemClock(SEED);
    const ids = new Set<string>();
    for (let seq = 1; seq <= 2000; seq++) ids.add(inAction(clock, TS, seq, (c) => c.uuid()));
    expect(ids.size).toBe(2000);
  });

  it('keeps producing the values seeded journals were written with', () => {
    // Pins the mixing of the seed: changing it would make every journal of a
    // seeded directory replay differently.
    expect(
      inAction(new SystemClock(SEED), 1_700_000_000_000, 1, (c) => [
        c.random(),
        c.random(),
        c.uuid(),
      ]),
    ).toEqual([0.3163951580488725, 0.6589632573070334, 'a26dbf97-4de1-4d30-91c0-fcb5c7324883']);
  });

  it('seeds like a clock without a seed for the all-zero seed (the key only adds bits)', () => {
    expect(draws(new SystemClock('0'.repeat(32)), TS, 5)).toEqual(draws(new SystemClock(), TS, 5));
  });

  it.each([['ABCDEF0123456789ABCDEF0123456789'], ['0123'], ['']])(
    'refuses the malformed seed %j with INVALID_OPTION',
    (seed) => {
      let err: unknown;
      try {
        new SystemClock(seed);
      } catch (e) {
        err = e;
      }
      expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
    },
  );
});

describe('newDirectorySeed', () => {
  it('draws 32 lowercase hex digits, different every time', () => {
    const seeds = Array.from({ length: 50 }, () => newDirectorySeed());
    for (const seed of seeds) expect(seed).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(seeds).size).toBe(seeds.length);
  });
});

describe('SystemClock outside actions', () => {
  it('uses real time before the first action and after exit()', () => {
    const clock = new SystemClock();
    const real = TS + 123_456;
    jest.spyOn(Date, 'now').mockReturnValue(real);
    expect(clock.now().toMillis()).toBe(real);
    clock.enter(TS, 1);
    clock.exit();
    expect(clock.now().toMillis()).toBe(real);
    expect(clock.utcNow().toMillis()).toBe(real);
    expect(clock.utcNow().zoneName).toBe('UTC');
    expect(clock.today().toMillis()).toBe(DateTime.fromMillis(real).startOf('day').toMillis());
  });

  it('uses Math.random() and crypto.randomUUID()', () => {
    const clock = new SystemClock();
    jest.spyOn(Math, 'random').mockReturnValue(0.25);
    jest.mocked(randomUUID).mockReturnValueOnce('00000000-0000-4000-8000-000000000000');
    clock.enter(TS, 1);
    expect(clock.random()).not.toBe(0.25);
    clock.exit();
    expect(clock.random()).toBe(0.25);
    expect(clock.uuid()).toBe('00000000-0000-4000-8000-000000000000');
    expect(clock.uuid()).toMatch(UUID_V4);
    expect(clock.uuid()).not.toBe(new SystemClock().uuid());
  });
});
