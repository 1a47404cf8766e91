import { PrevalenceError } from '../errors';
import { borrowStack, giveBack, ownList, pushOwn } from './own-array';
import {
  entryIterator,
  mapGet,
  mapHas,
  memberIterator,
  nextEntry,
  nextMember,
  setHas,
} from '../codec/raw-iteration';
import { types } from 'node:util';
import { isPassThrough, openRoots, rawToView, toRaw, viewHandler } from './registry';
import { joinPath, mapKeySegment, mapValueSegment, propSegment, setSegment } from '../codec/paths';
import { isPrototypeObject } from '../codec/kinds';
import { knownPlainElements } from './plain-elements';

/**
 * One step from an object to a child, as journaled: a property name (or
 * array index); the value of a Map entry by its primitive key; or, where no
 * key can name the child, its position in iteration order: the i-th member
 * of a Set, the key of a Map's i-th entry, the value of a Map's i-th entry.
 * Positions are taken when the call is made, and replay rebuilds the same
 * insertion order, so they lead to the same object live and in replay.
 */
export type PathStep =
  | string
  | { mapKey: string | number | boolean | null }
  | { setMember: number }
  | { mapKeyAt: number }
  | { mapValueAt: number };

/**
 * A step as a link records it: a PathStep, or IN_COLLECTION for a Set
 * member or a Map key, whose position is counted when a path is built
 * (positions move as other entries come and go; membership does not).
 */
export type LinkStep = PathStep | typeof IN_COLLECTION;

/** The `key` of a Set member or a Map key when its place is recorded (see LinkStep). */
export const IN_COLLECTION: unique symbol = Symbol('prevalent.inCollection');

/** Where an object was last found: its parent raw object and the step from it. */
interface Link {
  readonly parent: object;
  readonly step: LinkStep;
}

/**
 * The link a read-only view carries in its handler (set when the view is
 * created by a step, updated when its object is found elsewhere); both
 * fields are undefined until a step is known. The handler holds the parent
 * weakly (see WeakLink): reading `parent` gives undefined once it is gone.
 */
export interface ViewLink {
  parent: object | undefined;
  step: LinkStep | undefined;
}

/**
 * A link held in the WeakMap below: its parent only weakly, like a view's
 * handler holds it. An object's recorded place must not keep the container
 * it was found in alive once the state dropped that container (an update
 * that copies a container, `this.pages = { ...this.pages, [id]: page }`,
 * would otherwise keep every generation of it); a collected parent reads as
 * no link, and locate tries the other places recorded, then searches.
 */
class WeakLink {
  readonly #parent: WeakRef<object>;
  constructor(
    parent: object,
    readonly step: LinkStep,
  ) {
    this.#parent = weakRefTo(parent);
  }
  get parent(): object | undefined {
    return this.#parent.deref();
  }
}

// The WeakRef of the parent of the last link made: siblings recorded one
// after another (the elements of an array an action stored) share one,
// rather than each allocating its own (a WeakRef costs an allocation and
// work for the collector). Held weakly itself, so it keeps nothing alive.
let lastRef: WeakRef<object> | undefined;

/** A WeakRef to `parent`, the last one made when it was for `parent` too. */
function weakRefTo(parent: object): WeakRef<object> {
  if (lastRef !== undefined && lastRef.deref() === parent) return lastRef;
  lastRef = new WeakRef(parent);
  return lastRef;
}

/** Raw object → where it was last found, for objects that have no view (a view keeps its own link). */
const links = new WeakMap<object, WeakLink>();

/**
 * Raw object → its other places, most recent first, for objects an action
 * stored in a second place while the first still held them (see
 * recordStored): a page stays in its dictionary (its link) and is also
 * linked as another's parent (a former place here). locate tries them when
 * the link fails, before it searches (see repairedPath). Only objects
 * stored in more than one place get an entry: an ordinary view pays nothing
 * for it.
 */
const formerPlaces = new WeakMap<object, WeakLink | WeakLink[]>();

