import { randomUUID } from 'node:crypto';
import { initSystem } from '../../lib';
import { constructionWarning } from '../../lib/clock/validate';
import { freshBasedir } from '../support/tmp';
import type { StorableClass } from '../../lib/codec/registry';

/** The warnings initSystem gives for a root class `Root` with `classes` registered. */
async function warningsFor(Root: new () => object, classes: StorableClass[]) {
  const warnings: string[] = [];
  const system = initSystem(new Root(), {
    basedir: freshBasedir(),
    classes,
    onWarning: (m) => warnings.push(m),
  });
  await system.close();
  return warnings;
}

describe('stored classes whose construction reads time or randomness', () => {
  it('warns at initSystem about a field initialiser that calls new Date() (regression (new-user review): a restart silently gave such a field another value)', async () => {
    class Comment {
      createdAt = new Date();
      constructor(public body: string) {}
    }
    class Blog {
      comments: Comment[] = [];
      post(body: string): void {
        this.comments.push(new Comment(body));
      }
    }
    const warnings = await warningsFor(Blog, [Comment]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^class Comment's constructor or field initialisers call new Date\(\)/,
    );
    expect(warnings[0]).toMatch(/different value when a restart replays it/);
    expect(warnings[0]).toMatch(/this\._clock\.now\(\)/);
  });

  it("warns about the constructor's body and about a base class's fields", () => {
    class Ticket {
      id: string;
      constructor() {
        this.id = randomUUID();
      }
    }
    class Stamped {
      seed = Math.random();
    }
    class Note extends Stamped {
      text = '';
    }
    expect(constructionWarning(Ticket)).toMatch(
      / call .*randomUUID.*: an action that constructs a Ticket/,
    );
    expect(constructionWarning(Note)).toMatch(
      /^class Note's constructor or field initialisers \(through its base class Stamped\) call Math\.random\(\)/,
    );
  });

  it('does not warn about methods, getters, static members or the root class, and looks at a class once', async () => {
    class Reading {
      static loadedAt = Date.now();
      constructor(public at: number) {}
      age(): number {
        return Date.now() - this.at;
      }
      get fresh(): boolean {
        return Date.now() - this.at < 1000;
      }
    }
    class Rooted {
      made = new Date(0);
      since = Date.now();
      readings: Reading[] = [];
    }
    expect(await warningsFor(Rooted, [Reading])).toEqual([]);
    class Loud {
      n = Math.random();
    }
    expect(await warningsFor(Rooted, [Loud])).toHaveLength(1);
    expect(await warningsFor(Rooted, [Loud])).toEqual([]);
  });
});
