import { inspect, types } from 'node:util';
import { DateTime } from 'luxon';
import { abortOnException, copyOf, initSystem, readonly } from '../../lib';
import type { PrevalentMutable } from '../../lib';
import { rootView } from '../../lib/isolation/views';
import { tracked } from '../../lib/isolation/tracking';
import { freshBasedir } from '../support/tmp';
import { expectCode, inAction } from './helpers';

// Regression: in 'readonly' isolation a Date of the state was handed out as a Proxy over it, and
// inside an action `this.when` was a tracking Proxy. A Proxy has no [[DateValue]] slot, so
// `new Date(view)` (and `new Date(this.when)` in an action) read the Date's string and silently
// dropped the milliseconds, live and in replay alike; `Date.prototype.getTime.call(view)`,
// `util.types.isDate(view)` and `structuredClone(view)` threw or answered false. A Date's view
// and tracking object are now real Dates, kept equal to the state's Date.

const MS = Date.UTC(2024, 2, 5, 6, 7, 8, 678);

class Calendar {
  start = new Date(MS);
  end: Date | undefined;
  copy: Date | undefined;
  shared: Date | undefined;
  dates: Date[] = [new Date(MS + 1)];
  held: { list: Date[]; box: { at: Date } } | undefined;
  byDay = new Map<string, Date>();
  days = new Set<Date>();

  planWeek(): void {
    const end = new Date(this.start);
    end.setDate(end.getDate() + 7);
    this.end = end;
  }

  copyStart(): void {
    this.copy = new Date(this.start);
  }

  move(ms: number): void {
    this.start.setTime(ms);
  }

  @abortOnException
  moveThenFail(ms: number): void {
    this.start.setUTCMilliseconds(ms);
    throw new Error('refused after the change');
  }

  share(date: Date): void {
    this.shared = date;
  }

  borrowSetter(ms: number): void {
    this.dates.push(new Date(MS + 2));
    Date.prototype.setTime.call(this.start, ms);
  }

  borrowThenSet(ms: number): void {
    Date.prototype.setTime.call(this.start, 0);
    this.start.setTime(ms);
  }

  copyStartAgain(): void {
    this.copy = new Date(this.start);
  }

  dropDates(): void {
    this.dates = [];
  }

  hold(box: { at: Date }): void {
    this.held = { list: [], box };
  }

  holdStartIn(): void {
    this.held = { list: [this.start], box: { at: this.start } };
    this.byDay = new Map([['mon', this.start]]);
    this.days = new Set([this.start]);
  }

  @readonly
  sharesStart(): boolean {
    return this.shared === this.start;
  }
}

