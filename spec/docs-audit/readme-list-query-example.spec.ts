import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSystem, persistent, readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import { pureQueryStats } from '../../lib/system/pure-query-guard';
import { freshBasedir } from '../support/tmp';

// README, "How it works", Queries: the getPages example (a loop over a list
// argument gathering a list of its own) is a pure read, runs on the raw state
// and hands out a fresh array of the views the views would give; the
// `for (const id of ids)` form the comment names does the same.

const README = readFileSync(join(__dirname, '../../README.md'), 'utf8');

@persistent('AuditListPage')
class Page {
  constructor(
    public id: string,
    public text: string,
  ) {}
}

class Wiki {
  pages: Record<string, Page> = {};
  createPage(id: string, text: string): void {
    this.pages[id] = new Page(id, text);
  }
  @readonly getPages(ids: string[]) {
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i] as string]); // or: for (const id of ids)
    return out;
  }
  @readonly getPagesOf(ids: string[]) {
    const out = [];
    for (const id of ids) out.push(this.pages[id]);
    return out;
  }
}

// The Map form README names for the Map-based Wiki of "One minute".
class MapWiki {
  pages = new Map<string, Page>();
  createPage(id: string, text: string): void {
    this.pages.set(id, new Page(id, text));
  }
  @readonly getPages(ids: string[]) {
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages.get(ids[i] as string));
    return out;
  }
}

// The loop over a value of the state README shows.
class AuthoredWiki {
  pageList: Array<{ id: string; by: string }> = [];
  add(id: string, by: string): void {
    this.pageList.push({ id, by });
  }
  @readonly byAuthor(author: string) {
    const out = [];
    for (const p of this.pageList) if (p.by === author) out.push(p);
    return out;
  }
}

describe("README's list query example", () => {
  it('is the one README shows', () => {
    expect(README).toContain('const out = [];');
    expect(README).toContain(
      'for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i]]); // or: for (const id of ids)',
    );
  });

  it('shows a loop over a value of the state, which runs on the raw state', async () => {
    expect(README).toContain('`for (const p of this.pageList) if (p.by === author) out.push(p);`');
    const wiki = initSystem(AuthoredWiki, freshBasedir());
    try {
      wiki.add('a', 'ann');
      wiki.add('b', 'bob');
      const first = wiki.byAuthor('ann');
      const before = pureQueryStats.rawRuns;
      const again = wiki.byAuthor('ann');
      expect(pureQueryStats.rawRuns).toBe(before + 1);
      expect(again.map((p) => p.id)).toEqual(['a']);
      expect(again[0]).toBe(first[0]);
      expect(isView(again[0])).toBe(true);
    } finally {
      await wiki.close();
    }
  });

  it('names the Map form, which runs on the raw state too', async () => {
    expect(README).toContain('`out.push(this.pages.get(ids[i]))`');
    const wiki = initSystem(MapWiki, { basedir: freshBasedir(), classes: [Page] });
    try {
      wiki.createPage('a', 'A');
      const first = wiki.getPages(['a', 'z']);
      const before = pureQueryStats.rawRuns;
      const again = wiki.getPages(['a', 'z']);
      expect(pureQueryStats.rawRuns).toBe(before + 1);
      expect(again[0]).toBe(first[0]);
      expect(isView(again[0])).toBe(true);
      expect(again[1]).toBeUndefined();
    } finally {
      await wiki.close();
    }
  });

  it('runs on the raw state, both forms, and gives fresh arrays of the views', async () => {
    const wiki = initSystem(Wiki, { basedir: freshBasedir(), classes: [Page] });
    try {
      wiki.createPage('a', 'A');
      wiki.createPage('b', 'B');
      const first = wiki.getPages(['a', 'b', 'c']);
      const before = pureQueryStats.rawRuns;
      const again = wiki.getPages(['a', 'b', 'c']);
      const viaOf = wiki.getPagesOf(['a', 'b', 'c']);
      expect(pureQueryStats.rawRuns).toBe(before + 2);
      for (const list of [again, viaOf]) {
        expect(list).not.toBe(first);
        expect(list[0]).toBe(first[0]);
        expect(list[1]).toBe(first[1]);
        expect(list[2]).toBeUndefined();
        expect(isView(list[0])).toBe(true);
        expect(isView(list)).toBe(false);
      }
    } finally {
      await wiki.close();
    }
  });
});
