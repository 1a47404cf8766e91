import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { EventEmitter } from 'node:events';
import { execFileSync } from 'node:child_process';
import { initSystem, isPrevalenceError, verifyReplay } from '../../lib';
import { FaultyFs } from '../../lib/fs/faulty';
import { GoodSnapshots } from '../../lib/system/prune';
import { realFs, type FileSystem } from '../../lib/fs/seam';
import { firstDifference } from '../../lib/codec/equal';
import { storableStats } from '../../lib/codec/storable';
import { Wiki } from '../fixtures/wiki';
import { thrown } from '../journal/helpers';
import { appendJournaled, filesIn, freshBasedir, journalRecords } from '../support/tmp';

const REGISTER = path.join(__dirname, '..', 'support', 'register.js');
const CHILD = path.join(__dirname, '..', 'fixtures', 'wiki-child.ts');

/** The raw state behind a system, for exact comparisons. */
function stateOf(wiki: object): unknown {
  return JSON.parse(JSON.stringify(wiki));
}

async function reopen(dir: string, options = {}) {
  return initSystem(new Wiki(), { basedir: dir, ...options });
}

describe('restore', () => {
  it('restores the state by replaying the journal after a restart', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    wiki.createPage('home', 'hello');
    wiki.updatePage('home', 'v2');
    wiki.tag('home', 'start');
    const before = stateOf(wiki);
    await wiki.close();

    const again = await reopen(dir);
    expect(stateOf(again)).toEqual(before);
    expect(again.getPage('home')?.history).toEqual(['hello']);
    expect(again.tags.get('home')?.has('start')).toBe(true);
    await again.close();
  });

  it('never skips actions taken after a snapshot (regression: coopy sorted their journal before the snapshot)', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    wiki.createPage('a', '1');
    const snap = wiki.takeSnapshot();
    expect(path.dirname(snap)).toBe(path.resolve(dir));
    wiki.createPage('b', '2');
    wiki.takeSnapshot();
    wiki.createPage('c', '3');
    await wiki.close();

    const again = await reopen(dir);
    expect(again.pageIds()).toEqual(['a', 'b', 'c']);
    await again.close();
  });

  it('restores across journal files rotated at journalMaxBytes', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir, journalMaxBytes: 300 });
    for (let i = 0; i < 40; i++) wiki.createPage(`p${i}`, 'x'.repeat(50));
    await wiki.close();
    expect(filesIn(dir).filter((f) => f.startsWith('journal-')).length).toBeGreaterThan(5);
    const again = await reopen(dir);
    expect(again.pageIds()).toHaveLength(40);
    expect(journalRecords(dir).map((r) => r.seq)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    await again.close();
  });

  it('takes snapshots automatically every snapshotIntervalMs', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir, snapshotIntervalMs: 20 });
    wiki.createPage('a', '1');
    await new Promise((r) => setTimeout(r, 200));
    expect(filesIn(dir)).toContain('snapshot-0000000000000001.snap');
    await wiki.close();
  });

  it('warns once about a state an automatic snapshot cannot keep, and again only after an action (regression: a warning every interval)', async () => {
    class Tagged {
      list: number[] = [];
      add(n: number): void {
        this.list.push(n);
      }
    }
    const warnings: string[] = [];
    const sys = initSystem(Tagged, {
      basedir: freshBasedir(),
      snapshotIntervalMs: 10,
      onWarning: (m) => warnings.push(m),
      isolation: 'none',
    });
    sys.add(0);
    // A named property on an array, refused by the next snapshot: written behind the journal's
    // back, through the raw object that isolation 'none' hands out (an action may not write it).
    (sys.list as unknown as Record<string, unknown>)['note'] = 'x';
    await until(() => warnings.length > 0);
    // ten more intervals without an action: no new attempt, no new warning
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toEqual([
      expect.stringMatching(/automatic snapshot failed.*NOT_SERIALIZABLE/),
    ]);
    sys.add(1);
    await until(() => warnings.length > 1);
    expect(warnings).toHaveLength(2);
    await sys.close();
  });

  it('warns once when automatic snapshots hold the process for more than half their interval (regression (new-user review): a server stalled with no word)', async () => {
    const warnings: string[] = [];
    const ffs = new FaultyFs();
    const sys = initSystem(new Wiki(), {
      basedir: freshBasedir(),
      snapshotIntervalMs: 20,
      onWarning: (m) => warnings.push(m),
      fileSystem: ffs,
    });
    const rename = ffs.renameSync.bind(ffs);
    let renames = 0;
    ffs.renameSync = (from, to) => {
      renames++;
      // A snapshot that takes 300 ms, as a large state on a slow disk would.
      const until300 = Date.now() + 300;
      while (Date.now() < until300);
      rename(from, to);
    };
    sys.createPage('a', 'text');
    await until(() => renames >= 1 && warnings.length > 0);
    sys.createPage('b', 'text');
    await until(() => renames >= 2);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^an automatic snapshot took \d+ ms, more than half of snapshotIntervalMs \(20 ms\).*raise snapshotIntervalMs/,
      ),
    ]);
    await sys.close();
  });

  it('warns once about automatic snapshots failing on I/O, backs off, and says when one works again (regression: a warning and a full attempt every interval)', async () => {
    const warnings: string[] = [];
    const ffs = new FaultyFs();
    const sys = initSystem(new Wiki(), {
      basedir: freshBasedir(),
      snapshotIntervalMs: 5,
      onWarning: (m) => warnings.push(m),
      fileSystem: ffs,
    });
    let renames = 0;
    const rename = ffs.renameSync.bind(ffs);
    ffs.renameSync = (from, to) => {
      renames++;
      rename(from, to);
    };
    ffs.plan.failRename = true;
    sys.createPage('a', 'text');
    await until(() => warnings.length > 0);
    // 60 intervals: attempts after 1, 2, 4, 8, 16 and 32 of them at most, not 60.
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings).toEqual([
      expect.stringMatching(/^automatic snapshot failed: SNAPSHOT_WRITE_FAILED/),
    ]);
    expect(renames).toBeLessThanOrEqual(8);
    ffs.plan = {};
    await until(() => warnings.length > 1);
    expect(warnings[1]).toMatch(/^automatic snapshot succeeded again, after \d+ failed attempts$/);
    await sys.close();
  });

  it('restores shared references between pages as one object', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir });
    wiki.createPage('a', 'root page');
    wiki.createPage('b', 'child', wiki.getPage('a'));
    wiki.takeSnapshot();
    wiki.createPage('c', 'child 2', wiki.getPage('a'));
    await wiki.close();
    const again = await reopen(dir, { isolation: 'none' });
    expect(again.pages['b']!.parent).toBe(again.pages['a']);
    expect(again.pages['c']!.parent).toBe(again.pages['a']);
    await again.close();
  });

  it('fails with UNKNOWN_CLASS naming a stored class that is not registered at restore', async () => {
    class Gadget {
      n = 1;
    }
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir, classes: [Gadget] });
    wiki.storeAnything('g', new Gadget());
    wiki.takeSnapshot();
    await wiki.close();
    let err: unknown;
    try {
      await reopen(dir);
    } catch (e) {
      err = e;
    }
    expect(isPrevalenceError(err, 'UNKNOWN_CLASS')).toBe(true);
    expect((err as Error).message).toContain('Gadget');
    const withClass = await reopen(dir, { classes: { Gadget } });
    expect((withClass as unknown as { g: Gadget }).g).toBeInstanceOf(Gadget);
    await withClass.close();
  });

  describe('a class missing at reopen that only replayed actions made', () => {
    class Tag {
      constructor(readonly name: string) {}
    }
    class Board {
      tags: Tag[] = [];
      byName = new Map<string, { tag: Tag }>();
      addTag(name: string): void {
        const tag = new Tag(name);
        this.tags.push(tag);
        this.byName.set(name, { tag });
      }
      dropTags(): void {
        this.tags = [];
        this.byName.clear();
      }
      dropList(): void {
        this.tags = [];
      }
    }

    /** Every file of `dir` and its bytes. */
    function contents(dir: string): Record<string, string> {
      const out: Record<string, string> = {};
      for (const name of fs.readdirSync(dir)) {
        const file = path.join(dir, name);
        if (fs.statSync(file).isFile()) out[name] = fs.readFileSync(file).toString('base64');
      }
      return out;
    }

    it('is refused at open with UNKNOWN_CLASS naming the class and where the state holds it, changing nothing (regression: it opened, and every snapshot after failed)', async () => {
      const dir = freshBasedir();
      const board = initSystem(new Board(), { basedir: dir, classes: [Tag] });
      board.addTag('red');
      await board.close();
      const before = contents(dir);
      const err = thrown(() => initSystem(new Board(), { basedir: dir }));
      expect(isPrevalenceError(err, 'UNKNOWN_CLASS')).toBe(true);
      expect((err as Error).message).toMatch(/class "Tag" is not registered/);
      expect((err as Error).message).toContain('tags[0]');
      expect((err as Error).message).toMatch(/@persistent\(\)|options\.classes/);
      expect(contents(dir)).toEqual(before);
      const again = initSystem(new Board(), { basedir: dir, classes: [Tag] });
      expect(again.tags[0]).toBeInstanceOf(Tag);
      again.takeSnapshot();
      await again.close();
    });

    it('names a place inside a Map when the state holds the instance only there', async () => {
      const dir = freshBasedir();
      const board = initSystem(new Board(), { basedir: dir, classes: [Tag] });
      board.addTag('blue');
      board.dropList(); // only the Map's entry holds the Tag now
      await board.close();
      const err = thrown(() => initSystem(new Board(), { basedir: dir }));
      expect(isPrevalenceError(err, 'UNKNOWN_CLASS')).toBe(true);
      expect((err as Error).message).toContain('"Tag"');
      expect((err as Error).message).toContain('byName');
    });

    it('is refused when a replayed action moves into the state an object reached before, outside it (regression (review): only fresh objects were noted)', async () => {
      const fallback = new Tag('fallback');
      class Shelf {
        kept: unknown = null;
        n = 0;
        get fallback(): Tag {
          return fallback;
        }
        touch(): void {
          this.n = this.fallback.name.length; // its proxy is made here, an action before
        }
        keep(): void {
          this.kept = this.fallback;
        }
        keepNested(): void {
          this.kept = { inner: this.fallback };
        }
      }
      for (const [move, where] of [
        ['keep', 'at kept '],
        ['keepNested', 'at kept.inner '],
      ] as const) {
        const dir = freshBasedir();
        const shelf = initSystem(new Shelf(), { basedir: dir, classes: [Tag] });
        shelf.touch();
        shelf[move]();
        await shelf.close();
        const err = thrown(() => initSystem(new Shelf(), { basedir: dir }));
        expect(isPrevalenceError(err, 'UNKNOWN_CLASS')).toBe(true);
        expect((err as Error).message).toContain(where);
      }
    });

    it('is refused when journals without a snapshot rebuild a constructor-made instance (regression (review): that state was not checked)', async () => {
      class Seeded {
        tags = [new Tag('init')];
        n = 0;
        bump(): void {
          this.n++;
        }
      }
      const dir = freshBasedir();
      const seeded = initSystem(new Seeded(), { basedir: dir, classes: [Tag] });
      seeded.bump();
      await seeded.close();
      for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.snap'))) {
        fs.renameSync(path.join(dir, name), path.join(dir, `${name}.aside`));
      }
      // The rebuild from the journal alone is warned about: not this test's subject.
      const quiet = { onWarning: (): void => {} };
      const err = thrown(() => initSystem(new Seeded(), { basedir: dir, ...quiet }));
      expect(isPrevalenceError(err, 'UNKNOWN_CLASS')).toBe(true);
      expect((err as Error).message).toContain('at tags[0] ');
      const again = initSystem(new Seeded(), { basedir: dir, classes: [Tag], ...quiet });
      expect(again.n).toBe(1);
      await again.close();
    });

    it('opens when the instances the replayed actions made are gone from the state', async () => {
      const dir = freshBasedir();
      const board = initSystem(new Board(), { basedir: dir, classes: [Tag] });
      board.addTag('red');
      board.dropTags();
      await board.close();
      const again = initSystem(new Board(), { basedir: dir });
      expect(again.tags).toEqual([]);
      again.takeSnapshot();
      await again.close();
    });

    it('does not walk the state at open when every object the replayed actions stored is of a kept kind', async () => {
      const dir = freshBasedir();
      const board = initSystem(new Board(), { basedir: dir, classes: [Tag] });
      for (let i = 0; i < 50; i++) board.addTag(`t${i}`);
      await board.close();
      const from = storableStats.checked;
      const again = initSystem(new Board(), { basedir: dir, classes: [Tag] });
      expect(storableStats.checked).toBe(from);
      expect(again.tags).toHaveLength(50);
      await again.close();
    });
  });

  it('replays and snapshots objects that keep an unregistered class instance where snapshots do not look (regression (review of a reverted replay check): the replay refused them with UNKNOWN_CLASS)', async () => {
    class Link {
      constructor(readonly href: string) {
        // Derived, not data: kept where snapshots do not look.
        Object.defineProperty(this, 'parsed', {
          value: new URL(href),
          writable: true,
          configurable: true,
        });
        Object.defineProperty(this, 'events', {
          value: new EventEmitter(),
          writable: true,
          configurable: true,
        });
      }
    }
    class Links {
      all: Link[] = [];
      box: Record<string, unknown> = {};
      add(href: string): void {
        this.all.push(new Link(href));
        const holder = { n: 1 };
        Object.defineProperty(holder, 'cache', {
          value: new URL(href),
          writable: true,
          configurable: true,
        });
        this.box = holder;
      }
    }
    const dir = freshBasedir();
    const links = initSystem(new Links(), { basedir: dir, classes: [Link] });
    links.add('https://example.com/a');
    await links.close();
    const again = initSystem(new Links(), { basedir: dir, classes: [Link] });
    expect(again.all[0]!.href).toBe('https://example.com/a');
    again.takeSnapshot();
    await again.close();
    expect(verifyReplay(dir, Links, { classes: [Link] }).ok).toBe(true);
  });

  it('falls back past a snapshot whose flipped byte makes a class name unknown, with a warning (regression: UNKNOWN_CLASS refused the open before the checksum was checked)', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir });
    wiki.createPage('home', 'Welcome');
    const snap = wiki.takeSnapshot();
    wiki.createPage('about', 'About');
    await wiki.close();
    const bytes = fs.readFileSync(snap);
    const at = bytes.indexOf('["c","Wiki"'); // the root's class, in the body
    expect(at).toBeGreaterThan(0);
    bytes[at + 6] = (bytes[at + 6] as number) ^ 0x20; // "Wiki" -> "wiki": one bit
    fs.writeFileSync(snap, bytes);
    const warnings: string[] = [];
    const again = initSystem(new Wiki(), { basedir: dir, onWarning: (m) => warnings.push(m) });
    expect(Object.keys(again.pages)).toEqual(['home', 'about']);
    await again.close();
    expect(warnings.join('\n')).toMatch(
      /cannot be used \(CRC-32 mismatch.*reading it had failed first: UNKNOWN_CLASS/,
    );
  });

  it('refuses to fall back past a damaged snapshot to a journal that ends before it, and opens with recover truncate, setting the snapshot aside (regression (durability review): the open went on silently with fewer actions)', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir });
    for (const id of ['a', 'b', 'c', 'd', 'e']) wiki.createPage(id, id);
    const snap = wiki.takeSnapshot();
    await wiki.close();
    // The journal lost its last three records (and the file started after the snapshot).
    const [first, ...later] = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('journal-'))
      .sort();
    for (const f of later) fs.unlinkSync(path.join(dir, f));
    const lines = fs.readFileSync(path.join(dir, first!), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, first!), lines.slice(0, 2).join('\n') + '\n');
    expect(journalRecords(dir).map((r) => r.seq)).toEqual([1, 2]);
    const bytes = fs.readFileSync(snap);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x01;
    fs.writeFileSync(snap, bytes);
    const before = filesIn(dir);
    const err = thrown(() => initSystem(new Wiki(), { basedir: dir, onWarning: () => {} }));
    expect(isPrevalenceError(err, 'SNAPSHOT_CORRUPT')).toBe(true);
    expect(err.message).toContain(
      'the newest snapshot (seq 5) is damaged, and the snapshot before it plus the journal reach only seq 2: actions 3 to 5 are in no readable file',
    );
    expect(filesIn(dir)).toEqual(before);
    const warnings: string[] = [];
    let again = initSystem(new Wiki(), {
      basedir: dir,
      recover: 'truncate',
      onWarning: (m) => warnings.push(m),
    });
    expect(Object.keys(again.pages)).toEqual(['a', 'b']);
    expect(warnings.at(-1)).toContain(
      "opened with the state at seq 2 (recover: 'truncate'), and set aside",
    );
    expect(fs.existsSync(snap)).toBe(false);
    again.createPage('f', 'f');
    await again.close();
    again = initSystem(new Wiki(), { basedir: dir });
    expect(Object.keys(again.pages)).toEqual(['a', 'b', 'f']);
    await again.close();
  });

  it('restores in a new process exactly the state the live process had', () => {
    const dir = freshBasedir();
    const first = execFileSync(process.execPath, ['-r', REGISTER, CHILD, dir, 'write'], {
      encoding: 'utf8',
    });
    const second = execFileSync(process.execPath, ['-r', REGISTER, CHILD, dir, 'read'], {
      encoding: 'utf8',
    });
    const live = JSON.parse(first);
    const restored = JSON.parse(second);
    expect(restored.state).toEqual(live.state);
    expect(restored.stamps).toEqual(live.stamps);
    expect(live.sameParent).toBe(true);
    expect(restored.sameParent).toBe(true);
  });

  it('replay equals the live run exactly, by strict comparison of the raw states', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir, isolation: 'none' });
    wiki.createPage('a', 'x');
    wiki.createPage('b', 'y', wiki.pages['a']);
    wiki.tag('a', 't1');
    wiki.updatePage('a', 'z');
    wiki.storeAnything('misc', {
      n: NaN,
      z: -0,
      big: 10n,
      d: new Date(5),
      m: new Map([[1, 'one']]),
    });
    const live = {
      pages: wiki.pages,
      tags: wiki.tags,
      counter: wiki.counter,
      misc: (wiki as any).misc,
    };
    await wiki.close();
    const again = await reopen(dir, { isolation: 'none' });
    const restored = {
      pages: again.pages,
      tags: again.tags,
      counter: again.counter,
      misc: (again as any).misc,
    };
    expect(firstDifference(restored, live)).toBeUndefined();
    await again.close();
  });
});

