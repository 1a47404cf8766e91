import { initSystem, readonly } from '../../lib';
import { freshBasedir } from '../support/tmp';

/**
 * Found by the differential property (pure-query-differential.spec.ts): a
 * pure read on the raw state handed out the view of Object.prototype (made
 * when a query read `__proto__` of a state object through the views) for
 * Object.prototype reached from a string argument, which the views hand out
 * as it is.
 */
class Root {
  a = {};
  @readonly stateProto(): unknown {
    return (this.a as { __proto__: unknown }).__proto__;
  }
  @readonly argProto(s: string): unknown {
    return (s as unknown as { __proto__: { __proto__: unknown } }).__proto__.__proto__;
  }
}

describe('a pure read that reaches a prototype from a primitive', () => {
  it('hands out the prototype itself, as the views do, after a view of it was made', async () => {
    const sys = initSystem(Root, { basedir: freshBasedir(), durability: 'none' });
    try {
      expect(sys.stateProto()).not.toBe(Object.prototype); // the views' view of it
      expect(sys.argProto('a')).toBe(Object.prototype);
    } finally {
      await sys.close();
    }
  });
});
