import type { DateTime } from 'luxon';
import { persistent, readonly } from 'prevalent';
import type { Clock } from 'prevalent';

/** One page of the wiki. Registered so its instances can be stored. */
@persistent()
export class WikiPage {
  history: string[] = [];
  constructor(
    public id: string,
    public content: string,
    public lastModify: DateTime,
    public parent?: WikiPage,
  ) {}
}

/** The wiki from coopy's one-minute tutorial: plain TypeScript, no base class. */
export class Wiki {
  pages = new Map<string, WikiPage>();
  /** Injected by prevalent: the action's own time, identical in replay. */
  declare readonly _clock: Clock;

  createPage(id: string, content: string, parent?: WikiPage): WikiPage {
    const existing = this.pages.get(id);
    if (existing) return existing;
    const page = new WikiPage(id, content, this._clock.now(), parent);
    this.pages.set(id, page);
    return page;
  }

  updatePage(id: string, content: string): void {
    const page = this.pages.get(id);
    if (!page) throw new Error(`there is no page "${id}"`);
    page.history.push(page.content);
    page.content = content;
    page.lastModify = this._clock.now();
  }

  @readonly
  getPage(id: string): WikiPage | undefined {
    return this.pages.get(id);
  }

  /** Several pages at once: a loop like this one runs on the raw state (README, "How it works"). */
  @readonly
  getPages(ids: string[]): Array<WikiPage | undefined> {
    const out = [];
    for (const id of ids) out.push(this.pages.get(id));
    return out;
  }

  @readonly
  titles(): string[] {
    return [...this.pages.keys()];
  }
}
