import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError, persistent } from '../../lib';
import type { PrevalenceError } from '../../lib';
import type { SystemOptions } from '../../lib';
import { globalRegistry } from '../../lib/codec/registry';
import { realFs } from '../../lib/fs/seam';
import { encodeRecordLine } from '../../lib/journal/record';
import { Wiki } from '../fixtures/wiki';
import { freshBasedir, tmpDir } from '../support/tmp';

/** The PrevalenceError `fn` throws (fails the test when it throws something else or nothing). */
function errorOf(fn: () => unknown): PrevalenceError {
  try {
    fn();
  } catch (err) {
    if (isPrevalenceError(err)) return err;
    throw new Error(`not a PrevalenceError: ${String(err)}`);
  }
  throw new Error('expected a PrevalenceError, nothing was thrown');
}

/** Expects `initSystem(domain, options)` to refuse with `code` and create nothing at `dir`. */
/** Every journal file of `basedir`, oldest first, as one string. */
function journalText(basedir: string): string {
  const journals = fs.readdirSync(basedir).filter((f) => f.startsWith('journal-'));
  return journals.map((f) => fs.readFileSync(path.join(basedir, f), 'utf8')).join('');
}

class Shelf {
  items: object[] = [];
  add(item: object): void {
    this.items.push(item);
  }
}

function expectRefused(
  domain: object,
  options: unknown,
  code: string,
  words: RegExp | string,
  dir = (options as { basedir?: string }).basedir,
): void {
  const err = errorOf(() => initSystem(domain, options as SystemOptions));
  expect(err.code).toBe(code);
  expect(err.message).toMatch(words);
  if (dir !== undefined) expect(fs.existsSync(dir)).toBe(false);
}

