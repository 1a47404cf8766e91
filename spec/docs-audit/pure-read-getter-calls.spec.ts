import { initSystem, persistent, readonly } from '../../lib';
import { freshBasedir } from '../support/tmp';

// README, "How it works", Queries: a query that only reads runs on the raw
// state, but "goes the views' way ... for a read of a name that some getter
// has which changes state or calls anything". A getter that called get() or
// has() counted as a pure read, so a query reading it ran the getter on the
// raw state, where a registered class's own get() changed the state outside
// any action: unjournaled, silently lost on restart.

@persistent('AuditCountingRepo')
class CountingRepo {
  hits = 0;
  items = new Map<string, string>([['a', 'A']]);
  get(key: string): string | undefined {
    this.hits++;
    return this.items.get(key);
  }
}

class Catalog {
  repo = new CountingRepo();
  get first(): string | undefined {
    return this.repo.get('a');
  }
  @readonly
  viaGetter(): string | undefined {
    return this.first;
  }
  @readonly
  hits(): number {
    return this.repo.hits;
  }
}

describe('a pure read of a getter that calls get()', () => {
  it('runs the getter on a read-only view, which refuses its change', async () => {
    const catalog = initSystem(Catalog, freshBasedir());
    try {
      expect(() => catalog.viaGetter()).toThrow(
        expect.objectContaining({ code: 'READONLY_VIOLATION' }),
      );
      expect(catalog.hits()).toBe(0);
    } finally {
      await catalog.close();
    }
  });
});
