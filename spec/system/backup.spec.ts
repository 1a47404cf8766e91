import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError } from '../../lib';
import { Wiki } from '../fixtures/wiki';
import { filesIn, freshBasedir, tmpDir } from '../support/tmp';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPrevalenceError(err) ? err.code : String(err);
  }
  return undefined;
}

const pageIds = (w: { pages: Record<string, unknown> }): string[] => Object.keys(w.pages);

describe('takeSnapshot({ into }): an online backup', () => {
  it('writes the state as of the call into a new directory, which opens as a data directory of its own, while the system goes on', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir, journalMaxBytes: 400 });
    for (let i = 0; i < 30; i++) wiki.createPage(`p${i}`, 'x'.repeat(50));
    const own = filesIn(dir);
    const target = path.join(tmpDir(), 'backup');
    const file = wiki.takeSnapshot({ into: target });
    expect(path.dirname(file)).toBe(target);
    expect(filesIn(target)).toEqual([path.basename(file)]);
    // The system's own directory is left as it was, and the system goes on.
    expect(filesIn(dir)).toEqual(own);
    wiki.createPage('after', 'y');
    await wiki.close();
    const copy = initSystem(new Wiki(), { basedir: target });
    expect(pageIds(copy)).toEqual(Array.from({ length: 30 }, (_, i) => `p${i}`));
    // It continues as a directory of its own, with the original's journal numbering.
    copy.createPage('in-backup', 'z');
    await copy.close();
    const again = initSystem(new Wiki(), { basedir: target });
    expect(pageIds(again)).toContain('in-backup');
    await again.close();
    const original = initSystem(new Wiki(), { basedir: dir });
    expect(pageIds(original)).toContain('after');
    expect(pageIds(original)).not.toContain('in-backup');
    await original.close();
  });

  it('accepts an existing empty directory', async () => {
    const wiki = initSystem(new Wiki(), { basedir: freshBasedir() });
    wiki.createPage('home', 'x');
    const target = tmpDir();
    wiki.takeSnapshot({ into: target });
    await wiki.close();
    const copy = initSystem(new Wiki(), { basedir: target });
    expect(pageIds(copy)).toEqual(['home']);
    await copy.close();
  });

  it('refuses a directory with files, the own data directory and bad options with INVALID_OPTION, writing nothing', async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), { basedir: dir });
    wiki.createPage('home', 'x');
    const busy = tmpDir();
    fs.writeFileSync(path.join(busy, 'notes.txt'), 'mine');
    const before = filesIn(dir);
    expect(codeOf(() => wiki.takeSnapshot({ into: busy }))).toBe('INVALID_OPTION');
    expect(filesIn(busy)).toEqual(['notes.txt']);
    expect(codeOf(() => wiki.takeSnapshot({ into: dir }))).toBe('INVALID_OPTION');
    expect(codeOf(() => wiki.takeSnapshot({ into: '' }))).toBe('INVALID_OPTION');
    expect(codeOf(() => wiki.takeSnapshot({ into: 42 } as never))).toBe('INVALID_OPTION');
    expect(codeOf(() => wiki.takeSnapshot({ intoo: 'x' } as never))).toBe('INVALID_OPTION');
    expect(codeOf(() => wiki.takeSnapshot('x' as never))).toBe('INVALID_OPTION');
    expect(filesIn(dir)).toEqual(before);
    await wiki.close();
    expect(codeOf(() => wiki.takeSnapshot({ into: tmpDir() }))).toBe('CLOSED');
  });
});

describe('a copy made of hard links (cp -al, rsnapshot)', () => {
  /** What `cp -al` makes: a new directory whose files are hard links to `dir`'s. */
  function hardLinkCopy(dir: string): string {
    const copy = path.join(tmpDir(), 'linked');
    fs.mkdirSync(copy);
    for (const name of fs.readdirSync(dir)) {
      if (!name.startsWith('LOCK')) fs.linkSync(path.join(dir, name), path.join(copy, name));
    }
    return copy;
  }

  it("opens with journal files of its own, so neither directory writes into the other's (regression (durability review): the copy appended into the original's live journal, and the original no longer opened)", async () => {
    const dir = freshBasedir();
    const original = initSystem(new Wiki(), { basedir: dir });
    original.createPage('o1', 'x');
    original.createPage('o2', 'x');
    const copyDir = hardLinkCopy(dir);
    const warnings: string[] = [];
    const copy = initSystem(new Wiki(), { basedir: copyDir, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      expect.stringMatching(/journal-0+1\.jsonl was shared with another directory \(hard links/),
    ]);
    copy.createPage('c3', 'x');
    original.createPage('o3', 'x');
    await copy.close();
    await original.close();
    const journals = filesIn(dir).filter((f) => f.startsWith('journal-'));
    for (const name of journals) {
      expect(fs.statSync(path.join(dir, name)).nlink).toBe(1);
    }
    const reopened = initSystem(new Wiki(), { basedir: dir });
    expect(Object.keys(reopened.pages)).toEqual(['o1', 'o2', 'o3']);
    await reopened.close();
    const copyAgain = initSystem(new Wiki(), { basedir: copyDir });
    expect(Object.keys(copyAgain.pages)).toEqual(['o1', 'o2', 'c3']);
    await copyAgain.close();
  });

  it('deletes the unfinished copy an open that crashed halfway left', async () => {
    const dir = freshBasedir();
    const first = initSystem(new Wiki(), { basedir: dir });
    first.createPage('a', 'x');
    await first.close();
    const journal = filesIn(dir).find((f) => f.startsWith('journal-'))!;
    fs.writeFileSync(path.join(dir, `${journal}.unshared.tmp`), 'partial');
    const again = initSystem(new Wiki(), { basedir: dir });
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(Object.keys(again.pages)).toEqual(['a']);
    await again.close();
  });
});
