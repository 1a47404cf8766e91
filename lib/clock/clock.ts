import { randomUUID } from 'node:crypto';
import type { DateTime } from 'luxon';
import { luxonDateTime } from '../luxon';
import { PrevalenceError } from '../errors';
import { Sfc32 } from './random';
import { type DirectorySeed, seedWords } from './seed';

/**
 * The domain's only source of time and randomness, installed as `this._clock`
 * on the domain object. Inside an action every value is derived from the
 * action's journaled timestamp and sequence number and from the data
 * directory's random seed (drawn when the directory was created, kept in its
 * snapshots), so replaying the journal reproduces exactly what the live call
 * saw, while another directory's actions draw other values.
 */
export abstract class Clock {
  /** The current instant in the local zone (inside an action: when the action started). */
  abstract now(): DateTime;
  /** The current instant in UTC (inside an action: when the action started). */
  abstract utcNow(): DateTime;
  /** The start of the current day in the local zone. */
  abstract today(): DateTime;
  /** A float in [0, 1); inside an action, deterministic for that action of that data directory. */
  abstract random(): number;
  /** An RFC 4122 version-4 UUID; inside an action, deterministic for that action of that data directory. */
  abstract uuid(): string;
}

/**
 * What the system object hands out as `_clock`: the clock's five methods and
 * nothing else, frozen. The clock itself (its action time, its generator's
 * state) must not be reachable from outside: a change to it would make the
 * next action draw other values than its replay.
 */
function readOnlyClock(clock: Clock): Clock {
  const facade = Object.create(Clock.prototype) as Clock;
  for (const name of ['now', 'utcNow', 'today', 'random', 'uuid'] as const) {
    Object.defineProperty(facade, name, { value: () => clock[name]() });
  }
  return Object.freeze(facade);
}

/** A clock backed by real time and real randomness. */
class RealClock extends Clock {
  now(): DateTime {
    return luxonDateTime().fromMillis(Date.now());
  }

  utcNow(): DateTime {
    return luxonDateTime().fromMillis(Date.now(), { zone: 'utc' });
  }

  today(): DateTime {
    return this.now().startOf('day');
  }

  random(): number {
    return Math.random();
  }

  uuid(): string {
    return randomUUID();
  }
}

const realClock = new RealClock();

/**
 * The clock of one open system. The action runner calls {@link enter} before
 * each action (live and during replay) and {@link exit} after it; in between,
 * time is frozen at the action's timestamp and randomness comes from a
 * generator seeded by the action's sequence number and timestamp, mixed with
 * the data directory's seed. Outside actions (queries, tests) it behaves like
 * a real clock.
 *
 * Actions do not nest: `enter` replaces the current action's context.
 */
export class SystemClock extends Clock {
  private inAction = false;
  private ts = 0;
  private seq = 0;
  // Seeding costs a few dozen generator rounds, so it waits for the first
  // random()/uuid() call; most actions never ask.
  private seeded = false;
  private readonly rng = new Sfc32();

  /**
   * @param seed the data directory's seed (see {@link DirectorySeed}), as
   *   its snapshots record it; undefined for a directory created before
   *   directories had one, which keeps seeding by sequence number and
   *   timestamp alone, exactly as its journal was written
   */
  constructor(seed?: DirectorySeed) {
    super();
    if (seed !== undefined) this.rng.setKey(...seedWords(seed));
  }

  /** Starts an action that was (or is being) journaled with timestamp `ts` (ms) and number `seq`. */
  enter(ts: number, seq: number): void {
    this.ts = ts;
    this.seq = seq;
    this.seeded = false;
    this.inAction = true;
  }

  /** Ends the current action; the clock returns to real time and randomness. */
  exit(): void {
    this.inAction = false;
  }

  now(): DateTime {
    return this.inAction ? luxonDateTime().fromMillis(this.ts) : realClock.now();
  }

  utcNow(): DateTime {
    return this.inAction
      ? luxonDateTime().fromMillis(this.ts, { zone: 'utc' })
      : realClock.utcNow();
  }