/** The former places of `raw`, most recent first (one is stored as itself, without an array). */
function formersOf(raw: object): readonly WeakLink[] {
  const formers = formerPlaces.get(raw);
  if (formers === undefined) return [];
  return Array.isArray(formers) ? formers : [formers];
}

/** Stores the former places of `raw` (none: forgets them). */
function setFormers(raw: object, formers: WeakLink[]): void {
  if (formers.length === 0) formerPlaces.delete(raw);
  else formerPlaces.set(raw, formers.length === 1 ? formers[0]! : formers);
}

/**
 * How many former places an object keeps. An object stored in many places
 * at once (a tag every page links to) keeps its home (the place it was
 * first recorded in) as its link, and as former places the oldest of the
 * others and the most recent ones.
 */
const MAX_FORMER_PLACES = 4;

/**
 * How often locate() had to fall back to searching the state, and how many
 * links the walks up the recorded places followed (for tests and benchmarks).
 */
export const locateStats = { searches: 0, linkSteps: 0 };

/** Guards against a cycle of recorded links (an object moved under its own descendant). */
const MAX_DEPTH = 10_000;

/** A Map key a journal line can name: JSON has no NaN, Infinity, bigint or object. */
function isMapKey(key: unknown): key is string | number | boolean | null {
  const t = typeof key;
  if (t === 'number') return Number.isFinite(key);
  return key === null || t === 'string' || t === 'boolean';
}

/**
 * The step for a property read (string key, or array index), a Map lookup,
 * or IN_COLLECTION (a Set member or Map key); undefined for keys no step can
 * name (symbols, Map keys a journal line cannot hold: locate searches).
 */
