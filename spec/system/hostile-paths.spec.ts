import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem } from '../../lib';
import { Wiki } from '../fixtures/wiki';
import { filesIn, freshBasedir, tmpDir } from '../support/tmp';
import { prevalenceErrorOf } from '../support/errors';

/**
 * Regressions from the hostile-input sweep: paths that made a data directory
 * refuse to open, or wrote a data directory among unrelated files unnoticed.
 */

describe('paths that would break a data directory', () => {
  it("refuses a backup inside the system's own data directory, or named like a data file (regression: takeSnapshot({ into: basedir + '/journal-….jsonl' }) made the directory refuse to open)", async () => {
    const dir = freshBasedir();
    const wiki = initSystem(new Wiki(), dir);
    wiki.createPage('a', 'x');
    for (const into of [
      path.join(dir, 'journal-0000000000000003.jsonl'),
      path.join(dir, 'snapshot-0000000000000009.snap'),
      path.join(dir, 'backups', 'today'),
    ]) {
      const err = prevalenceErrorOf(() => wiki.takeSnapshot({ into }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toMatch(/inside the system's own data directory|named like a file/);
    }
    const elsewhere = path.join(tmpDir(), 'journal-0000000000000001.jsonl');
    expect(prevalenceErrorOf(() => wiki.takeSnapshot({ into: elsewhere })).message).toContain(
      'is named like a file of a prevalent data directory',
    );
    wiki.createPage('b', 'y');
    expect(filesIn(dir).every((f) => fs.statSync(path.join(dir, f)).isFile())).toBe(true);
    await wiki.close();
    const again = initSystem(Wiki, dir);
    expect(Object.keys(again.pages)).toEqual(['a', 'b']);
    await again.close();
  });

  it("refuses a basedir named like a data file (regression: one inside another system's directory made that one refuse to open)", async () => {
    const outer = freshBasedir();
    const wiki = initSystem(new Wiki(), outer);
    for (const name of [
      'journal-0000000000000002.jsonl',
      'snapshot-0000000000000005.snap',
      'LOCK',
    ]) {
      const err = prevalenceErrorOf(() => initSystem(new Wiki(), path.join(outer, name)));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toContain('is named like a file of a prevalent data directory');
    }
    wiki.createPage('a', 'x');
    await wiki.close();
    const again = initSystem(Wiki, outer);
    expect(Object.keys(again.pages)).toEqual(['a']);
    await again.close();
  });

  it('refuses only the names data files really have, and opens a directory an earlier version made under one (regression (review of the refusal): LOCK.d, journal-2024.jsonl and a data directory named like a journal were refused)', async () => {
    const parent = tmpDir();
    for (const name of ['LOCK.d', 'journal-2024.jsonl', 'snapshot-1.snap', 'LOCKS', 'journal']) {
      const wiki = initSystem(new Wiki(), path.join(parent, name));
      await wiki.close();
    }
    // Made by the session's start build, which took the name.
    const old = path.join(parent, 'journal-0000000000000007.jsonl');
    fs.mkdirSync(old);
    const made = initSystem(new Wiki(), path.join(parent, 'elsewhere'));
    made.createPage('a', 'x');
    await made.close();
    for (const f of fs.readdirSync(path.join(parent, 'elsewhere'))) {
      fs.copyFileSync(path.join(parent, 'elsewhere', f), path.join(old, f));
    }
    const reopened = initSystem(Wiki, old);
    expect(Object.keys(reopened.pages)).toEqual(['a']);
    await reopened.close();
  });

  it('warns when a new data directory is made among files that are not prevalent data (regression: a basedir of "." was used silently)', async () => {
    const dir = freshBasedir();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    fs.writeFileSync(path.join(dir, '.hidden'), 'mine');
    const warnings: string[] = [];
    const wiki = initSystem(new Wiki(), { basedir: dir, onWarning: (m) => warnings.push(m) });
    await wiki.close();
    expect(warnings).toEqual([
      expect.stringMatching(/holds 1 entry \(notes\.txt\) and no prevalent data/),
    ]);
    // Reopened, it holds prevalent data: no warning.
    const quiet: string[] = [];
    const again = initSystem(Wiki, { basedir: dir, onWarning: (m) => quiet.push(m) });
    await again.close();
    expect(quiet).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
