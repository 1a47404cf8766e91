import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as library from '../../lib';
import { abortOnException, initSystem, readonly, unlocked } from '../../lib';
import type { PrevalentMutable } from '../../lib';
import { expectCode } from '../isolation/helpers';
import { freshBasedir, journalRecords } from '../support/tmp';

// Regression (README audit): JavaScript in Node 20 has no decorator syntax, and the natural way to
// mark a method by hand, `readonly(Wiki.prototype.getPage)`, was refused ("can only decorate
// methods; it was applied to something else"); left unmarked, every query became a journaled,
// fsynced action. A decorator called with the method alone marks it now.
class Counter {
  n = 0;
  inc(): void {
    this.n++;
  }
  peek(): number {
    return this.n;
  }
  incThenFail(): void {
    this.n++;
    throw new Error('refused');
  }
}
readonly(Counter.prototype.peek);
abortOnException(Counter.prototype.incThenFail);
unlocked(Counter.prototype.inc);

const opened: Array<PrevalentMutable<Counter>> = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('decorators called by hand with the method alone (plain JavaScript)', () => {
  it('mark the method: a query is not journaled, a failing call is rolled back', () => {
    const dir = freshBasedir();
    const s = initSystem(new Counter(), { basedir: dir, isolation: 'none' });
    opened.push(s);
    s.inc();
    expect(s.peek()).toBe(1);
    expect(() => s.incThenFail()).toThrow('refused');
    expect(s.n).toBe(1);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['inc']);
  });

  // Regression (review of this fix): `@readonly class X {}` (legacy decorators call it with the
  // class alone) was refused before, then marked the class silently.
  it('refuse a class, as a legacy decorator on a class calls them', () => {
    class Whole {}
    for (const decorator of [readonly, abortOnException, unlocked]) {
      expect(
        expectCode(() => (decorator as (m: unknown) => void)(Whole), 'INVALID_OPTION'),
      ).toMatch(/decorates methods, not a class/);
    }
  });

  it('say what to pass when given something else', () => {
    const missing = (Counter.prototype as unknown as Record<string, unknown>)['getPage'];
    const message = expectCode(() => (readonly as (m: unknown) => void)(missing), 'INVALID_OPTION');
    expect(message).toBe(
      'INVALID_OPTION: readonly(method) marks the method it is given, and got undefined: pass the function itself, e.g. readonly(MyClass.prototype.myMethod), before initSystem',
    );
  });
});

// Regression (README audit): luxon gives ES-module importers its ES build and require() its
// CommonJS build, so an ES-module application had two luxons with one installed: the
// Settings.defaultZone it set (the README's advice for replays under another TZ) did not reach
// the clock's DateTimes, and restored DateTimes were not instances of its DateTime. The package's
// ES-module entry (dist/index.mjs) hands luxon's ES build to prevalent.
describe('the ES-module entry', () => {
  it("makes DateTimes with the application's luxon (default zone, instanceof), live and restored", () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'esm-luxon.mjs');
    const out = execFileSync(process.execPath, [fixture, freshBasedir()], { encoding: 'utf8' });
    const seen = JSON.parse(out.trim().split('\n').pop()!) as {
      live: Array<[string, boolean]>;
      restored: Array<[string, boolean]>;
      exports: string[];
    };
    const inTokyo: Array<[string, boolean]> = [
      ['Asia/Tokyo', true],
      ['Asia/Tokyo', true],
    ];
    expect(seen.live).toEqual(inTokyo);
    // One from the snapshot, one replayed from the journal.
    expect(seen.restored).toEqual(inTokyo);
    // Every export of the library, a default export among them.
    const cjsExports = Object.keys(library).filter((k) => k !== '__esModule');
    expect(cjsExports).toContain('default');
    expect(seen.exports).toEqual([...cjsExports].sort());
  });

  // Regression (review of this fix): the ES-module entry switched luxon for the whole process, so
  // a CommonJS application that imported it somewhere lost the Settings it had set.
  it('leaves a CommonJS application its luxon when it imports the ES-module entry too', () => {
    const fixture = path.join(__dirname, '..', 'fixtures', 'cjs-imports-esm-entry.cjs');
    const out = execFileSync(process.execPath, [fixture, freshBasedir()], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual([['Asia/Tokyo', true]]);
  });

  // Regression (review): `import prevalent from 'prevalent'` type-checked in a TypeScript project
  // compiled to CommonJS, and was undefined at run time (no default export).
  it('has a default export holding every function and class of the API', () => {
    const api = library.default as unknown as Record<string, unknown>;
    for (const name of Object.keys(library).filter((k) => k !== '__esModule' && k !== 'default')) {
      expect({ name, same: api[name] === (library as Record<string, unknown>)[name] }).toEqual({
        name,
        same: true,
      });
    }
  });
});