export function toStep(key: unknown, viaMap: boolean): LinkStep | undefined {
  if (key === IN_COLLECTION) return IN_COLLECTION;
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

function setLink(raw: object, parent: object, step: LinkStep): void {
  const own = viewLinkOf(raw);
  if (own === undefined) {
    links.set(raw, new WeakLink(parent, step));
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
  const link = links.get(raw);
  return link !== undefined && link.parent !== undefined ? (link as Link) : undefined;
}

/**
 * The object at the top of the links recorded from `raw` upward: the root of
 * the state `raw` was last found in (or the highest object whose place is
 * known). Tells a view of another system's state from one of an object that
 * left this one.
 */
export function linkTop(raw: object): object {
  let obj = raw;
  const cycle = new CycleWatch(raw);
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    // A root the state refers back to (`this.owner = this`) has a link of
    // its own: following it would go round the cycle up to MAX_DEPTH times.
    if (openRoots.has(obj)) return obj;
    locateStats.linkSteps++;
    const link = linkOf(obj);
    if (link === undefined) return obj;
    obj = link.parent;
    // Links in a cycle lead to no root: a member of the cycle answers.
    if (cycle.closedBy(obj)) return obj;
  }
  return obj;
}

/**
 * Brent's cycle detection over a chain of links, in constant memory: links
 * recorded by navigation can form a cycle (an object first reached through
 * a back-pointer of its own child), which a walk up must leave in a few
 * steps, not MAX_DEPTH.
 */
class CycleWatch {
  #mark: object;
  #power = 1;
  #steps = 0;
  constructor(start: object) {
    this.#mark = start;
  }
  /** Whether `next`, the object the walk just reached, closes a cycle. */
  closedBy(next: object): boolean {
    if (next === this.#mark) return true;
    if (++this.#steps === this.#power) {
      this.#mark = next;
      this.#power *= 2;
      this.#steps = 0;
    }
    return false;
  }
}

/** Records that `raw` was reached from `parent` by a property read (string key, or array index), a Map lookup, or as a Set member or Map key (`key` IN_COLLECTION). */
export function recordStep(raw: object, parent: object, key: unknown, viaMap: boolean): void {
  const step = toStep(key, viaMap);
  if (step !== undefined) setLink(raw, parent, step);
}

/**
 * Records that an action reached `raw` from `parent` (its tracking proxy was
 * made there): the place becomes its link, unless the link recorded still
 * holds it, which stays, the new place kept as a former one. An object an
 * action first reaches through a child's pointer back to it (`node.parent`)
 * must keep the place it was found in before: the child's own link leads
 * through it, and the two would form a cycle no locate could follow.
 */
export function recordReached(raw: object, parent: object, key: unknown, viaMap: boolean): void {
  const step = toStep(key, viaMap);
  if (step === undefined) return;
  const link = linkOf(raw);
  if (link === undefined || !stillHolds(link, raw)) {
    setLink(raw, parent, step);
    return;
  }
  if (link.parent !== parent || !sameStep(link.step, step)) addFormerPlace(raw, parent, step);
}

/**
 * Records that `raw`, an object of the state, was stored under `key` of
 * `parent`. While its recorded place still holds it (an object stored in a
 * second place: a page linked as another's parent), that place stays its
 * link and the new one is kept as a former place (see formerPlaces), tried
 * once the link no longer holds. Moving the link to the new place made
 * cycles of two-way links (`child.parent = parent;
 * parent.children.push(child)` left the parent's link at its child and the
 * child's at the parent), and a new parent whose own place is unknown would
 * end the path at an object no link leads to. When the recorded place no
 * longer holds `raw` (a real move), the new place becomes the link. Called
 * before the store, live and in replay; the place a rolled-back action
 * recorded is a former place that no longer holds, dropped when tried.
 */
export function recordStored(raw: object, parent: object, key: unknown, viaMap: boolean): void {
  const step = toStep(key, viaMap);
  if (step === undefined) return;
  const link = linkOf(raw);
  if (link === undefined) {
    setLink(raw, parent, step);
    return;
  }
  if (link.parent === parent && sameStep(link.step, step)) return;
  if (stillHolds(link, raw)) {
    addFormerPlace(raw, parent, step);
    return;
  }
  setLink(raw, parent, step);
  dropFormerPlace(raw, parent, step);
}

function sameStep(a: LinkStep, b: LinkStep): boolean {
  if (a === b) return true;
  return (
    typeof a === 'object' &&
    typeof b === 'object' &&
    'mapKey' in a &&
    'mapKey' in b &&
    Object.is(a.mapKey, b.mapKey)
  );
}

/**
 * Adds a place of `raw` as its most recent former place, dropping the ones
 * whose container was collected or that no longer hold `raw`, and the same
 * place recorded before; past MAX_FORMER_PLACES, the oldest stays and the
 * one after it goes.
 */
function addFormerPlace(raw: object, parent: object, step: LinkStep): void {
  const kept: WeakLink[] = [new WeakLink(parent, step)];
  for (const former of formersOf(raw)) {
    const at = former.parent;
    if (at === undefined || (at === parent && sameStep(former.step, step))) continue;
    if (stillHolds({ parent: at, step: former.step }, raw)) kept.push(former);
  }
  if (kept.length > MAX_FORMER_PLACES) kept.splice(MAX_FORMER_PLACES - 1, 1);
  setFormers(raw, kept);
}

/** Forgets a former place of `raw` (one that became its link again, or no longer holds it). */
function dropFormerPlace(raw: object, parent: object, step: LinkStep): void {
  const formers = formersOf(raw);
  if (formers.length === 0) return;
  const kept = formers.filter((f) => !(f.parent === parent && sameStep(f.step, step)));
  if (kept.length !== formers.length) setFormers(raw, kept);
}

/**
 * Whether the recorded place of `raw` still leads to it from `rawRoot`: each
 * link's parent still holds its child at that step, up to the root. False
 * when a link is missing (its parent collected) or stale: an object whose
 * container an action replaced by a copy still names the old container,
 * which still holds it but is no longer in the state.
 */
export function placeHolds(
  raw: object,
  rawRoot: object,
  /** Answers already found for parents (one walk asks about many siblings of one container). */
  known?: Map<object, boolean>,
): boolean {
  let obj = raw;
  // No prototype (see ownList): it holds raw state objects.
  const asked = borrowStack<object>();
  let holds = false;
  const cycle = new CycleWatch(raw);
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (obj === rawRoot) {
      holds = true;
      break;
    }
    // Links in a cycle never reach the root.
    if (depth > 0 && cycle.closedBy(obj)) break;
    locateStats.linkSteps++;
    const cached = depth > 0 ? known?.get(obj) : undefined;
    if (cached !== undefined) {
      holds = cached;
      break;
    }
    const link = linkOf(obj);
    if (link === undefined || !stillHolds(link, obj)) break;
    if (depth > 0) asked.push(obj);
    obj = link.parent;
  }
  if (known !== undefined) for (let i = 0; i < asked.size; i++) known.set(asked.at(i), holds);
  giveBack(asked);
  return holds;
}

/** Whether `parent` holds `child` under `key` (by a Map key when `viaMap`; a Set member or Map key for IN_COLLECTION). */
export function holdsAt(parent: object, key: unknown, viaMap: boolean, child: object): boolean {
  const step = toStep(key, viaMap);
  return step !== undefined && stillHolds({ parent, step }, child);
}

/**
 * Whether the place `link` records still holds `raw` (false for positions, not
 * checked here). Maps and Sets are asked by the built-ins taken at load
 * (raw-iteration.ts): a method the program replaced since must not be handed them.
 */
function stillHolds(link: Link, raw: object): boolean {
  const { parent, step } = link;
  if (step === IN_COLLECTION) {
    if (types.isSet(parent)) return setHas.call(parent, raw);
    return types.isMap(parent) && mapHas.call(parent, raw);
  }
  if (typeof step === 'string' || 'mapKey' in step) return keptStepInto(parent, step) === raw;
  return false;
}

/**
 * stepInto through slots snapshots keep only: a property must be an own
 * enumerable one, not one a prototype answers nor a non-enumerable one. A
 * path locate answers is journaled, and one through such a slot would lead
 * nowhere once a snapshot is restored (the directory would not open).
 */
function keptStepInto(obj: unknown, step: PathStep): unknown {
  if (typeof step !== 'string') return stepInto(obj, step);
  if (typeof obj !== 'object' || obj === null || !propertyIsEnumerable.call(obj, step)) {
    return undefined;
  }
  return (obj as Record<string, unknown>)[step];
}

const propertyIsEnumerable = Object.prototype.propertyIsEnumerable;

/** walk through slots snapshots keep only (see keptStepInto). */
function walkKept(rawRoot: object, path: PathStep[]): unknown {
  let obj: unknown = rawRoot;
  for (const step of path) obj = keptStepInto(obj, step);
  return obj;
}

/** The `index`-th member of `set` (counted from 0), or undefined. */
function nthMember(set: Set<unknown>, index: number): unknown {
  const it = memberIterator(set);
  let i = 0;
  for (let r = nextMember(it); r.done !== true; r = nextMember(it))
    if (i++ === index) return r.value;
  return undefined;
}

/** The key (`part` 0) or value (1) of the `index`-th entry of `map`, or undefined. */
function nthEntry(map: Map<unknown, unknown>, index: number, part: 0 | 1): unknown {
  const it = entryIterator(map);
  let i = 0;
  for (let r = nextEntry(it); r.done !== true; r = nextEntry(it)) {
    if (i++ === index) return r.value[part];
  }
  return undefined;
}

/** One step down from `obj`, or undefined when the step leads nowhere. */
function stepInto(obj: unknown, step: PathStep): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  if (typeof step !== 'string' && (typeof step !== 'object' || step === null)) return undefined;
  if (typeof step === 'string')
    return step in obj ? (obj as Record<string, unknown>)[step] : undefined;
  if ('setMember' in step) return types.isSet(obj) ? nthMember(obj, step.setMember) : undefined;
  if (!types.isMap(obj)) return undefined;
  if ('mapKey' in step) return mapGet.call(obj, step.mapKey);
  if ('mapKeyAt' in step) return nthEntry(obj, step.mapKeyAt, 0);
  return nthEntry(obj, step.mapValueAt, 1);
}