/** Every file under `dir` with its bytes, to show a refusal changed nothing. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    out[name] = fs.readFileSync(path.join(dir, name)).toString('base64');
  }
  return out;
}

describe('initSystem option validation', () => {
  describe('numeric options', () => {
    it('(regression: an interval above 2^31-1 ms was accepted and Node fired it every 1 ms) refuses it, naming the maximum', () => {
      for (const key of ['snapshotIntervalMs', 'batchIntervalMs']) {
        expectRefused(
          new Wiki(),
          { basedir: freshBasedir(), [key]: 2 ** 31 },
          'INVALID_OPTION',
          new RegExp(`^INVALID_OPTION: ${key} must be .* up to 2147483647 \\(about 24\\.8 days`),
        );
        expectRefused(new Wiki(), { basedir: freshBasedir(), [key]: -1 }, 'INVALID_OPTION', /-1/);
        expectRefused(new Wiki(), { basedir: freshBasedir(), [key]: NaN }, 'INVALID_OPTION', /NaN/);
        expectRefused(new Wiki(), { basedir: freshBasedir(), [key]: '5' }, 'INVALID_OPTION', /"5"/);
      }
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), batchIntervalMs: 0 },
        'INVALID_OPTION',
        /batchIntervalMs/,
      );
    });

    it('accepts the longest interval, and 0 (off) for snapshots', async () => {
      const warnings: string[] = [];
      const onWarn = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarn);
      try {
        const wiki = initSystem(Wiki, {
          basedir: freshBasedir(),
          snapshotIntervalMs: 2 ** 31 - 1,
          batchIntervalMs: 2 ** 31 - 1,
          durability: 'batch',
        });
        wiki.createPage('a', 'b');
        await wiki.close();
        const off = initSystem(Wiki, { basedir: freshBasedir(), snapshotIntervalMs: 0 });
        await off.close();
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        process.off('warning', onWarn);
      }
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    });

    it('(regression: journalMaxBytes 0.5 gave one journal file per record) requires a whole number of bytes, at least 1', async () => {
      for (const bad of [0.5, 0, -1, 1.5, Infinity, NaN, 2 ** 53, '64']) {
        expectRefused(
          new Wiki(),
          { basedir: freshBasedir(), journalMaxBytes: bad },
          'INVALID_OPTION',
          /^INVALID_OPTION: journalMaxBytes must be a whole number of bytes, at least 1/,
        );
      }
      const wiki = initSystem(Wiki, { basedir: freshBasedir(), journalMaxBytes: 1 });
      await wiki.close();
    });
  });

  describe('the basedir on disk', () => {
    it('(regression: a basedir naming a file threw a raw EEXIST) refuses it with INVALID_OPTION, leaving the file alone', () => {
      const file = path.join(tmpDir(), 'data');
      fs.writeFileSync(file, 'mine');
      const err = errorOf(() => initSystem(new Wiki(), file));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toBe(
        `INVALID_OPTION: basedir ${file} cannot be used as the data directory (EEXIST): it names an existing file, not a directory: pass the path of a directory (it is created when missing)`,
      );
      expect(fs.readFileSync(file, 'utf8')).toBe('mine');
    });

    it('(regression: a basedir under a file threw a raw ENOTDIR) refuses it with INVALID_OPTION', () => {
      const file = path.join(tmpDir(), 'plain');
      fs.writeFileSync(file, 'mine');
      const dir = path.join(file, 'data');
      expectRefused(
        new Wiki(),
        { basedir: dir },
        'INVALID_OPTION',
        /\(ENOTDIR\): a part of the path is a file/,
      );
      expect(fs.readFileSync(file, 'utf8')).toBe('mine');
    });

    it('(regression: an unwritable basedir threw a raw EACCES) refuses it with INVALID_OPTION naming the path', () => {
      const dir = freshBasedir();
      const denied = Object.assign(new Error(`EACCES: permission denied, mkdir '${dir}'`), {
        code: 'EACCES',
      });
      const fileSystem = {
        ...realFs,
        mkdirSync: () => {
          throw denied;
        },
      };
      const err = errorOf(() => initSystem(new Wiki(), { basedir: dir, fileSystem }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toContain(`basedir ${dir} cannot be used as the data directory (EACCES)`);
      expect(err.message).toContain('choose a location this process may write');
      expect(err.cause).toBe(denied);
      expect(fs.existsSync(dir)).toBe(false);
    });

    it('(regression: a basedir through a dangling symbolic link threw a raw ENOENT) refuses it with INVALID_OPTION naming the link', () => {
      const parent = freshBasedir();
      fs.mkdirSync(parent);
      const link = path.join(parent, 'dangling');
      fs.symlinkSync(path.join(parent, 'nowhere'), link);
      for (const dir of [link, path.join(link, 'sub', 'data')]) {
        const err = errorOf(() => initSystem(new Wiki(), { basedir: dir }));
        expect(err.code).toBe('INVALID_OPTION');
        // ENOENT under the link; EEXIST where the link itself stands (directories are made one level at a time).
        expect(err.message).toMatch(/cannot be used as the data directory \((ENOENT|EEXIST)\)/);
        expect(err.message).toContain(`basedir ${dir} cannot be used`);
        expect(err.message).toContain(`${link} is a symbolic link to a path that does not exist`);
      }
      expect(fs.readdirSync(parent)).toEqual(['dangling']);
    });

    it("refuses a directory the file system will not create under a writable parent (regression (hostile-input sweep): /proc/xyz hung in Node 20's recursive mkdir, then threw a raw ENOENT)", () => {
      const parent = freshBasedir();
      fs.mkdirSync(parent);
      const missing = Object.assign(new Error('ENOENT: no such file or directory, mkdir'), {
        code: 'ENOENT',
      });
      const fileSystem = {
        ...realFs,
        mkdirSync: () => {
          throw missing;
        },
      };
      const dir = path.join(parent, 'sub');
      const err = errorOf(() => initSystem(new Wiki(), { basedir: dir, fileSystem }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toContain('the file system there refused it');
      expect(err.cause).toBe(missing);
      if (fs.existsSync('/proc/self')) {
        const proc = errorOf(() => initSystem(new Wiki(), { basedir: '/proc/prevalent-test' }));
        expect(proc.code).toBe('INVALID_OPTION');
      }
    });

    it('passes other file-system failures through unchanged', () => {
      const eio = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      const fileSystem = {
        ...realFs,
        mkdirSync: () => {
          throw eio;
        },
      };
      expect(() => initSystem(new Wiki(), { basedir: freshBasedir(), fileSystem })).toThrow(eio);
    });

    it('refuses a basedir with a NUL character before touching the disk', () => {
      expectRefused(new Wiki(), { basedir: 'a\0b' }, 'INVALID_OPTION', /basedir must be/);
    });
  });

  describe('callbacks and the file-system seam', () => {
    it('(regression: onProgress "x" threw a TypeError after creating the directory) refuses a non-function callback before creating anything', () => {
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), onProgress: 'x' },
        'INVALID_OPTION',
        /^INVALID_OPTION: onProgress must be a function; got "x"$/,
      );
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), onWarning: 42 },
        'INVALID_OPTION',
        /^INVALID_OPTION: onWarning must be a function; got 42$/,
      );
    });

    it('(regression: onWarning 42 threw a TypeError mid-recovery, after truncating a torn tail) refuses it with the directory untouched', async () => {
      const dir = freshBasedir();
      const wiki = initSystem(Wiki, dir);
      wiki.createPage('a', 'one');
      await wiki.close();
      const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-')) as string;
      fs.appendFileSync(path.join(dir, journal), '{"torn');
      const before = contents(dir);
      expect(() =>
        initSystem(Wiki, { basedir: dir, recover: 'truncate', onWarning: 42 as never }),
      ).toThrow(/^INVALID_OPTION: onWarning must be a function/);
      expect(contents(dir)).toEqual(before);
    });

    it('(regression: fileSystem "x" threw a TypeError) refuses a fileSystem without the seam methods, naming the missing ones', () => {
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), fileSystem: 'x' },
        'INVALID_OPTION',
        /^INVALID_OPTION: fileSystem must be an object implementing the FileSystem seam/,
      );
      const partial: Record<string, unknown> = { ...realFs, fsyncDirSync: undefined };
      delete partial.writeSync;
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), fileSystem: partial },
        'INVALID_OPTION',
        /^INVALID_OPTION: fileSystem lacks the FileSystem methods writeSync, fsyncDirSync: /,
      );
    });
  });

  describe('option names and types', () => {
    it('(regression: a misspelt option was ignored and the default used) refuses unknown keys, suggesting the closest name', () => {
      const err = errorOf(() =>
        initSystem(new Wiki(), { basedir: freshBasedir(), durabilty: 'none' } as SystemOptions),
      );
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toMatch(
        /^INVALID_OPTION: unknown option "durabilty" \(did you mean "durability"\?\); the options are basedir, journalMaxBytes, .*fileSystem: fix the name or remove it$/,
      );
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), isolaton: 'none' },
        'INVALID_OPTION',
        /unknown option "isolaton" \(did you mean "isolation"\?\)/,
      );
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), colour: 'red' },
        'INVALID_OPTION',
        /unknown option "colour"; the options are/,
      );
    });

    it('(regression: strictReplay "false" and pruneJournals "no" were taken as true) requires booleans', () => {
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), strictReplay: 'false' },
        'INVALID_OPTION',
        /^INVALID_OPTION: strictReplay must be true or false; got "false"$/,
      );
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), pruneJournals: 'no' },
        'INVALID_OPTION',
        /^INVALID_OPTION: pruneJournals must be true or false; got "no"$/,
      );
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), pruneSnapshots: 1 },
        'INVALID_OPTION',
        /^INVALID_OPTION: pruneSnapshots must be true or false; got 1$/,
      );
    });

    it('(regression: options given as an array were accepted) refuses anything but a string or a plain object', () => {
      const cwd = process.cwd();
      const dir = tmpDir();
      process.chdir(dir);
      try {
        for (const bad of [[], ['./data'], new Map(), 42, true]) {
          expectRefused(
            new Wiki(),
            bad,
            'INVALID_OPTION',
            /^INVALID_OPTION: options must be a basedir string or a plain options object/,
          );
        }
        expect(fs.readdirSync(dir)).toEqual([]);
      } finally {
        process.chdir(cwd);
      }
    });

    it('(regression: one class under two names in options.classes was accepted) refuses it', () => {
      class Item {
        n = 0;
      }
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), classes: { X: Item, Y: Item } },
        'INVALID_OPTION',
        /^INVALID_OPTION: options.classes holds class Item under two names, "X" and "Y": /,
      );
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), classes: new Map([['X', Item]]) },
        'INVALID_OPTION',
        /options.classes must be an array of classes or an object/,
      );
    });

    it.each([
      [[42], 'options.classes[0] is 42'],
      [[null], 'options.classes[0] is null'],
      [['Page'], 'options.classes[0] is "Page"'],
      [[{}], 'options.classes[0] is an object'],
      [{ Page: 42 }, 'options.classes["Page"] is 42'],
    ])(
      '(regression: a non-class in options.classes was named "") names %j by its place and value',
      (classes, expected) => {
        expectRefused(
          new Wiki(),
          { basedir: freshBasedir(), classes: classes as never },
          'INVALID_OPTION',
          `INVALID_OPTION: options.classes must hold classes; ${expected}: pass the class itself (not an instance or its name)`,
        );
      },
    );

    it('(regression: a @persistent class listed in options.classes was stored under its constructor name) stores it under its @persistent name and still reads the old one', async () => {
      const basedir = freshBasedir();
      {
        // What the earlier version wrote: the instance under the constructor's name.
        class RenamedItem {
          n = 1;
        }
        const old = initSystem(Shelf, { basedir, classes: { RenamedItem } });
        old.add(new RenamedItem());
        await old.close();
      }
      @persistent('StableShelfItem')
      class RenamedItem {
        n = 2;
      }
      for (const classes of [[RenamedItem], { RenamedItem }]) {
        const shelf = initSystem(Shelf, { basedir, classes });
        expect(shelf.items[0]).toBeInstanceOf(RenamedItem);
        shelf.add(new RenamedItem());
        await shelf.close();
      }
      expect(journalText(basedir).match(/"c":"[A-Za-z]+"/g)).toEqual([
        '"c":"RenamedItem"',
        '"c":"StableShelfItem"',
        '"c":"StableShelfItem"',
      ]);
      const again = initSystem(Shelf, { basedir, classes: [RenamedItem] });
      expect(again.items.map((item) => item instanceof RenamedItem)).toEqual([true, true, true]);
      await again.close();
      const otherDir = freshBasedir();
      const other = initSystem(Shelf, { basedir: otherDir, classes: { Other: RenamedItem } });
      other.add(new RenamedItem());
      await other.close();
      expect(journalText(otherDir)).toContain('"c":"StableShelfItem"');
    });

    it('keeps accepting every option at once', async () => {
      class Item {
        n = 0;
      }
      const warnings: string[] = [];
      const options: Required<SystemOptions> = {
        basedir: freshBasedir(),
        journalMaxBytes: 4096,
        snapshotIntervalMs: 60_000,
        classes: { Item },
        durability: 'batch',
        batchIntervalMs: 5,
        recover: 'truncate',
        isolation: 'clone',
        strictReplay: false,
        pruneJournals: true,
        pruneSnapshots: true,
        onProgress: () => {},
        onWarning: (message) => warnings.push(message),
        fileSystem: { ...realFs },
      };
      const wiki = initSystem(Wiki, options);
      wiki.createPage('a', 'b');
      await wiki.close();
      const again = initSystem(Wiki, { ...options, classes: [Item], onProgress: undefined });
      expect(again.getPage('a')?.content).toBe('b');
      await again.close();
      expect(warnings).toEqual([]);
    });
  });

  describe('the domain object', () => {
    it('(regression: a built-in instance or class opened, then every method threw a raw TypeError) refuses it before creating anything', () => {
      for (const domain of [
        new Map(),
        Map,
        Date,
        new Date(),
        new Set(),
        /x/,
        Buffer.alloc(1),
        Number,
      ]) {
        expectRefused(
          domain,
          { basedir: freshBasedir() },
          'INVALID_OPTION',
          /^INVALID_OPTION: initSystem needs an instance of a class of your own \(or the class itself\), not the built-in \w+: /,
        );
      }
    });

    it('asks whether the arguments were swapped when the domain is a string (regression: it called the string a built-in String to keep in a property)', () => {
      expectRefused(
        './wiki-data' as unknown as object,
        { basedir: freshBasedir() },
        'INVALID_OPTION',
        /^INVALID_OPTION: initSystem got the string "\.\/wiki-data" where the domain object belongs: did you swap the arguments\? Call initSystem\(domain, basedir\)/,
      );
    });

    it('says how to pass the initial state when the constructor of a class given needs arguments (regression: a raw TypeError from inside the constructor)', () => {
      class Shop {
        readonly name: string;
        constructor(opts: { name: string }) {
          this.name = opts.name;
        }
      }
      const err = errorOf(() => initSystem(Shop as unknown as new () => Shop, freshBasedir()));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toMatch(
        /^INVALID_OPTION: initSystem was given the class Shop, so it called new Shop\(\) with no arguments .*and that threw \(Cannot read properties of undefined.*\): give the constructor's parameters defaults, or pass an instance/,
      );
      expect(err.cause).toBeInstanceOf(TypeError);
    });

    it('passes a throw from a constructor without parameters unchanged (regression (review): a configuration check of its own became INVALID_OPTION about parameters)', () => {
      class ConfigError extends Error {}
      class Shop {
        constructor() {
          throw new ConfigError('SHOP_CONFIG is not set');
        }
      }
      expect(() => initSystem(Shop, freshBasedir())).toThrow(ConfigError);
    });

    it('describes a thrown value that has no string form (regression (review): the message itself threw a TypeError)', () => {
      class Shop {
        readonly name: string;
        constructor(opts: { name: string }) {
          if (opts === undefined) throw Object.create(null) as object;
          this.name = opts.name;
        }
      }
      const err = errorOf(() => initSystem(Shop as unknown as new () => Shop, freshBasedir()));
      expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
      expect(err.message).toContain('and that threw ([object Object])');
    });

    it('refuses a root class extending a built-in type with the message @persistent gives', () => {
      class Inventory extends Map<string, number> {}
      expectRefused(
        new Inventory(),
        { basedir: freshBasedir() },
        'NOT_SERIALIZABLE',
        /^NOT_SERIALIZABLE: class Inventory extends a built-in type \(Map\): such subclasses cannot be stored; /,
      );
    });

    it('(regression: methods named like the controls were silently hidden) refuses them, naming the method', () => {
      class Shop {
        open = true;
        close(): void {
          this.open = false;
        }
      }
      expectRefused(
        new Shop(),
        { basedir: freshBasedir() },
        'INVALID_OPTION',
        /^INVALID_OPTION: Shop has a method named close, the name of the system's own close\(\), which would hide it: .*; rename it$/,
      );
      class Base {
        sync(): void {}
      }
      class Derived extends Base {}
      expectRefused(
        Derived,
        { basedir: freshBasedir() },
        'INVALID_OPTION',
        /Derived has a method named sync \(inherited from Base\)/,
      );
      class WithGetter {
        get basedirAbspath(): string {
          return 'x';
        }
      }
      expectRefused(
        WithGetter,
        { basedir: freshBasedir() },
        'INVALID_OPTION',
        /a method named basedirAbspath/,
      );
      class WithField {
        takeSnapshot = 0;
      }
      expectRefused(
        new WithField(),
        { basedir: freshBasedir() },
        'INVALID_OPTION',
        /WithField has a property named takeSnapshot/,
      );
    });

    it('refuses a method named then, which would make the system object a thenable (regression (async review): returning the system from an async function called it as an action, and the open failed naming neither, with the directory left locked)', async () => {
      class Orders {
        done: string[] = [];
        then(id: string): void {
          this.done.push(id);
        }
      }
      const dir = freshBasedir();
      expectRefused(
        new Orders(),
        { basedir: dir },
        'INVALID_OPTION',
        /^INVALID_OPTION: Orders has a method named then, which makes the system object a thenable: .*; rename it$/,
      );
      class Renamed {
        done: string[] = [];
        markDone(id: string): void {
          this.done.push(id);
        }
      }
      const open = async () => initSystem(new Renamed(), { basedir: dir });
      const orders = await open();
      orders.markDone('a');
      await orders.close();
    });

    it('opens a directory holding state for a class with a method named then, with a warning, and replays the records naming it (regression (final review): the refusal of then, meant for new directories, locked out a directory the build before opened and journaled then calls into)', async () => {
      class Orders {
        done: string[] = [];
        then(id: string): void {
          this.done.push(id);
        }
      }
      const dir = freshBasedir();
      fs.mkdirSync(dir, { recursive: true });
      // What the build before wrote for `initSystem(Orders, dir).then('a')`.
      fs.writeFileSync(
        path.join(dir, 'journal-0000000000000001.jsonl'),
        encodeRecordLine(1, 1_700_000_000_000, 'then', '["a"]', false),
      );
      const warnings: string[] = [];
      const s = initSystem(Orders, { basedir: dir, onWarning: (m) => warnings.push(m) });
      expect(s.done).toEqual(['a']);
      expect(warnings.some((m) => /Orders has a method named then.*takeSnapshot\(\)/.test(m))).toBe(
        true,
      );
      s.takeSnapshot();
      await s.close();
      class Renamed {
        done: string[] = [];
        markDone(id: string): void {
          this.done.push(id);
        }
      }
      const renamed = initSystem(Renamed, { basedir: dir, classes: { Orders: Renamed } });
      expect(renamed.done).toEqual(['a']);
      await renamed.close();
    });

    it('refuses a field named like a control when given the class, as when given an instance (regression (acceptance suite #4): the class opened, and the field hid behind close())', () => {
      class WithField {
        close = 1;
        n = 0;
      }
      const dir = freshBasedir();
      const err = errorOf(() => initSystem(WithField, { basedir: dir }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toMatch(
        /^INVALID_OPTION: WithField has a property named close, the name of the system's own close\(\)/,
      );
      // Nothing written: the directory is left empty, as after any refused initial state.
      expect(fs.readdirSync(dir)).toEqual([]);
    });

    it('still opens a directory of journals only (snapshots moved aside) for a class with such a field, as it opens one with a snapshot (regression (compatibility run): it was refused after the upgrade)', async () => {
      class WithSync {
        sync = { every: 5 };
        n = 0;
        inc(): void {
          this.n++;
        }
      }
      const dir = freshBasedir();
      // Written by an earlier version, which accepted the class given as a class.
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'journal-0000000000000001.jsonl'),
        encodeRecordLine(1, 1_700_000_000_000, 'inc', '[]', false),
      );
      const s = initSystem(WithSync, { basedir: dir, onWarning: () => {} });
      expect(s.n).toBe(1);
      await s.close();
    });

    it("refuses a class whose constructor returns the state of an open system (a singleton) (regression (review): a second system opened on the first one's state, and its replay changed it)", async () => {
      class Counter {
        static shared: Counter | undefined;
        n = 0;
        constructor() {
          if (Counter.shared) return Counter.shared;
          Counter.shared = this;
        }
        inc(): void {
          this.n++;
        }
      }
      const first = initSystem(Counter, { basedir: freshBasedir() });
      first.inc();
      const err = errorOf(() => initSystem(Counter, { basedir: freshBasedir() }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toContain('new Counter() returned the state of a system that is open');
      expect(first.n).toBe(1);
      await first.close();
    });

    it('refuses a class whose constructor returns another object, saying so (regression (acceptance suite #4): the new directory was said to hold another class)', () => {
      class Factory {
        constructor() {
          return { n: 1 };
        }
      }
      const dir = freshBasedir();
      const err = errorOf(() => initSystem(Factory, { basedir: dir }));
      expect(err.code).toBe('INVALID_OPTION');
      expect(err.message).toMatch(
        /^INVALID_OPTION: new Factory\(\) returned an object that is not a Factory \(its constructor returns another object\)/,
      );
      // Nothing written: the directory is left empty, as after any refused initial state.
      expect(fs.readdirSync(dir)).toEqual([]);
    });
  });

  it('(regression: @persistent on a method registered the function as a class) refuses it on a class member where it is written', () => {
    const onMethod = (decorator: (value: never, context: never) => unknown) =>
      (decorator as (value: unknown, context: unknown) => unknown)(function save() {}, {
        kind: 'method',
        name: 'save',
      });
    for (const decorator of [persistent('Saved'), persistent]) {
      expect(() => onMethod(decorator as never)).toThrow(
        /^INVALID_OPTION: @persistent decorates a class \(it registers the class for storage\), not a method: put it on the class declaration$/,
      );
    }
    // Legacy decorators call a member decorator with the prototype and the key.
    expect(() => (persistent as (...a: unknown[]) => unknown)({}, 'save', {})).toThrow(
      /^INVALID_OPTION: @persistent decorates a class/,
    );
    expect(() => (persistent('Saved') as (...a: unknown[]) => unknown)({}, 'save', {})).toThrow(
      /^INVALID_OPTION: @persistent decorates a class/,
    );
    expect(globalRegistry.byName('Saved')).toBeUndefined();
  });

  describe('@persistent on a subclass of a built-in type', () => {
    const bases: Array<[string, new (...args: any[]) => object]> = [
      ['Map', Map],
      ['Set', Set],
      ['Array', Array],
      ['Date', Date],
      ['Uint8Array', Uint8Array],
      ['RegExp', RegExp],
      ['Error', Error],
      ['Promise', Promise],
    ];

    it.each(bases)(
      '(regression: accepted at decoration, refused only later) refuses a subclass of %s where it is decorated',
      (name, Base) => {
        const decorate = () => {
          @persistent(`Builtin${name}Sub`)
          class Sub extends Base {}
          return Sub;
        };
        expect(decorate).toThrow(
          `NOT_SERIALIZABLE: class Sub extends a built-in type (${name}): such subclasses cannot be stored; keep the built-in value in a property of a registered class instead`,
        );
        expect(globalRegistry.byName(`Builtin${name}Sub`)).toBeUndefined();
      },
    );

    it('refuses such a class in options.classes before creating anything', () => {
      class Tags extends Set<string> {}
      expectRefused(
        new Wiki(),
        { basedir: freshBasedir(), classes: [Tags] },
        'NOT_SERIALIZABLE',
        /^NOT_SERIALIZABLE: class Tags extends a built-in type \(Set\): /,
      );
    });
  });
});