describe('leftovers of a crash during a snapshot', () => {
  it('deletes unfinished snapshot .tmp files on open (regression: they piled up after crashes)', async () => {
    const fs = await import('node:fs');
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    await wiki.close();
    const leftover = path.join(dir, 'snapshot-0000000000000007.snap.tmp');
    fs.writeFileSync(leftover, 'half a snapshot');
    const again = initSystem(new Wiki(), dir);
    expect(fs.existsSync(leftover)).toBe(false);
    await again.close();
  });

  it('warns about one it cannot delete and opens all the same (regression: the failed unlink refused the open, after the journal was opened, leaving its file open)', async () => {
    const dir = freshBasedir();
    await initSystem(new Wiki(), dir).close();
    // a directory by a snapshot temp name: unlink fails (EISDIR)
    fs.mkdirSync(path.join(dir, 'snapshot-0000000000000003.snap.tmp'));
    fs.writeFileSync(path.join(dir, 'snapshot-0000000000000004.snap.tmp'), 'half');
    const warnings: string[] = [];
    const wiki = initSystem(new Wiki(), { basedir: dir, onWarning: (m) => warnings.push(m) });
    wiki.createPage('a', '1');
    await wiki.close();
    expect(warnings).toEqual([
      expect.stringMatching(/snapshot-0000000000000003\.snap\.tmp.*EISDIR/),
    ]);
    expect(filesIn(dir)).not.toContain('snapshot-0000000000000004.snap.tmp');
  });

  it('keeps them when the open is refused (regression: a JOURNAL_CORRUPT open deleted them, though it says nothing was changed)', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    wiki.createPage('a', '1');
    wiki.createPage('b', '2');
    await wiki.close();
    const journal = path.join(
      dir,
      filesIn(dir).find((f) => f.startsWith('journal-'))!,
    );
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    // damage the first of two records: not a torn tail, so the open is refused
    lines[0] = lines[0]!.replace('"a"', '"x"');
    fs.writeFileSync(journal, lines.join('\n'));
    const leftover = path.join(dir, 'snapshot-0000000000000007.snap.tmp');
    fs.writeFileSync(leftover, 'half a snapshot');
    const before = filesIn(dir);
    expect(() => initSystem(new Wiki(), dir)).toThrow(
      expect.objectContaining({ code: 'JOURNAL_CORRUPT' }),
    );
    expect(filesIn(dir)).toEqual(before);
  });
});