function formatStep(step: PathStep): string {
  if (typeof step === 'string') return `.${step}`;
  if (typeof step !== 'object' || step === null) return ` (bad step ${JSON.stringify(step)})`;
  if ('mapKey' in step) return `.get(${JSON.stringify(step.mapKey)})`;
  if ('setMember' in step) return ` (Set member #${step.setMember})`;
  if ('mapKeyAt' in step) return ` (key of Map entry #${step.mapKeyAt})`;
  return ` (value of Map entry #${step.mapValueAt})`;
}

function formatPath(path: PathStep[]): string {
  return `root${path.map(formatStep).join('')}`;
}

/** The path (as `root.pages.get("a")`) each STALE_REFERENCE of resolvePath could not follow. */
const unresolved = new WeakMap<PrevalenceError, string>();

/** The path a STALE_REFERENCE from {@link resolvePath} could not follow (read by the replay). */
export function unresolvedPathOf(err: unknown): string | undefined {
  return err instanceof PrevalenceError ? unresolved.get(err) : undefined;
}

/**
 * Follows a path from the raw root; a step that leads nowhere throws
 * STALE_REFERENCE, and one that leads to a prototype (`"__proto__"` on an
 * object without such an own key) JOURNAL_CORRUPT: a prototype is no object
 * of the state, and a path to one is no place locate answers.
 */
