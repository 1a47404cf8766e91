/**
 * The proxy membrane between the state and everything else: tracking
 * proxies record and undo the changes of an action, read-only views let
 * callers read the state without being able to change it.
 */
export {
  beginTracking,
  endTracking,
  exportValue,
  toRaw,
  tracked,
  unwrapDeep,
  UndoLog,
  type ExportMode,
} from './tracking';
export { isView, locate, locateStats, resolvePath, rootView, viewOf, type PathStep } from './views';
export type { DeepReadonly } from './types';
