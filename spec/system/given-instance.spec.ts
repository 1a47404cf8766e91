import * as fs from 'node:fs';
import { inspect } from 'node:util';
import { copyOf, initSystem, readonly, verifyReplay } from '../../lib';
import { freshBasedir, journalRecords } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * The instance a program gives to initSystem and keeps
 * (`const wiki = new Wiki(); const sys = initSystem(wiki, dir)`).
 * Regression: a call on it (`wiki.add(…)`) changed the live state without a
 * journal record, and a restart silently undid it (see handed-over.ts).
 */

const opened = closedAfterEach();

class Page {
  constructor(
    public id: string,
    public text: string,
  ) {}
}

class Book {
  pages: Record<string, Page> = {};
  log: string[] = [];

  add(id: string, text: string): void {
    this.pages[id] = new Page(id, text);
    this.log.push(id);
  }

  @readonly count(): number {
    return Object.keys(this.pages).length;
  }

  get size(): number {
    return this.log.length;
  }
}

const options = (basedir: string) => ({ basedir, classes: [Page] });

describe('an instance given to initSystem and kept by the program', () => {
  it('journals a call made on it, which a restart keeps (regression: the change was made outside the journal and lost on restart)', async () => {
    const dir = freshBasedir();
    const book = new Book();
    const sys = initSystem(book, options(dir));
    book.add('a', 'through the instance');
    sys.add('b', 'through the system object');
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['add', 'add']);
    expect(sys.count()).toBe(2);
    await sys.close();
    const again = opened(initSystem(Book, options(dir)));
    expect(again.pages['a']?.text).toBe('through the instance');
    expect(again.count()).toBe(2);
  });

  it('answers reads, queries and getters as the system object does, with read-only views', () => {
    const book = new Book();
    const sys = opened(initSystem(book, options(freshBasedir())));
    sys.add('a', 'x');
    expect(book.count()).toBe(1);
    expect(book.size).toBe(1);
    expect(book.pages['a']).toBe(sys.pages['a']);
    expect(book instanceof Book).toBe(true);
    expect(book.constructor).toBe(Book);
    expect('pages' in book).toBe(true);
    expect(() => {
      book.pages['a']!.text = 'changed';
    }).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
    expect(() => {
      book.pages = {};
    }).toThrow(expect.objectContaining({ code: 'DIRECT_MUTATION' }));
    expect(() => {
      book.log.push('z');
    }).toThrow(expect.objectContaining({ code: 'READONLY_VIOLATION' }));
    expect(sys.pages['a']!.text).toBe('x');
    expect(sys.log).toEqual(['a']);
  });

  it('shows the state in logs, JSON and deep comparisons, with the fields it had as own keys (none once closed)', async () => {
    const book = new Book();
    const sys = initSystem(book, options(freshBasedir()));
    sys.add('a', 'x');
    expect(JSON.parse(JSON.stringify(book))).toEqual({
      pages: { a: { id: 'a', text: 'x' } },
      log: ['a'],
    });
    expect(inspect(book)).toBe(inspect(sys));
    expect(Object.keys(book)).toEqual(['pages', 'log']);
    expect(Object.prototype.hasOwnProperty.call(book, 'pages')).toBe(true);
    expect(book).toEqual({ pages: { a: { id: 'a', text: 'x' } }, log: ['a'] });
    // The clock, as issue #2 puts it: a non-enumerable _clock on the domain object.
    expect(Object.getOwnPropertyDescriptor(book, '_clock')?.enumerable).toBe(false);
    expect(typeof (book as unknown as { _clock: { now(): unknown } })._clock.now).toBe('function');
    await sys.close();
    expect(Object.keys(book)).toEqual([]);
  });

  it('stands for the system object in an action’s arguments in every isolation', () => {
    for (const isolation of ['clone', 'none'] as const) {
      class Holder {
        seen = 0;
        look(other: { seen: number }): void {
          this.seen = other.seen + 1;
        }
      }
      const holder = new Holder();
      const sys = opened(initSystem(holder, { basedir: freshBasedir(), isolation }));
      sys.look(holder);
      expect(sys.seen).toBe(1);
    }
  });

  it('stands for the system object in an action’s arguments', () => {
    class Linker {
      same = false;
      check(other: object): void {
        this.same = other === this;
      }
    }
    const linker = new Linker();
    const sys = opened(initSystem(linker, freshBasedir()));
    sys.check(linker);
    expect(sys.same).toBe(true);
  });

  it.each(['clone', 'none'] as const)(
    'stands for the system object in an action’s arguments in %s isolation, copied as it is (regression: refused as NOT_SERIALIZABLE, an object whose prototype is not a class’s)',
    async (isolation) => {
      class Keeper {
        n = 1;
        kept: unknown[] = [];
        keep(value: unknown): void {
          this.kept.push(value);
        }
      }
      const dir = freshBasedir();
      const keeper = new Keeper();
      const sys = initSystem(keeper, { basedir: dir, isolation });
      sys.keep(sys);
      sys.keep(keeper);
      sys.keep({ nested: keeper });
      expect(journalRecords(dir).map((r) => r.method)).toEqual(['keep', 'keep', 'keep']);
      // Each a copy of the root as it was: the same class, the same fields.
      const [viaSystem, viaInstance, nested] = sys.kept as [Keeper, Keeper, { nested: Keeper }];
      expect(viaSystem).toBeInstanceOf(Keeper);
      expect(viaInstance).toBeInstanceOf(Keeper);
      expect(viaInstance.n).toBe(1);
      expect(viaInstance.kept).toHaveLength(1);
      expect(nested.nested.kept).toHaveLength(2);
      await sys.close();
      // Closed, it is refused as the closed system object is.
      const other = opened(initSystem(Keeper, { basedir: freshBasedir(), isolation }));
      expect(() => other.keep(sys)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      expect(() => other.keep(keeper)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
      expect(verifyReplay(dir, Keeper).ok).toBe(true);
    },
  );

  it.each(['readonly', 'clone', 'none'] as const)(
    'passed as an argument once its system is closed, is CLOSED with a message that does not say it let go of its state (%s isolation; regression: it said so, though the instance keeps that state for a new initSystem)',
    async (isolation) => {
      class Keeper {
        kept: unknown[] = [];
        keep(value: unknown): void {
          this.kept.push(value);
        }
      }
      const book = new Book();
      await initSystem(book, options(freshBasedir())).close();
      const other = opened(initSystem(Keeper, { basedir: freshBasedir(), isolation }));
      let message = '';
      try {
        other.keep({ book });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^CLOSED: /);
      expect(message).not.toContain('let go of its state');
      expect(message).toContain('given to initSystem');
    },
  );

  it('given to copyOf once its system is closed, is CLOSED with a message that does not say it let go of its state (regression: it said so, though the instance keeps that state for a new initSystem)', async () => {
    const book = new Book();
    await initSystem(book, options(freshBasedir())).close();
    let message = '';
    try {
      copyOf(book);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^CLOSED: /);
    expect(message).not.toContain('let go of its state');
    expect(message).toContain('given to initSystem');
  });

  it('is named as an instance given to initSystem when another system’s first state holds it (regression: NOT_SERIALIZABLE said it was made with Object.create())', () => {
    class Shelf {
      constructor(public book: Book) {}
    }
    const book = new Book();
    opened(initSystem(book, options(freshBasedir())));
    let message = '';
    try {
      initSystem(new Shelf(book), { basedir: freshBasedir(), classes: [Book, Page] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^NOT_SERIALIZABLE: /);
    expect(message).not.toContain('Object.create()');
    expect(message).toContain('an instance given to initSystem');
  });

  it('is refused inside an action, as the system object is', () => {
    const held: { book?: Book } = {};
    class Reader {
      seen = 0;
      peek(): void {
        this.seen = held.book!.count();
      }
    }
    const book = new Book();
    opened(initSystem(book, options(freshBasedir())));
    held.book = book;
    const reader = opened(initSystem(Reader, freshBasedir()));
    expect(() => reader.peek()).toThrow(
      expect.objectContaining({ code: 'NONDETERMINISTIC_METHOD' }),
    );
  });

  it('answers CLOSED once its system is closed, and starts a new system from the state it had', async () => {
    const book = new Book();
    const sys = initSystem(book, options(freshBasedir()));
    book.add('a', 'x');
    await sys.close();
    expect(() => book.count()).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => book.pages).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    const dir = freshBasedir();
    const next = opened(initSystem(book, options(dir)));
    expect(next.count()).toBe(1);
    book.add('b', 'y');
    expect(next.count()).toBe(2);
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['add']);
  });

  it('is refused while its system is open', () => {
    const book = new Book();
    opened(initSystem(book, options(freshBasedir())));
    expect(() => initSystem(book, options(freshBasedir()))).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });

  it('is refused while its system is open with a message that does not call it the state (regression: "this Book instance is already the state of an open system", which it no longer is)', () => {
    const book = new Book();
    opened(initSystem(book, options(freshBasedir())));
    let message = '';
    try {
      initSystem(book, options(freshBasedir()));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^INVALID_OPTION: /);
    expect(message).not.toMatch(/is already the state/);
    expect(message).toContain('this Book instance was given to initSystem before');
  });

  it.each([
    ['made non-extensible once closed', (book: Book) => Object.preventExtensions(book), 'after'],
    ['frozen while open', (book: Book) => Object.freeze(book), 'before'],
  ] as const)(
    'is refused before anything is opened when %s (regression: a TypeError once the new system was open, which stayed open, its directory locked, with no system object to close it)',
    async (_how, seal, when) => {
      const book = new Book();
      const sys = initSystem(book, options(freshBasedir()));
      book.add('a', 'x');
      if (when === 'before') seal(book);
      await sys.close();
      if (when === 'after') seal(book);
      const dir = freshBasedir();
      let message = '';
      try {
        initSystem(book, options(dir));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^INVALID_OPTION: /);
      expect(message).toContain('this Book instance was given to initSystem before');
      // The directory is not left open.
      const next = opened(initSystem(Book, options(dir)));
      expect(next.count()).toBe(0);
    },
  );

  it('forwards to the restored state when the directory held one', async () => {
    const dir = freshBasedir();
    const first = initSystem(Book, options(dir));
    first.add('a', 'x');
    await first.close();
    const book = new Book();
    const sys = opened(initSystem(book, options(dir)));
    expect(book.count()).toBe(1);
    book.add('b', 'y');
    expect(sys.count()).toBe(2);
  });

  it('is left untouched when initSystem fails', () => {
    const dir = freshBasedir();
    opened(initSystem(Book, options(dir)));
    const book = new Book();
    book.pages['own'] = new Page('own', 'kept');
    expect(() => initSystem(book, options(dir))).toThrow(
      expect.objectContaining({ code: 'LOCKED' }),
    );
    expect(Object.keys(book)).toEqual(['pages', 'log']);
    book.add('plain', 'object');
    expect(Object.keys(book.pages)).toEqual(['own', 'plain']);
  });

  it('stays the state itself where its own state refers back to it (as before)', async () => {
    class Node {
      constructor(public owner: object) {}
    }
    class Tree {
      top: Node;
      constructor() {
        this.top = new Node(this);
      }
      rename(): void {
        (this as unknown as { name: string }).name = 'tree';
      }
    }
    const dir = freshBasedir();
    const tree = new Tree();
    const sys = initSystem(tree, { basedir: dir, classes: [Node] });
    expect(Object.keys(tree)).toEqual(['top']);
    expect(tree.top.owner).toBe(tree);
    sys.rename();
    expect((tree as unknown as { name: string }).name).toBe('tree');
    await sys.close();
    expect(verifyReplay(dir, Tree, { classes: [Node] }).ok).toBe(true);
  });

  it('is refused as before when not extensible, and left as it is', () => {
    const book = Object.preventExtensions(new Book());
    expect(() => initSystem(book, options(freshBasedir()))).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(Object.keys(book)).toEqual(['pages', 'log']);
  });

  it('is refused as before when its first state holds a getter that throws, and left as it is', () => {
    const book = new Book();
    Object.defineProperty(book.pages, 'bad', {
      get() {
        throw new Error('boom');
      },
      enumerable: true,
      configurable: true,
    });
    expect(() => initSystem(book, options(freshBasedir()))).toThrow(
      expect.objectContaining({ code: 'NOT_SERIALIZABLE' }),
    );
    expect(Object.keys(book)).toEqual(['pages', 'log']);
  });

  it('leaves a directory holding only what went through the journal', async () => {
    const dir = freshBasedir();
    const book = new Book();
    const sys = initSystem(book, options(dir));
    book.add('a', 'x');
    sys.takeSnapshot();
    book.add('b', 'y');
    await sys.close();
    expect(verifyReplay(dir, Book, { classes: [Page] }).ok).toBe(true);
    expect(fs.readdirSync(dir).some((f) => f.startsWith('snapshot-'))).toBe(true);
  });
});