export function resolvePath(rawRoot: object, path: PathStep[]): object {
  let obj: unknown = rawRoot;
  for (let i = 0; i < path.length; i++) {
    obj = stepInto(obj, path[i]!);
    if (typeof obj === 'object' && obj !== null && isPrototypeObject(obj)) {
      throw new PrevalenceError(
        'JOURNAL_CORRUPT',
        `a journal record refers to ${formatPath(path.slice(0, i + 1))}, which is a prototype, not an object of the state: no path prevalent journals leads to one, so the record was changed by hand; restore the data directory from a backup`,
      );
    }
  }
  if (typeof obj === 'object' && obj !== null) return obj;
  const where = formatPath(path);
  const err = new PrevalenceError(
    'STALE_REFERENCE',
    `${where} does not lead to an object of the state any more (it was removed or replaced): read the object from the system again`,
  );
  unresolved.set(err, where);
  throw err;
}

/** The position of `child` among the members of a Set or the keys of a Map `parent`, as a step. */
function positionStep(parent: object, child: object): PathStep | undefined {
  const isSet = types.isSet(parent);
  if (!isSet && !types.isMap(parent)) return undefined;
  let i = 0;
  if (isSet) {
    const it = memberIterator(parent as Set<unknown>);
    for (let r = nextMember(it); r.done !== true; r = nextMember(it), i++) {
      if (r.value === child) return { setMember: i };
    }
    return undefined;
  }
  const it = entryIterator(parent as Map<unknown, unknown>);
  for (let r = nextEntry(it); r.done !== true; r = nextEntry(it), i++) {
    if (r.value[0] === child) return { mapKeyAt: i };
  }
  return undefined;
}

/** The recorded path from rawRoot to raw, or undefined when the links do not reach rawRoot. */
function recordedPath(raw: object, rawRoot: object): PathStep[] | undefined {
  const path: PathStep[] = [];
  const cycle = new CycleWatch(raw);
  for (let obj = raw; obj !== rawRoot;) {
    locateStats.linkSteps++;
    const link = linkOf(obj);
    if (link === undefined || path.length > MAX_DEPTH) return undefined;
    const step = link.step === IN_COLLECTION ? positionStep(link.parent, obj) : link.step;
    if (step === undefined) return undefined;
    path.push(step);
    obj = link.parent;
    if (cycle.closedBy(obj)) return undefined;
  }
  return path.reverse();
}

/** Whether any place of `raw` was recorded (stored, or found by navigation). */
export function hasLink(raw: object): boolean {
  return linkOf(raw) !== undefined || formerPlaces.has(raw);
}