  today(): DateTime {
    return this.now().startOf('day');
  }

  random(): number {
    return this.inAction ? this.actionRng().nextFloat() : realClock.random();
  }

  uuid(): string {
    return this.inAction ? this.actionRng().nextUuid() : realClock.uuid();
  }

  private actionRng(): Sfc32 {
    if (!this.seeded) {
      this.rng.seed(this.seq, this.ts);
      this.seeded = true;
    }
    return this.rng;
  }
}

/** A clock stopped at one instant, with a fixed-seed generator; see {@link mockClock}. */
class FrozenClock extends Clock {
  private readonly rng = new Sfc32();

  constructor(private readonly millis: number) {
    super();
    this.rng.seed(0, millis);
  }

  now(): DateTime {
    return luxonDateTime().fromMillis(this.millis);
  }

  utcNow(): DateTime {
    return luxonDateTime().fromMillis(this.millis, { zone: 'utc' });
  }

  today(): DateTime {
    return this.now().startOf('day');
  }

  random(): number {
    return this.rng.nextFloat();
  }

  uuid(): string {
    return this.rng.nextUuid();
  }
}

/**
 * Installs `clock` as the domain's `_clock` (as its five methods, see
 * readOnlyClock): an own, non-enumerable, configurable property, so it is
 * never stored in snapshots. A `_clock` field declared by the domain class
 * (an own enumerable property) is redefined. A live action assigning,
 * defining or deleting it (`this[key] = v` with a key from a request) is
 * refused whole (see refuseClockChange): a snapshot does not keep it, so
 * only the later live actions would see the change.
 */
export function installClock(domain: object, clock: Clock): void {
  if ((typeof domain !== 'object' && typeof domain !== 'function') || domain === null) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `cannot install a clock on ${String(domain)}: pass the domain object itself`,
    );
  }
  try {
    Object.defineProperty(domain, '_clock', {
      // The five methods only: the clock's own state (its action time, its
      // generator) must not be reachable through `this._clock` either.
      value: readOnlyClock(clock),
      enumerable: false,
      // Writable, so a journal an earlier version wrote, in which an action
      // assigned it, replays as it ran; a live action assigning it is refused.
      writable: true,
      configurable: true,
    });
  } catch (err) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `cannot install a clock on ${describeDomain(domain)}: ${(err as Error).message}; ` +
        'do not freeze or seal the domain object, and do not make `_clock` non-configurable',
      { cause: err },
    );
  }
}

/**
 * Test helper: gives `domain` a clock stopped at `date` (a `Date`, a luxon
 * `DateTime`, an ISO 8601 string or epoch milliseconds). `now()`, `utcNow()`
 * and `today()` always answer that instant; `random()` and `uuid()` produce
 * the same sequence every time the helper is called with the same instant.
 */
export function mockClock(domain: object, date: Date | DateTime | string | number): void {
  installClock(domain, new FrozenClock(toMillis(date)));
}

/** Test helper: gives `domain` a clock with real time and real randomness. */
export function enableClock(domain: object): void {
  installClock(domain, realClock);
}

function toMillis(date: Date | DateTime | string | number): number {
  const millis = rawMillis(date);
  // Beyond ±8.64e15 ms no Date or DateTime exists: now() would give an invalid one.
  if (!Number.isFinite(millis) || Math.abs(millis) > 8.64e15) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `mockClock cannot use ${JSON.stringify(String(date))} as an instant; ` +
        'pass a valid Date, luxon DateTime, ISO 8601 string or epoch milliseconds (within ±8.64e15, the range of a Date)',
    );
  }
  return millis;
}

function rawMillis(date: Date | DateTime | string | number): number {
  if (typeof date === 'number') return date;
  if (typeof date === 'string') return luxonDateTime().fromISO(date).toMillis();
  if (date instanceof Date) return date.getTime();
  if (luxonDateTime().isDateTime(date)) return date.toMillis();
  return Number.NaN;
}

function describeDomain(domain: object): string {
  const name = (domain as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'the domain object';
}
