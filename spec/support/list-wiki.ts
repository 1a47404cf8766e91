import { initSystem, persistent, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from './tmp';

/**
 * The wiki the list pure-read reviews share: pages by id, the bench-shaped
 * list read `getPages`, and (StampedWiki) a getter that changes state.
 * Each spec extends them with the queries it attacks with.
 */

@persistent('ListsReviewPage')
export class ListPage {
  constructor(public id: string) {}
}

export class ListWiki {
  pages: Record<string, ListPage> = {};
  add(id: string): void {
    this.pages[id] = new ListPage(id);
  }
  @readonly getPages(ids: string[]): unknown[] {
    const out = [];
    for (let i = 0; i < ids.length; i++) out.push(this.pages[ids[i] as string]);
    return out;
  }
}

export class StampedWiki extends ListWiki {
  stamps = 0;
  /** A getter that changes state: the guard counts 'stamp' impure. */
  get stamp(): number {
    return ++this.stamps;
  }
  @readonly byKeys(keys: string[]): unknown[] {
    const out = [];
    for (let i = 0; i < keys.length; i++) out.push(this[keys[i] as 'pages']);
    return out;
  }
}

/** A `Wiki` system of pages a and b whose views exist (so a raw run hands them out), passed through `opened`. */
export function wikiOfAB<W extends ListWiki>(
  Wiki: new () => W,
  opened: (system: Prevalent<W>) => Prevalent<W>,
): Prevalent<W> {
  const sys = opened(initSystem(Wiki, { basedir: freshBasedir(), classes: [ListPage] }));
  sys.add('a');
  sys.add('b');
  sys.getPages(['a', 'b']);
  return sys;
}
