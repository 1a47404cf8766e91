import * as fs from 'node:fs';
import * as path from 'node:path';
import { abortOnException, initSystem, persistent, readonly, verifyReplay } from '../../lib';
import { freshBasedir, tmpDir } from '../support/tmp';
import { prevalenceErrorOf } from '../support/errors';

// A team's data directory across deploys of its domain code (the deployment review).

/**
 * The wiki as a version shipped it: `publish` marks the page, then refuses a
 * short one. v1 keeps the mark (a plain action); v2 makes it
 * `@abortOnException` (all or nothing).
 */
function wikiVersion(version: 1 | 2) {
  class Wiki {
    pages: Record<string, { text: string; published?: boolean; live?: boolean }> = {};
    create(id: string, text: string) {
      this.pages[id] = { text };
    }
    publish(id: string) {
      const page = this.pages[id]!;
      page.published = true;
      if (page.text.length < 3) throw new Error('too short');
      page.live = true;
    }
    @readonly
    get(id: string) {
      return this.pages[id];
    }
  }
  if (version === 2) abortOnException(Wiki.prototype.publish);
  return Wiki;
}
const wikiV1 = () => wikiVersion(1);
const wikiV2 = () => wikiVersion(2);

/** A directory v1 wrote: a publish that threw and kept its mark, in the journal only. */
async function writtenByV1(snapshotLast = false): Promise<string> {
  const basedir = freshBasedir();
  const v1 = initSystem(wikiV1(), basedir);
  v1.create('a', 'xy');
  expect(() => v1.publish('a')).toThrow('too short');
  expect(v1.get('a')).toEqual({ text: 'xy', published: true });
  if (snapshotLast) v1.takeSnapshot();
  await v1.close();
  return basedir;
}

describe('an action made @abortOnException, deployed without the snapshot', () => {
  it('stops the open with REPLAY_DIVERGED at the record that kept changes of a throw, instead of rolling them back silently (regression (deployment review): the page lost its published mark, with no warning, and verifyReplay said ok)', async () => {
    const basedir = await writtenByV1();
    const err = prevalenceErrorOf(() => initSystem(wikiV2(), basedir));
    expect(err.code).toBe('REPLAY_DIVERGED');
    expect(err.message).toContain('action 2 (publish)');
    expect(err.message).toContain('@abortOnException');
    expect(err.message).toContain('takeSnapshot()');
  });

  it('opens with strictReplay: false, with a warning, as the current code runs the action', async () => {
    const basedir = await writtenByV1();
    const warnings: string[] = [];
    const v2 = initSystem(wikiV2(), {
      basedir,
      strictReplay: false,
      onWarning: (m) => warnings.push(m),
    });
    expect(v2.get('a')).toEqual({ text: 'xy' });
    expect(warnings.join('\n')).toContain('action 2 (publish)');
    await v2.close();
  });

  it('verifyReplay reports the record as a divergence', async () => {
    const basedir = await writtenByV1();
    const report = verifyReplay(basedir, wikiV2());
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({ seq: 2, method: 'publish', exact: true });
    expect(report.divergence?.message).toContain('@abortOnException');
    expect(verifyReplay(basedir, wikiV1()).ok).toBe(true);
  });

  it('opens after the snapshot README asks for, keeping the mark', async () => {
    const basedir = await writtenByV1(true);
    const v2 = initSystem(wikiV2(), basedir);
    expect(v2.get('a')).toEqual({ text: 'xy', published: true });
    await v2.close();
  });
});