describe('record versions', () => {
  it('writes record version 2 and reads records of earlier versions (no "v") in the same journal', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    wiki.createPage('a', '1');
    await wiki.close();
    expect(journalRecords(dir)).toEqual([expect.objectContaining({ method: 'createPage', v: 2 })]);
    appendJournaled(dir, [['createPage', '["b","2"]']], 1);
    const again = initSystem(new Wiki(), dir);
    again.createPage('c', '3');
    expect(Object.keys(again.pages)).toEqual(['a', 'b', 'c']);
    await again.close();
    expect(journalRecords(dir).map((r) => r.v)).toEqual([2, undefined, 2]);
    expect(verifyReplay(dir, Wiki).ok).toBe(true);
  });

  it.each([
    [false, '3', 'record version 3'],
    [true, '3', 'record version 3'],
    [false, '"3"', 'a record version that is not a positive integer'],
    [true, '3.5', 'a record version that is not a positive integer'],
  ])(
    'refuses a record a newer prevalent wrote, changing nothing (recover: truncate %s, "v": %s; regression (review): an unreadable "v" was cut as a torn tail)',
    async (truncate, v, what) => {
      const dir = freshBasedir();
      const wiki = initSystem(new Wiki(), dir);
      wiki.createPage('a', '1');
      await wiki.close();
      const journal = path.join(
        dir,
        filesIn(dir).find((f) => f.startsWith('journal-'))!,
      );
      // The last record of the newest file: a newer version's record is not a torn tail.
      const rec = `{"args":["b","2"],"method":"createPage","seq":2,"threw":false,"ts":1,"v":${v}}`;
      const crc = zlib.crc32(Buffer.from(rec)).toString(16).padStart(8, '0');
      fs.appendFileSync(journal, `{"crc":"${crc}","len":${rec.length},"rec":${rec}}\n`);
      const before = fs.readFileSync(journal);
      const files = filesIn(dir);
      const opts = { basedir: dir, ...(truncate ? { recover: 'truncate' as const } : {}) };
      const err = thrown(() => initSystem(new Wiki(), opts));
      expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
      expect(err.message).toContain(
        `record 2 (createPage) has ${what}, which this prevalent does not know`,
      );
      expect(fs.readFileSync(journal)).toEqual(before);
      expect(filesIn(dir)).toEqual(files);
      expect(() => verifyReplay(dir, Wiki)).toThrow(/does not know/);
    },
  );
});