/**
 * Objects an action returned that the state does not hold (an array or
 * record it built and did not store), and the objects without a recorded
 * place reached through them. Views of them record no place, and passed
 * back as an argument they are copied, while what they hold that is in the
 * state still goes by its path (see the exporter's referenceTo).
 */
const detached = new WeakSet<object>();
// Until the first mark, views are made without asking the WeakSet.
let anyDetached = false;

/** Marks `raw` as outside the state (see {@link isDetached}). */
export function markDetached(raw: object): void {
  anyDetached = true;
  detached.add(raw);
}

/** Whether `raw` was returned by an action without being in the state, or was reached through such an object. */
export function isDetached(raw: object): boolean {
  return anyDetached && detached.has(raw);
}

/**
 * Where a view (or tracking proxy, or raw object) sits in the state: the
 * path recorded while navigating to it, verified by walking it from rawRoot
 * (O(path length)). When that path fails, the recorded places are tried,
 * former ones too (see repairedPath); when none leads to the root, a
 * breadth-first search of the state finds it (counted in locateStats) and
 * its path is recorded for next time. Not found → STALE_REFERENCE.
 */
export function locate(view: object, rawRoot: object): PathStep[] {
  const found = pathInState(toRaw(view), rawRoot);
  if (found !== undefined) return found;
  throw new PrevalenceError(
    'STALE_REFERENCE',
    'the object passed as an argument is no longer part of the state (it was removed or replaced since it was read): pass an object read from the system again; to store a dropped one again, pass copyOf(view) (exported by prevalent: a deep copy, classes included), which the action gets as a new object',
  );
}

/**
 * The path of `raw` in the state: the recorded one when walking it from
 * rawRoot still leads to `raw`, else one through the places recorded for it
 * and the objects above it, former places included (see repairedPath), else
 * what a search finds (its links recorded for next time); undefined when
 * `raw` is not in the state.
 */
export function pathInState(raw: object, rawRoot: object): PathStep[] | undefined {
  const known = recordedPath(raw, rawRoot);
  if (known !== undefined && walkKept(rawRoot, known) === raw) return known;
  const repaired = repairedPath(raw, rawRoot);
  if (repaired !== undefined && walkKept(rawRoot, repaired) === raw) return repaired;
  locateStats.searches++;
  return search(rawRoot, raw);
}

/** One object on the way up in repairedPath: the places to try, and how many were tried. */
interface Climb {
  readonly obj: object;
  readonly places: Link[];
  tried: number;
}

/**
 * A path to `raw` through recorded places only, when its newest recorded
 * path fails: from `raw` upward, each object's link and then its former
 * places (most recent first), each checked where it is (its parent still
 * holds the object there), depth first, until one chain reaches rawRoot.
 * The places that lead there become the links again (so the next locate
 * takes the fast path); the places found not to hold any more are dropped.
 * Costs O(path length × places per object) and never looks at the rest of
 * the state; undefined when no recorded chain leads to rawRoot.
 */
function repairedPath(raw: object, rawRoot: object): PathStep[] | undefined {
  const climbs: Climb[] = [];
  const seen = new Set<object>([raw]);
  const enter = (obj: object): void => {
    const places: Link[] = [];
    const link = linkOf(obj);
    if (link !== undefined) places.push({ parent: link.parent, step: link.step });
    for (const former of formersOf(obj)) {
      const parent = former.parent;
      if (parent !== undefined) places.push({ parent, step: former.step });
    }
    climbs.push({ obj, places, tried: 0 });
  };
  enter(raw);
  while (climbs.length > 0 && climbs.length <= MAX_DEPTH) {
    const climb = climbs[climbs.length - 1]!;
    if (climb.obj === rawRoot) return relink(climbs);
    if (climb.tried === climb.places.length) {
      climbs.pop();
      continue;
    }
    let place = climb.places[climb.tried++]!;
    if (seen.has(place.parent)) continue;
    if (!stillHolds(place, climb.obj)) {
      const moved = movedInArray(place, climb.obj);
      if (moved === undefined) {
        forgetPlace(climb.obj, place);
        continue;
      }
      place = climb.places[climb.tried - 1] = moved;
      // The link itself moved: relink leaves a first place as it is.
      if (climb.tried === 1) setLink(climb.obj, moved.parent, moved.step);
    }
    seen.add(place.parent);
    enter(place.parent);
  }
  return undefined;
}

