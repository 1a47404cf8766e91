import { readonly } from '../../lib';
import { pureQueryStats } from '../../lib/system/pure-query-guard';

/** A domain whose one query loops over a list of the state (a pure read). */
export class Plain {
  list = [{ id: 'a' }, { id: 'b' }];
  @readonly byId(id: string): unknown {
    for (const p of this.list) if (p.id === id) return p;
    return undefined;
  }
}

/** Calls `query` twice (the first makes the views); whether the second ran raw. */
export function ranRaw(query: () => unknown): boolean {
  query();
  const before = pureQueryStats.rawRuns;
  query();
  return pureQueryStats.rawRuns !== before;
}
