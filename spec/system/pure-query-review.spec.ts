import { initSystem, persistent, readonly } from '../../lib';
import { pureReadOf } from '../../lib/system/pure-query';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/**
 * Ways a pure read on the raw state (see pure-query.ts) changed the state or
 * answered other than the read-only view did, found in review.
 */

const refused = expect.objectContaining({ code: 'READONLY_VIOLATION' });

const opened = closedAfterEach();

@persistent('ReviewCounter')
class Counter {
  hits = 0;
  get counted(): number {
    this.hits++;
    return this.hits;
  }
}

class DuplicateParams {
  c = new Counter();
}
interface DuplicateParamsQueries {
  field(a: string, b: string): unknown;
  hits(): number;
}
// Plain (sloppy) JavaScript allows two parameters of one name; the second one binds.
Object.assign(DuplicateParams.prototype, {
  field: new Function('return function (k, k) { return this.c[k]; }')() as unknown,
  hits: new Function('return function () { return this.c.hits; }')() as unknown,
});
readonly((DuplicateParams.prototype as unknown as DuplicateParamsQueries).field);
readonly((DuplicateParams.prototype as unknown as DuplicateParamsQueries).hits);

describe('a duplicate parameter name (sloppy JavaScript)', () => {
  it('is no pure read: the key checked was the first argument, the key read the second', () => {
    expect(
      pureReadOf(new Function('return function (k, k) { return this.c[k]; }')()),
    ).toBeUndefined();
    const sys = opened(
      initSystem(DuplicateParams, { basedir: freshBasedir(), classes: [Counter] }),
    );
    const q = sys as unknown as DuplicateParamsQueries;
    expect(() => q.field('hits', 'counted')).toThrow(refused);
    expect(q.hits()).toBe(0);
  });
});

/** A registered class with a getter that is native code but no built-in's getter. */
@persistent('ReviewStack')
class Stack {
  [index: number]: unknown;
  length = 0;
}
// `stack.top` pops: Array.prototype.pop is generic, and with the raw object as `this` it deletes.
Object.defineProperty(Stack.prototype, 'top', { get: Array.prototype.pop, configurable: true });

class StackRoot {
  stack = new Stack();
  push(value: string): void {
    this.stack[this.stack.length] = value;
    this.stack.length++;
  }
  @readonly top(): unknown {
    return (this.stack as unknown as { top: unknown }).top;
  }
  @readonly size(): number {
    return this.stack.length;
  }
}

describe('a getter that is native code but not a built-in getter (Array.prototype.pop)', () => {
  it('runs the views way: it would change the raw state', () => {
    const sys = opened(initSystem(StackRoot, { basedir: freshBasedir(), classes: [Stack] }));
    sys.push('a');
    sys.push('b');
    expect(() => sys.top()).toThrow(refused);
    expect(sys.size()).toBe(2);
  });
});

class Dated {
  when = new Date(0);
  pattern = /a/g;
  @readonly field(name: 'when' | 'pattern', key: PropertyKey): unknown {
    return (this[name] as unknown as Record<PropertyKey, unknown>)[key];
  }
  @readonly fieldOnViews(name: 'when' | 'pattern', key: PropertyKey): unknown {
    void [].length;
    return (this[name] as unknown as Record<PropertyKey, unknown>)[key];
  }
}

describe('Symbol.toStringTag of a Date or a RegExp', () => {
  it("is what the view answers ('Date', 'RegExp'), which the raw object has not", () => {
    const sys = opened(initSystem(Dated, { basedir: freshBasedir() }));
    for (const name of ['when', 'pattern'] as const) {
      expect(sys.field(name, Symbol.toStringTag)).toBe(sys.fieldOnViews(name, Symbol.toStringTag));
    }
  });
});

class Methods {
  list = [1];
  sizes = new Map<string, number>();
  @readonly mapName(): unknown {
    return this.list.map.name;
  }
  @readonly mapNameOnViews(): unknown {
    void [].length;
    return this.list.map.name;
  }
  @readonly sameGet(): unknown {
    return (
      this.sizes.get ===
      (this.sizes as unknown as { constructor: { prototype: Map<string, number> } }).constructor
        .prototype.get
    );
  }
  @readonly sameGetOnViews(): unknown {
    void [].length;
    return (
      this.sizes.get ===
      (this.sizes as unknown as { constructor: { prototype: Map<string, number> } }).constructor
        .prototype.get
    );
  }
}

describe('a built-in method read through a view (not fixed: documented)', () => {
  // A view hands out its own wrapper of an array's or a Map's method; the raw
  // read gives the method itself. A pure read that compares such a method or
  // reads its name or length sees the difference. No static test tells a
  // method read from a field read (`this.list.map` from `this.entries[id]`).
  it.failing('answers as on the views: a method\u2019s name', () => {
    const sys = opened(initSystem(Methods, { basedir: freshBasedir() }));
    expect(sys.mapName()).toBe(sys.mapNameOnViews());
  });
  it.failing('answers as on the views: a method compared with the prototype\u2019s', () => {
    const sys = opened(initSystem(Methods, { basedir: freshBasedir() }));
    expect(sys.sameGet()).toBe(sys.sameGetOnViews());
  });
});