/**
 * The place in the same array where `raw` is now, when `place` names an
 * index of an array that no longer holds it there: the fast paths of
 * `shift`, `splice`, `sort` and `reverse` (see array-mutators.ts) move
 * elements without recording their new places. Only on an array known to
 * hold plain elements: searching another could run a getter.
 */
function movedInArray(place: Link, raw: object): Link | undefined {
  const { parent, step } = place;
  if (typeof step !== 'string' || !Array.isArray(parent) || !knownPlainElements(parent)) {
    return undefined;
  }
  const at = parent.indexOf(raw);
  return at < 0 ? undefined : { parent, step: String(at) };
}

/** Drops a former place found not to hold its object any more. */
function forgetPlace(raw: object, place: Link): void {
  const link = linkOf(raw);
  if (link !== undefined && link.parent === place.parent && link.step === place.step) return;
  dropFormerPlace(raw, place.parent, place.step);
}

/**
 * Makes the places of a chain repairedPath found the links of its objects
 * (a link replaced while it still holds is kept as a former place) and
 * answers the chain's path.
 */
function relink(climbs: Climb[]): PathStep[] | undefined {
  const path: PathStep[] = [];
  for (let i = climbs.length - 2; i >= 0; i--) {
    const { obj, places, tried } = climbs[i]!;
    const place = places[tried - 1]!;
    const step = place.step === IN_COLLECTION ? positionStep(place.parent, obj) : place.step;
    if (step === undefined) return undefined;
    path.push(step);
    if (tried > 1 || linkOf(obj) === undefined) {
      const link = linkOf(obj);
      if (link !== undefined && stillHolds(link, obj)) addFormerPlace(obj, link.parent, link.step);
      setLink(obj, place.parent, place.step);
      dropFormerPlace(obj, place.parent, place.step);
    }
  }
  return path;
}

/** A path as messages show it: `settings.nested[0]`, `byName.get("ann")`, `tags{2}`. */
export function renderPath(path: readonly PathStep[]): string {
  let out = '';
  for (const step of path) {
    const segment =
      typeof step === 'string'
        ? /^(0|[1-9]\d*)$/.test(step)
          ? `[${step}]`
          : propSegment(step)
        : 'mapKey' in step
          ? mapValueSegment(step.mapKey, 0)
          : 'mapKeyAt' in step
            ? mapKeySegment(step.mapKeyAt)
            : 'mapValueAt' in step
              ? `.values()[${step.mapValueAt}]`
              : setSegment(step.setMember);
    out = joinPath(out, segment);
  }
  return out;
}

/** Children a search follows: object properties, array elements, Map keys and values, Set members. */
function children(obj: object, visit: (child: unknown, step: PathStep) => boolean): boolean {
  let i = 0;
  if (types.isMap(obj)) {
    const entries = entryIterator(obj);
    for (let r = nextEntry(entries); r.done !== true; r = nextEntry(entries)) {
      const k = r.value[0];
      if (visit(k, { mapKeyAt: i })) return true;
      if (visit(r.value[1], isMapKey(k) ? { mapKey: k } : { mapValueAt: i })) return true;
      i++;
    }
    return false;
  }
  if (types.isSet(obj)) {
    const members = memberIterator(obj);
    for (let r = nextMember(members); r.done !== true; r = nextMember(members)) {
      if (visit(r.value, { setMember: i++ })) return true;
    }
    return false;
  }
  if (types.isDate(obj) || ArrayBuffer.isView(obj)) return false;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (visit(obj[i], String(i))) return true;
    return false;
  }
  for (const key of Object.keys(obj)) {
    if (visit((obj as Record<string, unknown>)[key], key)) return true;
  }
  return false;
}

