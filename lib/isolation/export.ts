import { toRaw } from './registry';
import { replaceDeep } from './unwrap';
import { viewOf } from './views';

/** What the caller of an action gets: read-only views ('readonly') or the raw objects ('none'). */
export type ExportMode = 'readonly' | 'none';

function asView(proxy: object): object {
  return viewOf(toRaw(proxy));
}

/**
 * Converts what an action (or query) returned into what its caller gets. A
 * tracking proxy becomes a read-only view ('readonly') or its raw object
 * ('none'); so do proxies inside a fresh returned array, object, Map or Set
 * (changed in place). A view stays a view in 'readonly' mode.
 */
export function exportValue<T>(value: T, mode: ExportMode): T {
  return replaceDeep(value, mode === 'readonly' ? asView : toRaw);
}
