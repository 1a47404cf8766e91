import { initSystem, isPrevalenceError, persistent, readonly } from '../../lib';
import { freshBasedir, journalRecords } from '../support/tmp';

// A getter that changes state (`get visits() { return ++this.hits; }`) is refused when read
// through the system object or a view. The refusal named only the property it assigned
// ("cannot assign property "hits"") and advised the caller, who had assigned nothing, to stop
// mutating views: it now names the getter that tried the change, and says getters run as queries.

@persistent()
class Visitor {
  reads = 0;
  constructor(public name: string) {}
  get greeting(): string {
    this.reads++;
    return `hello ${this.name}`;
  }
}

class Site {
  hits = 0;
  visitors: Visitor[] = [];
  get visits(): number {
    return ++this.hits;
  }
  add(name: string): Visitor {
    const v = new Visitor(name);
    this.visitors.push(v);
    return v;
  }
  @readonly
  firstGreeting(): string {
    return this.visitors[0]!.greeting;
  }
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isPrevalenceError(err, 'READONLY_VIOLATION')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected READONLY_VIOLATION');
}

describe('a getter that changes state', () => {
  it("is named when read through the system object in 'clone' isolation", async () => {
    const site = initSystem(new Site(), { basedir: freshBasedir(), isolation: 'clone' });
    expect(messageOf(() => site.visits)).toMatch(/assign property "hits" in the getter "visits"/);
    expect(site.hits).toBe(0);
    await site.close();
  });

  it('is named in the READONLY_VIOLATION, read through the system object or a view, and changes nothing', async () => {
    const dir = freshBasedir();
    const site = initSystem(new Site(), dir);
    site.add('ann');

    const root = messageOf(() => site.visits);
    expect(root).toMatch(
      /^READONLY_VIOLATION: cannot assign property "hits" in the getter "visits"/,
    );
    expect(root).toMatch(/getters run as queries/);
    expect(root.match(/READONLY_VIOLATION/g)).toHaveLength(1);

    const nested = messageOf(() => site.visitors[0]!.greeting);
    expect(nested).toMatch(/cannot assign property "reads" in the getter "greeting"/);

    // A query reading the getter names both.
    const viaQuery = messageOf(() => site.firstGreeting());
    expect(viaQuery).toMatch(/inside firstGreeting\(\)/);
    expect(viaQuery).toMatch(/assign property "reads" in the getter "greeting"/);

    expect(site.hits).toBe(0);
    expect(site.visitors[0]!.reads).toBe(0);
    await site.close();
    expect(journalRecords(dir).map((r) => r.method)).toEqual(['add']);
  });
});
