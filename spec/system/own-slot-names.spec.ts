import { initSystem } from '../../lib';
import type { PrevalentMutable } from '../../lib';
import { tracked } from '../../lib/isolation/tracking';
import { freshBasedir } from '../support/tmp';
import { inAction } from '../isolation/helpers';

// Regression: the encodings and the undo log read a Date's time, a RegExp's source and flags, and
// a typed array's length through getTime(), .source, .flags, .global, .length, which an action may
// define on the object as its own (non-enumerable, so not stored, and accepted like any
// runtime-only helper). A snapshot then kept another time or pattern than the object held, and a
// restart changed them; a rollback restored the time an own getTime() gave, through an own setTime().
// A Date's tracking object is a real Date that cannot take properties of its own (see
// lib/isolation/date-mirrors.ts: Object.defineProperty on it throws TypeError), so the Date's own
// getTime and setTime are defined on the raw Date, as an earlier version of an action could have.

const hide = (obj: object, name: string, value: unknown): void => {
  Object.defineProperty(obj, name, { value, configurable: true, writable: true });
};

class Clocked {
  when = new Date(Date.UTC(2024, 0, 2));
  pattern = /ab+c/g;
  words = new Uint16Array([1, 2, 3]);

  mask(): void {
    hide(this.pattern, 'source', 'x');
    hide(this.pattern, 'flags', 'i');
    hide(this.pattern, 'global', false);
    hide(this.pattern, 'sticky', true);
    hide(this.words, 'length', 1);
  }
}

const opened: Array<PrevalentMutable<Clocked>> = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('built-ins given own properties named like their internal slots', () => {
  it('snapshot the time, pattern, flags and elements they hold', async () => {
    const dir = freshBasedir();
    const s = initSystem(new Clocked(), { basedir: dir, isolation: 'none' });
    // 'none' hands out the raw Date.
    hide(s.when, 'getTime', () => 0);
    hide(s.when, 'setTime', () => 0);
    s.mask();
    s.takeSnapshot();
    await s.close();
    const again = initSystem(Clocked, { basedir: dir, isolation: 'none' });
    opened.push(again);
    expect(Date.prototype.getTime.call(again.when)).toBe(Date.UTC(2024, 0, 2));
    expect(RegExp.prototype.toString.call(again.pattern)).toBe('/ab+c/g');
    expect(Array.from(again.words)).toEqual([1, 2, 3]);
  });

  it('roll back a Date change through its real time', () => {
    const raw = new Clocked();
    hide(raw.when, 'getTime', () => 5);
    hide(raw.when, 'setTime', () => 5);
    const log = inAction(() => {
      const p = tracked(raw);
      expect(p.when.getTime()).toBe(5); // the Date's own, as a tracking proxy read it
      p.when.setUTCFullYear(2000);
    });
    expect(Date.prototype.getUTCFullYear.call(raw.when)).toBe(2000);
    log.rollback();
    expect(Date.prototype.getTime.call(raw.when)).toBe(Date.UTC(2024, 0, 2));
  });

  it('roll back a RegExp recompiled after an own source and flags were defined', () => {
    const raw = new Clocked();
    const log = inAction(() => {
      const p = tracked(raw);
      Object.defineProperty(p.pattern, 'source', { value: 'zz', configurable: true });
      Object.defineProperty(p.pattern, 'global', { value: false, configurable: true });
      p.pattern.compile('q', 'i');
    });
    log.rollback();
    expect(RegExp.prototype.toString.call(raw.pattern)).toBe('/ab+c/g');
  });
});
