import { initSystem, readonly } from '../../lib';
import { isView } from '../../lib/isolation/registry';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { withIndexAccessors } from '../support/index-accessors';

/**
 * A setter the program puts at an index of Array.prototype runs for every
 * [[Set]] there that finds no own property, push included. Iterating a Set
 * through its view (for…of, forEach) kept the raw members it had given in
 * an internal list by push, so such a setter received raw state objects on
 * the views' own path (found at the end of session 24 with a script).
 */

const opened = closedAfterEach();

class Tags {
  members = new Set([{ id: 'a' }, { id: 'b' }]);
  @readonly viaLoop(): unknown[] {
    void [].length; // no pure read: the views' path
    const out = [];
    for (const m of this.members) out.push(m);
    return out;
  }
  @readonly viaForEach(): unknown[] {
    const out: unknown[] = [];
    this.members.forEach((m) => {
      out[out.length] = m;
    });
    return out;
  }
}

/** The raw members among `values` (the state's `{ id: 'a' }` and `{ id: 'b' }`, not their views). */
const rawMembers = (values: unknown[]): unknown[] =>
  values.filter(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      !isView(v) &&
      ['a', 'b'].includes((v as { id?: unknown }).id as string),
  );

describe('iterating a Set through its view', () => {
  it('gives a setter at an index of Array.prototype no raw member (for…of)', () => {
    const sys = opened(initSystem(Tags, freshBasedir()));
    const seen = withIndexAccessors(() => sys.viaLoop());
    expect(rawMembers(seen)).toEqual([]);
  });

  it('gives a setter at an index of Array.prototype no raw member (forEach)', () => {
    const sys = opened(initSystem(Tags, freshBasedir()));
    const seen = withIndexAccessors(() => sys.viaForEach());
    expect(rawMembers(seen)).toEqual([]);
  });
});