const opened: Array<PrevalentMutable<Calendar>> = [];
function open(dir: string, initial?: Calendar): PrevalentMutable<Calendar> {
  const s = initSystem(initial ?? Calendar, dir) as PrevalentMutable<Calendar>;
  opened.push(s);
  return s;
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('a view of a Date', () => {
  it('is copied by new Date(view) with its milliseconds', () => {
    const s = open(freshBasedir(), new Calendar());
    expect(new Date(s.start).getTime()).toBe(MS);
    expect(new Date(s.dates[0]!).getTime()).toBe(MS + 1);
  });

  it('is a Date to built-ins that read its slot: getTime.call, util.types.isDate, structuredClone', () => {
    const s = open(freshBasedir(), new Calendar());
    const view = s.start;
    expect(Date.prototype.getTime.call(view)).toBe(MS);
    expect(types.isDate(view)).toBe(true);
    const clone = structuredClone(view);
    expect(types.isDate(clone)).toBe(true);
    expect(clone.getTime()).toBe(MS);
    expect(clone).toEqual(new Date(MS));
  });

  it('keeps what code expects of a Date: instanceof, its tag, constructor, JSON, inspect, toEqual, luxon', () => {
    const s = open(freshBasedir(), new Calendar());
    const view = s.start;
    expect(view instanceof Date).toBe(true);
    expect(Object.prototype.toString.call(view)).toBe('[object Date]');
    expect(view.constructor).toBe(Date);
    expect(JSON.stringify({ at: view })).toBe(JSON.stringify({ at: new Date(MS) }));
    expect(inspect(view)).toBe(inspect(new Date(MS)));
    expect(view).toEqual(new Date(MS));
    expect(view.getTime()).toBe(MS);
    expect(+view).toBe(MS);
    expect(`${view.toISOString()}`).toBe('2024-03-05T06:07:08.678Z');
    expect(DateTime.fromJSDate(view).toMillis()).toBe(MS);
  });

  it('refuses its setters with READONLY_VIOLATION and the state keeps its time', () => {
    const s = open(freshBasedir(), new Calendar());
    const view = s.start as Date;
    for (const call of [
      () => view.setTime(0),
      () => view.setFullYear(2000),
      () => view.setUTCHours(1),
      () => view.setMilliseconds(1),
    ]) {
      expect(expectCode(call, 'READONLY_VIOLATION')).toMatch(/call Date\.prototype\.set\w+\(\)/);
    }
    expect(s.start.getTime()).toBe(MS);
    expect(new Date(s.start).getTime()).toBe(MS);
  });

  it('refuses an assignment (READONLY_VIOLATION) and a property definition (TypeError)', () => {
    const view = rootView({ when: new Date(MS) }).when as Date & { note?: string };
    expectCode(() => (view.note = 'x'), 'READONLY_VIOLATION');
    expect(() => Object.defineProperty(view, 'note', { value: 'x' })).toThrow(TypeError);
    expect(view.note).toBeUndefined();
  });

  it('kept in a variable and used inside an action is refused, as any view (NONDETERMINISTIC_METHOD)', () => {
    const raw = { when: new Date(MS) };
    const view = rootView(raw).when;
    const p = tracked(raw);
    inAction(() => {
      expectCode(() => view.getTime(), 'NONDETERMINISTIC_METHOD');
      expectCode(() => (p.when = view), 'NONDETERMINISTIC_METHOD');
    });
    expect(raw.when.getTime()).toBe(MS);
  });

  it('is the same view every time it is read', () => {
    const s = open(freshBasedir(), new Calendar());
    expect(s.start).toBe(s.start);
    expect(s.dates[0]).toBe(s.dates[0]);
  });

  it("follows a later action's change and a rollback (@abortOnException)", () => {
    const s = open(freshBasedir(), new Calendar());
    const view = s.start;
    s.move(MS + 5);
    expect(view.getTime()).toBe(MS + 5);
    expect(Date.prototype.getTime.call(view)).toBe(MS + 5);
    expect(new Date(view).getTime()).toBe(MS + 5);
    expect(() => s.moveThenFail(1)).toThrow('refused after the change');
    expect(view.getTime()).toBe(MS + 5);
    expect(new Date(view).getTime()).toBe(MS + 5);
  });

  it('passed back to an action means that very Date (shared identity)', async () => {
    const dir = freshBasedir();
    const s = open(dir, new Calendar());
    s.share(s.start);
    expect(s.shared).toBe(s.start);
    expect(s.sharesStart()).toBe(true);
    s.move(MS + 9);
    expect(s.shared!.getTime()).toBe(MS + 9);
    await s.close();
    opened.length = 0;
    const again = open(dir);
    expect(again.sharesStart()).toBe(true);
    expect(new Date(again.shared!).getTime()).toBe(MS + 9);
  });

  it('of a Date the state no longer holds is STALE_REFERENCE when passed back', () => {
    const s = open(freshBasedir(), new Calendar());
    const gone = s.dates[0]!;
    s.dropDates();
    expectCode(() => s.share(gone), 'STALE_REFERENCE');
  });

  it('is copied by copyOf into a plain mutable Date', () => {
    const s = open(freshBasedir(), new Calendar());
    const copy = copyOf(s.start);
    expect(Object.getPrototypeOf(copy)).toBe(Date.prototype);
    copy.setTime(0);
    expect(copy.getTime()).toBe(0);
    expect(s.start.getTime()).toBe(MS);
  });

  it('changed by a borrowed built-in setter changes only that object, never the state', () => {
    const s = open(freshBasedir(), new Calendar());
    const view = s.start;
    Date.prototype.setTime.call(view, 0);
    expect(s.start.getTime()).toBe(MS);
    s.copyStart();
    expect(s.copy!.getTime()).toBe(MS);
  });
});

describe('a stored Date put inside a value an action stores', () => {
  // Regression: the store-time check asked a tracking object (a Date whose prototype is
  // prevalent's own) for its kind and refused it as 'an instance of class Date, which extends a
  // built-in type', so `this.list = [this.when]` and the like failed with NOT_SERIALIZABLE.
  it('is stored as that very Date, in an array, an object, a Map and a Set, live and after a restart', async () => {
    const dir = freshBasedir();
    const s = open(dir, new Calendar());
    s.holdStartIn();
    expect(s.held!.list[0]).toBe(s.start);
    expect(s.held!.box.at).toBe(s.start);
    expect(s.byDay.get('mon')).toBe(s.start);
    expect(s.days.has(s.start)).toBe(true);
    s.move(MS + 3);
    expect(new Date(s.held!.list[0]!).getTime()).toBe(MS + 3);
    await s.close();
    opened.length = 0;
    const again = open(dir);
    expect(again.held!.list[0]).toBe(again.start);
    expect(again.byDay.get('mon')).toBe(again.start);
    expect(new Date(again.held!.box.at).getTime()).toBe(MS + 3);
  });

  it('is stored as that very Date when its view comes inside an argument', () => {
    const s = open(freshBasedir(), new Calendar());
    s.hold({ at: s.start });
    expect(s.held!.box.at).toBe(s.start);
  });
});

describe('a Date copied inside an action', () => {
  it('keeps its milliseconds, live and after a restart from the journal or a snapshot', async () => {
    const dir = freshBasedir();
    const s = open(dir, new Calendar());
    s.copyStart();
    s.planWeek();
    const week = MS + 7 * 86_400_000;
    expect(s.copy!.getTime()).toBe(MS);
    expect(s.end!.getTime()).toBe(week);
    await s.close();
    opened.length = 0;

    const replayed = open(dir);
    expect(replayed.copy!.getTime()).toBe(MS);
    expect(replayed.end!.getTime()).toBe(week);
    replayed.takeSnapshot();
    await replayed.close();
    opened.length = 0;

    const restored = open(dir);
    expect(restored.copy!.getTime()).toBe(MS);
    expect(restored.end!.getTime()).toBe(week);
  });

  it('from a tracking object: new Date(this.when) and getTime.call see the state, setters reach it', () => {
    const raw = { when: new Date(MS) };
    const p = tracked(raw);
    let copied = 0;
    let borrowed = 0;
    const view = rootView(raw).when;
    inAction(() => {
      copied = new Date(p.when).getTime();
      p.when.setUTCMilliseconds(1);
      borrowed = Date.prototype.getTime.call(p.when);
    });
    expect(copied).toBe(MS);
    expect(borrowed).toBe(MS - 677);
    expect(raw.when.getTime()).toBe(MS - 677);
    expect(Date.prototype.getTime.call(view)).toBe(MS - 677);
  });

  it('a rollback puts the time back in the state, its view and its tracking object', () => {
    const raw = { when: new Date(MS) };
    const view = rootView(raw).when;
    const p = tracked(raw);
    const log = inAction(() => p.when.setTime(5));
    expect(Date.prototype.getTime.call(view)).toBe(5);
    log.rollback();
    expect(raw.when.getTime()).toBe(MS);
    expect(Date.prototype.getTime.call(view)).toBe(MS);
    expect(new Date(p.when).getTime()).toBe(MS);
  });
});

describe('a Date setter borrowed onto a stored Date inside an action', () => {
  // A tracking object kept from one action to the next with the borrowed time in its slot gave
  // `new Date(this.when)` that time in the next action live, and the state's after a restart.
  it('undoes the action with READONLY_VIOLATION saying to call the setter on the Date', () => {
    const s = open(freshBasedir(), new Calendar());
    const message = expectCode(() => s.borrowSetter(0), 'READONLY_VIOLATION');
    expect(message).toMatch(/borrowed/);
    expect(message).toMatch(/this\.when\.setTime\(t\)/);
    expect(s.start.getTime()).toBe(MS);
    expect(s.dates).toHaveLength(1);
    s.copyStartAgain();
    expect(s.copy!.getTime()).toBe(MS);
  });

  it('followed by the setter on the Date itself is that setter, as in plain JavaScript', () => {
    const s = open(freshBasedir(), new Calendar());
    s.borrowThenSet(MS + 5);
    expect(s.start.getTime()).toBe(MS + 5);
    s.copyStartAgain();
    expect(s.copy!.getTime()).toBe(MS + 5);
  });
});