/** Where a search found an object: its parent and the step from it. */
interface Found {
  readonly parent: object;
  readonly step: PathStep;
}

function search(rawRoot: object, target: object): PathStep[] | undefined {
  if (rawRoot === target) return [];
  const parents = breadthFirst(rawRoot, target);
  return parents === undefined ? undefined : recordChain(parents, rawRoot, target);
}

/**
 * True when `target` is reachable from `rawRoot` through the children a
 * search follows (see children), recording nothing: one Set of the objects
 * met, no step or parent made per child.
 */
export function reaches(rawRoot: object, target: object): boolean {
  if (rawRoot === target) return true;
  const met = new Set<object>([rawRoot]);
  const queue = ownList<object>();
  queue[0] = rawRoot;
  const visit = (child: unknown): boolean => {
    if (isPassThrough(child) || met.has(child as object)) return false;
    met.add(child as object);
    pushOwn(queue, child as object);
    return child === target;
  };
  for (let head = 0; head < queue.length; head++) {
    if (eachChild(queue[head]!, visit)) return true;
  }
  return false;
}

/** As children, without the steps. */
function eachChild(obj: object, visit: (child: unknown) => boolean): boolean {
  if (types.isMap(obj)) {
    const entries = entryIterator(obj);
    for (let r = nextEntry(entries); r.done !== true; r = nextEntry(entries)) {
      if (visit(r.value[0]) || visit(r.value[1])) return true;
    }
    return false;
  }
  if (types.isSet(obj)) {
    const members = memberIterator(obj);
    for (let r = nextMember(members); r.done !== true; r = nextMember(members)) {
      if (visit(r.value)) return true;
    }
    return false;
  }
  if (types.isDate(obj) || ArrayBuffer.isView(obj)) return false;
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) if (visit(obj[i])) return true;
    return false;
  }
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    if (visit((obj as Record<string, unknown>)[keys[i]!])) return true;
  }
  return false;
}

/** The parents met on the way to `target`, searching breadth first from `rawRoot`; undefined when it is not there. */
function breadthFirst(
  rawRoot: object,
  target: object,
  /** Whether to look into a child met (all are, by default). */
  into?: (child: object) => boolean,
): Map<object, Found> | undefined {
  const parents = new Map<object, Found>([[rawRoot, { parent: rawRoot, step: '' }]]);
  const queue = ownList<object>();
  queue[0] = rawRoot;
  for (let head = 0; head < queue.length; head++) {
    const parent = queue[head]!;
    const hit = children(parent, (child, step) => {
      if (isPassThrough(child) || parents.has(child as object)) return false;
      parents.set(child as object, { parent, step });
      if (into === undefined || into(child as object)) pushOwn(queue, child as object);
      return child === target;
    });
    if (hit) return parents;
  }
  return undefined;
}

/**
 * The path from `from` to `target` through the children a search follows,
 * not looking into proxies (the state's, kept in a fresh value) and
 * recording nothing: for naming a place inside a value an action stores.
 */
export function pathWithin(from: object, target: object): PathStep[] | undefined {
  if (from === target) return [];
  const parents = breadthFirst(from, target, (child) => !types.isProxy(child));
  if (parents === undefined) return undefined;
  const path: PathStep[] = [];
  for (let obj = target; obj !== from;) {
    const { parent, step } = parents.get(obj)!;
    path.push(step);
    obj = parent;
  }
  return path.reverse();
}

/** Stores the links of the chain found by a search, so the next locate needs no search. */
function recordChain(parents: Map<object, Found>, rawRoot: object, target: object): PathStep[] {
  const path: PathStep[] = [];
  for (let obj = target; obj !== rawRoot;) {
    const { parent, step } = parents.get(obj)!;
    // A member's or key's position moves as entries come and go: link its membership.
    const member = typeof step === 'object' && ('setMember' in step || 'mapKeyAt' in step);
    setLink(obj, parent, member ? IN_COLLECTION : step);
    path.push(step);
    obj = parent;
  }
  return path.reverse();
}