describe('pruneJournals', () => {
  it('keeps the journals after the second newest good snapshot when a newer one was found damaged (regression: the damaged one counted, and a second fault lost actions)', async () => {
    const dir = freshBasedir();
    const opts = { pruneJournals: true, onWarning: () => undefined };
    const wiki = await reopen(dir, opts);
    const snaps: string[] = [];
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 5; i++) wiki.createPage(`p${round}-${i}`, 'x');
      snaps.push(wiki.takeSnapshot());
    }
    await wiki.close();
    // the newest snapshot is damaged: restore falls back to the one before it plus the journal
    const fs = await import('node:fs');
    fs.writeFileSync(snaps[2]!, 'garbage');
    const again = await reopen(dir, opts);
    again.createPage('after', 'y');
    const newest = again.takeSnapshot();
    const expected = stateOf(again);
    await again.close();
    // a second fault: the new snapshot is damaged too; the journal after the good one must still be there
    fs.writeFileSync(newest, 'garbage');
    const third = await reopen(dir, opts);
    expect(stateOf(third)).toEqual(expected);
    await third.close();
  });

  it('keeps the journal the fallback needs when a snapshot is taken twice at one seq (regression: the seq counted twice, pruning deleted it, and one damaged snapshot made the directory unopenable)', async () => {
    const dir = freshBasedir();
    const opts = { pruneJournals: true, onWarning: () => undefined };
    const wiki = await reopen(dir, opts);
    wiki.createPage('a', 'x');
    wiki.takeSnapshot();
    wiki.createPage('b', 'y');
    const newest = wiki.takeSnapshot();
    wiki.takeSnapshot(); // nothing new since: the same seq again
    const expected = stateOf(wiki);
    await wiki.close();
    // and once more after a reopen, as a snapshot at shutdown would
    const again = await reopen(dir, opts);
    again.takeSnapshot();
    await again.close();
    fs.writeFileSync(newest, 'garbage');
    const third = await reopen(dir, opts);
    expect(stateOf(third)).toEqual(expected);
    await third.close();
  });

  it('stops at the first journal it cannot delete, so the files left have no gap (regression: later ones were deleted, and verifyReplay found a gap)', async () => {
    const dir = freshBasedir();
    const { fileSystem, refusing } = refusingUnlink(/journal-0+1\.jsonl$/, 'EIO');
    const warnings: string[] = [];
    const wiki = await reopen(dir, {
      pruneJournals: true,
      fileSystem,
      onWarning: (m: string) => warnings.push(m),
    });
    for (let round = 1; round <= 4; round++) {
      wiki.createPage(`p${round}`, 'x');
      refusing.on = round >= 2;
      wiki.takeSnapshot();
    }
    expect(warnings).toHaveLength(3);
    const journals = fs.readdirSync(dir).filter((f) => f.startsWith('journal-'));
    expect(journals).toEqual([
      'journal-0000000000000001.jsonl',
      'journal-0000000000000002.jsonl',
      'journal-0000000000000003.jsonl',
      'journal-0000000000000004.jsonl',
      'journal-0000000000000005.jsonl',
    ]);
    await wiki.close();
    expect(verifyReplay(dir, Wiki).ok).toBe(true);
  });

  it('warns when it cannot list the directory, and takeSnapshot still returns its snapshot (regression: the raw readdir error escaped)', async () => {
    const dir = freshBasedir();
    let refuse = false;
    const fileSystem = {
      ...realFs,
      readdirSync(d: string) {
        if (refuse)
          throw Object.assign(new Error(`EIO: i/o error, scandir '${d}'`), { code: 'EIO' });
        return realFs.readdirSync(d);
      },
    };
    const warnings: string[] = [];
    const wiki = await reopen(dir, {
      pruneJournals: true,
      fileSystem,
      onWarning: (m: string) => warnings.push(m),
    });
    wiki.createPage('a', 'x');
    wiki.takeSnapshot();
    wiki.createPage('b', 'y');
    refuse = true;
    const snap = wiki.takeSnapshot();
    refuse = false;
    expect(fs.existsSync(snap)).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^pruneJournals could not list .* \(EIO.*every file is kept, nothing is lost/,
      ),
    ]);
    const expected = stateOf(wiki);
    await wiki.close();
    const again = await reopen(dir);
    expect(stateOf(again)).toEqual(expected);
    await again.close();
  });

  it('keeps a journal file it cannot delete, with a warning, and takeSnapshot still returns its snapshot (regression: the raw EBUSY escaped, as if the snapshot had failed)', async () => {
    const dir = freshBasedir();
    const { fileSystem, refusing } = refusingUnlink(/journal-\d+\.jsonl$/, 'EBUSY');
    const warnings: string[] = [];
    const wiki = await reopen(dir, {
      pruneJournals: true,
      fileSystem,
      onWarning: (m: string) => warnings.push(m),
    });
    const snaps: string[] = [];
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 5; i++) wiki.createPage(`p${round}-${i}`, 'x');
      refusing.on = round === 3;
      snaps.push(wiki.takeSnapshot());
    }
    expect(fs.existsSync(snaps[2]!)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /pruneJournals could not delete .*journal-\d+\.jsonl \(EBUSY.*it and the files after it are kept, nothing is lost/,
    );
    refusing.on = false;
    wiki.createPage('after', 'y');
    wiki.takeSnapshot(); // tries again, and succeeds
    const expected = stateOf(wiki);
    await wiki.close();
    const again = await reopen(dir);
    expect(stateOf(again)).toEqual(expected);
    await again.close();
  });
});

