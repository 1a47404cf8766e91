import { freshBasedir } from '../support/tmp';

/**
 * A method written in JavaScript that is on a built-in prototype when
 * prevalent loads (a polyfill such as Map.prototype.getOrInsert, loaded
 * first) is the program's code, like one put there later: views and
 * tracking proxies must call it with themselves as `this`. Taken with the
 * engine's own members at load, it was called with the raw Map: through a
 * read-only view it changed the state, unjournaled (lost on reopen).
 */

type Lib = typeof import('../../lib');

interface Book {
  byKey: Map<string, { k: string }>;
  upsert(k: string): string;
}

const POLYFILL = 'getOrInsertPolyfill';

function getOrInsert(this: Map<unknown, unknown>, key: unknown, value: unknown): unknown {
  if (!this.has(key)) this.set(key, value);
  return this.get(key);
}

/** The library as loaded after the polyfill was put on Map.prototype. */
function libLoadedAfterPolyfill(): Lib {
  let lib: Lib | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    lib = require('../../lib') as Lib;
  });
  return lib!;
}

describe('a JavaScript method on Map.prototype from before prevalent loaded (a polyfill)', () => {
  const proto = Map.prototype as unknown as Record<string, unknown>;
  beforeEach(() => {
    proto[POLYFILL] = getOrInsert;
  });
  afterEach(() => {
    delete proto[POLYFILL];
  });

  it('cannot change the state through a view, and is journaled in an action', async () => {
    const { initSystem } = libLoadedAfterPolyfill();
    class Shelf {
      byKey = new Map<string, { k: string }>();
      upsert(k: string): string {
        const call = (this.byKey as unknown as Record<string, typeof getOrInsert>)[POLYFILL]!;
        return (call.call(this.byKey, k, { k }) as { k: string }).k;
      }
    }
    const dir = freshBasedir();
    const book = initSystem(Shelf, dir) as unknown as Book & { close(): Promise<void> };
    try {
      expect(book.upsert('a')).toBe('a');
      const viaView = book.byKey as unknown as Record<string, typeof getOrInsert>;
      expect(() => viaView[POLYFILL]!.call(book.byKey, 'b', { k: 'b' })).toThrow(
        /READONLY_VIOLATION/,
      );
      expect([...book.byKey.keys()]).toEqual(['a']);
    } finally {
      await book.close();
    }
    const again = initSystem(Shelf, dir) as unknown as Book & { close(): Promise<void> };
    try {
      expect([...again.byKey.keys()]).toEqual(['a']);
    } finally {
      await again.close();
    }
  });
});
