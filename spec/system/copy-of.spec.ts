import { DateTime } from 'luxon';
import { copyOf, initSystem, isPrevalenceError, readonly, type Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * copyOf: a deep, mutable copy of what the system handed out, for a
 * program that wants to change a copy (structuredClone refuses a view,
 * which is a Proxy: regression of a fresh-user review, where the README
 * could only advise JSON.parse(JSON.stringify(view)), which loses Maps,
 * Sets, Dates and classes).
 */

class Page {
  tags: string[] = [];
  links = new Map<string, Page>();
  seen = new Set<number>();
  constructor(
    public id: string,
    public at: Date,
    public when: DateTime,
    public bytes: Uint8Array,
  ) {}

  title(): string {
    return this.id.toUpperCase();
  }
}

class Wiki {
  pages: Record<string, Page> = {};

  add(id: string): void {
    const page = new Page(
      id,
      new Date(5),
      DateTime.fromMillis(7, { zone: 'utc' }),
      new Uint8Array([1, 2]),
    );
    page.tags.push('t');
    page.seen.add(3);
    page.links.set('self', page);
    this.pages[id] = page;
  }

  put(page: Page): void {
    this.pages[page.id] = page;
  }

  drop(id: string): void {
    delete this.pages[id];
  }

  @readonly get(id: string): Page | undefined {
    return this.pages[id];
  }

  @readonly both(a: string, b: string): Page[] {
    return [this.pages[a]!, this.pages[b]!];
  }
}

const opened = closedAfterEach();

function wiki(): Prevalent<Wiki> {
  const w = opened(initSystem(Wiki, { basedir: freshBasedir(), classes: [Page] }));
  w.add('a');
  w.add('b');
  return w;
}

describe('copyOf', () => {
  it('copies a view deeply into mutable objects of the same classes, cycles kept', () => {
    const w = wiki();
    const view = w.get('a')!;
    expect(() => structuredClone(view)).toThrow();
    const copy = copyOf(view);
    expect(copy).toBeInstanceOf(Page);
    expect(copy.title()).toBe('A');
    expect(copy.links.get('self')).toBe(copy);
    expect(copy.at).toBeInstanceOf(Date);
    expect(copy.at.getTime()).toBe(5);
    expect(copy.when.toMillis()).toBe(7);
    expect([...copy.bytes]).toEqual([1, 2]);
    expect([...copy.seen]).toEqual([3]);
    copy.tags.push('mine');
    copy.at.setTime(9);
    copy.bytes[0] = 42;
    copy.seen.add(4);
    copy.links.clear();
    copy.id = 'changed';
    const again = w.get('a')!;
    expect(again.id).toBe('a');
    expect([...again.tags]).toEqual(['t']);
    expect(again.at.getTime()).toBe(5);
    expect(again.bytes[0]).toBe(1);
    expect([...again.seen]).toEqual([3]);
    expect(again.links.size).toBe(1);
  });

  it('copies a list of views a query gathered, and the whole state from the system object', () => {
    const w = wiki();
    const [a, b] = copyOf(w.both('a', 'b'));
    expect(a!.id).toBe('a');
    expect(b!.id).toBe('b');
    a!.tags.length = 0;
    expect(w.get('a')!.tags).toHaveLength(1);
    const state = copyOf(w);
    expect(state).toBeInstanceOf(Wiki);
    expect(Object.keys(state.pages)).toEqual(['a', 'b']);
    state.pages['c'] = state.pages['a']!;
    expect(w.get('c')).toBeUndefined();
  });

  it('gives a copy that an action takes as a new object, where the view of a dropped one is stale', () => {
    const w = wiki();
    const view = w.get('a')!;
    w.drop('a');
    expect(() => w.put(view as Page)).toThrow(/STALE_REFERENCE.*pass copyOf\(view\)/);
    const copy = copyOf(view);
    copy.id = 'a2';
    w.put(copy);
    const stored = w.get('a2')!;
    expect(stored.title()).toBe('A2');
    expect(stored.links.get('self')).toBe(stored);
    expect(stored).not.toBe(copy);
  });

  it('keeps objects shared between the views it is given shared in the copy', () => {
    const w = wiki();
    const page = w.get('a')!;
    const copy = copyOf({ first: page, again: page, self: page.links.get('self') });
    expect(copy.first).toBe(copy.again);
    expect(copy.self).toBe(copy.first);
  });

  it('returns primitives as they are, and refuses a closed system object with CLOSED', async () => {
    expect(copyOf(3)).toBe(3);
    expect(copyOf(null)).toBeNull();
    const w = initSystem(Wiki, { basedir: freshBasedir(), classes: [Page] });
    await w.close();
    let caught: unknown;
    try {
      copyOf(w);
    } catch (err) {
      caught = err;
    }
    expect(isPrevalenceError(caught) && caught.code).toBe('CLOSED');
  });

  it('refuses with NOT_SERIALIZABLE what a snapshot cannot keep, in a value that is no view', () => {
    let caught: unknown;
    try {
      copyOf({ f: () => 1 });
    } catch (err) {
      caught = err;
    }
    expect(isPrevalenceError(caught) && caught.code).toBe('NOT_SERIALIZABLE');
    // The refusal's own words speak of storing: it says first why a copy refuses the same.
    expect((caught as Error).message).toMatch(
      /^NOT_SERIALIZABLE: copyOf copies what a snapshot can keep, and no more: f is a function/,
    );
  });

  it('is typed mutable: what a query hands out read-only comes back changeable', () => {
    const w = wiki();
    const view = w.get('a')!;
    const typeOnly = (): void => {
      // @ts-expect-error a view is read-only
      view.tags.push('x');
    };
    expect(typeOnly).toThrow(/READONLY_VIOLATION/);
    const copy = copyOf(view);
    copy.tags.push('typed');
    copy.links.set('other', copy);
    expect(copy.tags).toEqual(['t', 'typed']);
  });
});