// Regression (docs audit): snapshots were never deleted, so automatic snapshots grew the
// directory by one copy of the state per interval without bound.
describe('pruneSnapshots', () => {
  const snapshotNames = (dir: string): string[] =>
    fs.readdirSync(dir).filter((f) => /^snapshot-\d+\.snap$/.test(f));

  it('keeps the newest snapshot and its fallback, deleting the older ones; restore still falls back', async () => {
    const dir = freshBasedir();
    const opts = { pruneSnapshots: true, onWarning: () => undefined };
    const wiki = await reopen(dir, opts);
    const snaps: string[] = [];
    for (let round = 1; round <= 4; round++) {
      wiki.createPage(`p${round}`, 'x');
      snaps.push(wiki.takeSnapshot());
    }
    expect(snapshotNames(dir)).toEqual(snaps.slice(2).map((p) => path.basename(p)));
    const expected = stateOf(wiki);
    await wiki.close();
    // the newest is damaged: restore falls back to the one kept before it, plus the journal
    fs.writeFileSync(snaps[3]!, 'garbage');
    const again = await reopen(dir, opts);
    expect(stateOf(again)).toEqual(expected);
    // the damaged one is not a fallback: a new snapshot keeps the one restore loaded
    again.createPage('after', 'y');
    const newest = again.takeSnapshot();
    expect(snapshotNames(dir)).toEqual([snaps[2]!, snaps[3]!, newest].map((p) => path.basename(p)));
    await again.close();
  });

  it('works with pruneJournals: only what restore needs is left, and it restores', async () => {
    const dir = freshBasedir();
    const opts = { pruneSnapshots: true, pruneJournals: true, onWarning: () => undefined };
    const wiki = await reopen(dir, opts);
    for (let round = 1; round <= 5; round++) {
      for (let i = 0; i < 3; i++) wiki.createPage(`p${round}-${i}`, 'x');
      wiki.takeSnapshot();
    }
    wiki.createPage('tail', 'z');
    const expected = stateOf(wiki);
    await wiki.close();
    expect(snapshotNames(dir)).toEqual([
      'snapshot-0000000000000012.snap',
      'snapshot-0000000000000015.snap',
    ]);
    const again = await reopen(dir);
    expect(stateOf(again)).toEqual(expected);
    await again.close();
    expect(verifyReplay(dir, Wiki).ok).toBe(true);
  });

  it('stops at the first snapshot it cannot delete, with a warning, and takeSnapshot still returns its snapshot', async () => {
    const dir = freshBasedir();
    const { fileSystem, refusing } = refusingUnlink(/snapshot-0+\.snap$/, 'EBUSY');
    const warnings: string[] = [];
    const wiki = await reopen(dir, {
      pruneSnapshots: true,
      fileSystem,
      onWarning: (m: string) => warnings.push(m),
    });
    refusing.on = true;
    for (let round = 1; round <= 3; round++) {
      wiki.createPage(`p${round}`, 'x');
      expect(fs.existsSync(wiki.takeSnapshot())).toBe(true);
    }
    expect(warnings[0]).toMatch(
      /^pruneSnapshots could not delete .*snapshot-0+\.snap \(EBUSY.*it and the files after it are kept/,
    );
    expect(snapshotNames(dir)).toEqual([
      'snapshot-0000000000000000.snap',
      'snapshot-0000000000000001.snap',
      'snapshot-0000000000000002.snap',
      'snapshot-0000000000000003.snap',
    ]);
    refusing.on = false;
    wiki.createPage('p4', 'x');
    wiki.takeSnapshot();
    expect(snapshotNames(dir)).toEqual([
      'snapshot-0000000000000003.snap',
      'snapshot-0000000000000004.snap',
    ]);
    await wiki.close();
  });
});

/** Polls `done` every 10 ms, for 10 s at most (generous for a busy machine; not a timing check). */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 10_000; waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A file system whose unlink of a file matching `pattern` fails with `code` while `refusing.on`. */
function refusingUnlink(
  pattern: RegExp,
  code: string,
): { fileSystem: FileSystem; refusing: { on: boolean } } {
  const refusing = { on: false };
  const fileSystem: FileSystem = {
    ...realFs,
    unlinkSync(file: string) {
      if (refusing.on && pattern.test(file)) {
        throw Object.assign(new Error(`${code}: refused, unlink '${file}'`), { code });
      }
      realFs.unlinkSync(file);
    },
  };
  return { fileSystem, refusing };
}

describe('GoodSnapshots', () => {
  it('keeps the newest two seqs, not one per snapshot ever taken (regression (leak review): a process taking a snapshot a second kept a list of all of them)', () => {
    const good = new GoodSnapshots();
    expect(good.fallback).toBeUndefined();
    good.note(0);
    expect(good.fallback).toBeUndefined();
    for (let seq = 1; seq <= 10_000; seq++) good.note(seq);
    expect(good.size).toBe(2);
    expect(good.fallback).toBe(9_999);
    // A snapshot rewritten at the same seq is not its own fallback.
    good.note(10_000);
    expect(good.fallback).toBe(9_999);
  });
});

// Regression (operator review): the rebuild warning advised "put a valid snapshot back" without
// saying when. An operator who did so after the rebuilt system had run actions got other
// random()/uuid() values for those actions than their callers had been given, with no warning.
describe('the warning of a rebuild from the journal alone', () => {
  it('says to put a snapshot back before any action runs', async () => {
    class Tally {
      n = 0;
      inc(): void {
        this.n++;
      }
    }
    const dir = freshBasedir();
    const first = initSystem(Tally, dir);
    first.inc();
    await first.close();
    for (const f of fs.readdirSync(dir))
      if (f.startsWith('snapshot-')) fs.renameSync(path.join(dir, f), path.join(dir, `${f}.aside`));
    const warnings: string[] = [];
    const again = initSystem(Tally, { basedir: dir, onWarning: (w) => warnings.push(w) });
    expect(again.n).toBe(1);
    expect(warnings.join('\n')).toMatch(
      /close this system before it runs any action or takes a snapshot \(an automatic one too: snapshotIntervalMs: 0\) and put a valid snapshot back/,
    );
    await again.close();
  });
});
