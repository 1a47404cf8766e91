import { PrevalenceError } from '../errors';
import { types } from 'node:util';
import { isPassThrough, rawToView, toRaw, viewHandler } from './registry';

/** One step from an object to a child: a property name, or the key of a Map entry. */
export type PathStep = string | { mapKey: string | number | boolean | null };

/** Where an object was last found: its parent raw object and the step from it. */
interface Link {
  readonly parent: object;
  readonly step: PathStep;
}

/**
 * The link a read-only view carries in its handler (set when the view is
 * created by a step, updated when its object is found elsewhere); both
 * fields are undefined until a step is known.
 */
export interface ViewLink {
  parent: object | undefined;
  step: PathStep | undefined;
}

/** Raw object → where it was last found, for objects that have no view (a view keeps its own link). */
const links = new WeakMap<object, Link>();

/** How often locate() had to fall back to searching the state (for tests and benchmarks). */
export const locateStats = { searches: 0 };

/** Guards against a cycle of recorded links (an object moved under its own descendant). */
const MAX_DEPTH = 10_000;

function isMapKey(key: unknown): key is string | number | boolean | null {
  const t = typeof key;
  return key === null || t === 'string' || t === 'number' || t === 'boolean';
}

/** The step for a property read (string key, or array index) or Map lookup; undefined for other keys. */
export function toStep(key: unknown, viaMap: boolean): PathStep | undefined {
  if (viaMap) return isMapKey(key) ? { mapKey: key } : undefined;
  if (typeof key === 'string') return key;
  return typeof key === 'number' ? String(key) : undefined;
}

/** The link in the handler of raw's view, or undefined when raw has no view. */
function viewLinkOf(raw: object): ViewLink | undefined {
  const view = rawToView.get(raw);
  if (view === undefined || view === raw) return undefined;
  return viewHandler(view) as ViewLink | undefined;
}

function setLink(raw: object, parent: object, step: PathStep): void {
  const own = viewLinkOf(raw);
  if (own === undefined) {
    links.set(raw, { parent, step });
  } else {
    own.parent = parent;
    own.step = step;
  }
}

/**
 * The newest link of raw. Once raw has a view, every step is recorded in the
 * view's handler, so a link found there is newer than one in the WeakMap.
 */
function linkOf(raw: object): Link | undefined {
  const own = viewLinkOf(raw);
  if (own !== undefined && own.parent !== undefined) return own as Link;
  return links.get(raw);
}

/** Records that `raw` was reached from `parent` by a property read (string key, or array index) or Map lookup. */
export function recordStep(raw: object, parent: object, key: unknown, viaMap: boolean): void {
  const step = toStep(key, viaMap);
  if (step !== undefined) setLink(raw, parent, step);
}

/** One step down from `obj`, or undefined when the step leads nowhere. */
function stepInto(obj: unknown, step: PathStep): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  if (typeof step === 'string')
    return step in obj ? (obj as Record<string, unknown>)[step] : undefined;
  return types.isMap(obj) ? obj.get(step.mapKey) : undefined;
}

function walk(rawRoot: object, path: PathStep[]): unknown {
  let obj: unknown = rawRoot;
  for (const step of path) obj = stepInto(obj, step);
  return obj;
}

function formatPath(path: PathStep[]): string {
  const parts = path.map((s) =>
    typeof s === 'string' ? `.${s}` : `.get(${JSON.stringify(s.mapKey)})`,
  );
  return `root${parts.join('')}`;
}

/** Follows a path from the raw root; a step that leads nowhere throws STALE_REFERENCE. */
export function resolvePath(rawRoot: object, path: PathStep[]): object {
  const obj = walk(rawRoot, path);
  if (typeof obj === 'object' && obj !== null) return obj;
  throw new PrevalenceError(
    'STALE_REFERENCE',
    `${formatPath(path)} does not lead to an object of the state any more (it was removed or replaced): read the object from the system again`,
  );
}

/** The recorded path from rawRoot to raw, or undefined when the links do not reach rawRoot. */
function recordedPath(raw: object, rawRoot: object): PathStep[] | undefined {
  const path: PathStep[] = [];
  for (let obj = raw; obj !== rawRoot;) {
    const link = linkOf(obj);
    if (link === undefined || path.length > MAX_DEPTH) return undefined;
    path.push(link.step);
    obj = link.parent;
  }
  return path.reverse();
}

/**
 * Where a view (or tracking proxy, or raw object) sits in the state: the
 * path recorded while navigating to it, verified by walking it from rawRoot
 * (O(path length)). When no path is known or the object has moved, a
 * breadth-first search of the state finds it (counted in locateStats) and
 * its path is recorded for next time. Not found → STALE_REFERENCE.
 */
export function locate(view: object, rawRoot: object): PathStep[] {
  const raw = toRaw(view);
  const known = recordedPath(raw, rawRoot);
  if (known !== undefined && walk(rawRoot, known) === raw) return known;
  locateStats.searches++;
  const found = search(rawRoot, raw);
  if (found !== undefined) return found;
  throw new PrevalenceError(
    'STALE_REFERENCE',
    'the object passed as an argument is no longer part of the state (it was removed or replaced since it was read): pass an object read from the system again',
  );
}

/** Children a search follows: object properties, array elements, Map values under primitive keys. */
function children(obj: object, visit: (child: unknown, step: PathStep) => boolean): boolean {
  if (types.isMap(obj)) {
    for (const [k, v] of obj) if (isMapKey(k) && visit(v, { mapKey: k })) return true;
    return false;
  }
  if (types.isSet(obj) || types.isDate(obj) || ArrayBuffer.isView(obj)) return false;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (visit(obj[i], String(i))) return true;
    return false;
  }
  for (const key of Object.keys(obj)) {
    if (visit((obj as Record<string, unknown>)[key], key)) return true;
  }
  return false;
}

function search(rawRoot: object, target: object): PathStep[] | undefined {
  if (rawRoot === target) return [];
  const parents = new Map<object, Link>([[rawRoot, { parent: rawRoot, step: '' }]]);
  const queue: object[] = [rawRoot];
  for (let head = 0; head < queue.length; head++) {
    const parent = queue[head]!;
    const hit = children(parent, (child, step) => {
      if (isPassThrough(child) || parents.has(child as object)) return false;
      parents.set(child as object, { parent, step });
      queue.push(child as object);
      return child === target;
    });
    if (hit) return recordChain(parents, rawRoot, target);
  }
  return undefined;
}

/** Stores the links of the chain found by a search, so the next locate needs no search. */
function recordChain(parents: Map<object, Link>, rawRoot: object, target: object): PathStep[] {
  const path: PathStep[] = [];
  for (let obj = target; obj !== rawRoot;) {
    const link = parents.get(obj)!;
    setLink(obj, link.parent, link.step);
    path.push(link.step);
    obj = link.parent;
  }
  return path.reverse();
}