// A domain package with prevalent as a dependency of its own (a monorepo, an npm tree that did not
// dedupe) decorates with one copy of prevalent while the application opens with another.
describe('decorators of another copy of prevalent in the process', () => {
  function otherCopy(): typeof import('../../lib') {
    let other: typeof import('../../lib') | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      other = require('../../lib') as typeof import('../../lib');
    });
    expect(other!.initSystem).not.toBe(initSystem);
    return other!;
  }

  it("are heeded: a query marked with the other copy's @readonly is not journaled (regression (deployment review): it ran as an action, journaled, and once the copies were deduplicated its records stopped the open with UNKNOWN_METHOD)", async () => {
    const other = otherCopy();
    class Shop {
      items: string[] = [];
      add(item: string) {
        this.items.push(item);
      }
      count() {
        return this.items.length;
      }
      risky(item: string) {
        this.items.push(item);
        throw new Error('no');
      }
    }
    other.readonly(Shop.prototype.count);
    other.abortOnException(Shop.prototype.risky);
    const basedir = freshBasedir();
    const shop = initSystem(Shop, basedir);
    shop.add('a');
    expect(shop.count()).toBe(1);
    expect(() => shop.risky('b')).toThrow('no');
    expect(shop.items).toEqual(['a']);
    await shop.close();
    const again = initSystem(Shop, basedir);
    expect(again.items).toEqual(['a']);
    await again.close();
    expect(verifyReplay(basedir, Shop).actionsReplayed).toBe(1);
  });

  it("register with every copy: a class marked with the other copy's @persistent is stored, under its name (regression (deployment review): NOT_SERIALIZABLE saying to register the class with @persistent, which it was; a root class's fixed name was not heeded)", async () => {
    const other = otherCopy();
    class Entry {
      constructor(public text = '') {}
    }
    other.persistent('DeployReviewEntry')(Entry);
    class Ledger {
      entries: Entry[] = [];
      add(text: string) {
        this.entries.push(new Entry(text));
      }
    }
    other.persistent('DeployReviewLedger')(Ledger);
    const basedir = freshBasedir();
    const ledger = initSystem(Ledger, basedir);
    ledger.add('a');
    ledger.takeSnapshot();
    await ledger.close();
    const snapshot = fs.readFileSync(path.join(basedir, 'snapshot-0000000000000001.snap'), 'utf8');
    expect(snapshot).toContain('"rootClass":"DeployReviewLedger"');
    expect(snapshot).toContain('"DeployReviewEntry"');
    const again = initSystem(Ledger, basedir);
    expect(again.entries[0]).toBeInstanceOf(Entry);
    await again.close();
    expect(verifyReplay(basedir, Ledger).ok).toBe(true);
  });
});

describe('the default basedir of a root class renamed, its old name kept with options.classes', () => {
  it("is the stored name's, as for @persistent('OldName') (regression (deployment review): the new class name's, so the renamed app opened a new, empty directory beside its data, silently)", async () => {
    const cwd = process.cwd();
    process.chdir(tmpDir());
    try {
      class DeployReviewNotes {
        n = 0;
        inc() {
          this.n++;
        }
      }
      const v1 = initSystem(DeployReviewNotes);
      v1.inc();
      await v1.close();
      class Notebook {
        n = 0;
        inc() {
          this.n++;
        }
      }
      const v2 = initSystem(Notebook, { classes: { DeployReviewNotes: Notebook } });
      expect(v2.basedirAbspath()).toBe(path.resolve('deployreviewnotes'));
      expect(v2.n).toBe(1);
      await v2.close();
      expect(fs.readdirSync('.')).toEqual(['deployreviewnotes']);
    } finally {
      process.chdir(cwd);
    }
  });
  it('is the @persistent name when the class has one, the name options.classes gives it only read', async () => {
    const cwd = process.cwd();
    process.chdir(tmpDir());
    try {
      class DeployReviewJournal {
        n = 0;
      }
      persistent('DeployReviewDiary')(DeployReviewJournal);
      const s = initSystem(DeployReviewJournal, {
        classes: { DeployReviewOld: DeployReviewJournal },
      });
      expect(s.basedirAbspath()).toBe(path.resolve('deployreviewdiary'));
      await s.close();
    } finally {
      process.chdir(cwd);
    }
  });
});
