/**
 * Failure reporting for the encoders. The hot loops track no paths: they throw
 * an {@link Unstorable} naming the bad value (or the container and key of a
 * bad property), and only then {@link locate} searches the encoded value
 * again to name where it sits.
 */
import { PrevalenceError } from '../errors';
import { entryIterator, memberIterator, nextEntry, nextMember } from './raw-iteration';
import {
  joinPath,
  mapKeySegment,
  mapValueSegment,
  propSegment,
  renderSegments,
  setSegment,
} from './paths';

/** Internal signal thrown by the encoders; turned into NOT_SERIALIZABLE by their entry points. */
export class Unstorable {
  constructor(
    /** The value that cannot be stored (when `container` is undefined). */
    readonly value: unknown,
    /** What it is and what to do, e.g. `a function (f): functions cannot be stored…`. */
    readonly what: string,
    /**
     * For a bad property (an accessor, a symbol key, a named property of an
     * array or a built-in): the object holding it.
     */
    readonly container?: object,
    /** For a bad property: its path segment within `container`. */
    readonly segment?: string,
  ) {}
}

/** The `what` of an accessor property. */
export const ACCESSOR =
  'an accessor property (getter/setter): only data properties can be stored; make it a method or a plain property';

/** A NOT_SERIALIZABLE error for the value at `path`. */
export function notSerializable(path: string, what: string): PrevalenceError {
  return new PrevalenceError('NOT_SERIALIZABLE', `${path === '' ? 'the value' : path} is ${what}`);
}

/**
 * The deepest nesting of objects a journal record's value may have. Records
 * are encoded and decoded recursively, and a restart decodes them in a fresh
 * process, perhaps from deeper in its stack than the live call was: a fixed
 * bound, well inside any stack, keeps a record the live run wrote readable
 * by every restart (the state itself has no such bound: snapshots, and the
 * copies 'clone' isolation hands out, walk it with a stack of their own).
 */
export const MAX_RECORD_NESTING = 500;

/** Thrown by an encoder past MAX_RECORD_NESTING (caught and translated by tooDeep). */
export class NestedTooDeep extends Error {}

/** A NOT_SERIALIZABLE error for a value nested beyond MAX_RECORD_NESTING or the call stack. */
export function tooDeep(path: string, cause: unknown): PrevalenceError {
  return new PrevalenceError(
    'NOT_SERIALIZABLE',
    `${path === '' ? 'the value' : path} is nested too deeply to encode as one record (${cause instanceof NestedTooDeep ? `more than ${MAX_RECORD_NESTING} levels of objects` : 'beyond the call stack'}): pass a flatter value (for example ids instead of a long linked chain)`,
    { cause },
  );
}

/**
 * The error for `failure`, whose value sits somewhere inside `root` (named
 * `rootPath`); objects for which `skip` returns true are not searched.
 */
export function failureError(
  failure: Unstorable,
  root: unknown,
  rootPath: string,
  skip?: (obj: object) => boolean,
): PrevalenceError {
  return notSerializable(failurePath(failure, root, rootPath, skip), failure.what);
}

/** The path of `failure` within `root` (named `rootPath`), or `rootPath` when it is not found. */
export function failurePath(
  failure: Unstorable,
  root: unknown,
  rootPath: string,
  skip?: (obj: object) => boolean,
): string {
  return locate(failure, root, rootPath, skip) ?? rootPath;
}

type Visit = (segment: string, child: unknown) => boolean;

/** Breadth-first search for `failure`; parents are kept as indexes so deep chains stay linear. */
function locate(
  failure: Unstorable,
  root: unknown,
  rootPath: string,
  skip?: (obj: object) => boolean,
): string | undefined {
  if (failure.container === undefined && Object.is(root, failure.value)) return rootPath;
  if (!isObject(root)) return undefined;
  const nodes: object[] = [root];
  const parents: number[] = [-1];
  const segments: string[] = [rootPath];
  const seen = new Set<object>(nodes);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as object;
    // A bad property is named from its container, which need not list it as a child.
    if (node === failure.container) {
      return joinPath(pathOf(i, parents, segments), failure.segment as string);
    }
    let found: string | undefined;
    forEachChild(node, (segment, child) => {
      if (matches(failure, child)) {
        found = segment;
        return true;
      }
      if (isObject(child) && !seen.has(child) && !(skip?.(child) ?? false)) {
        seen.add(child);
        nodes.push(child);
        parents.push(i);
        segments.push(segment);
      }
      return false;
    });
    if (found !== undefined) return joinPath(pathOf(i, parents, segments), found);
  }
  return undefined;
}

function matches(failure: Unstorable, child: unknown): boolean {
  return failure.container === undefined && Object.is(child, failure.value);
}

function pathOf(index: number, parents: number[], segments: string[]): string {
  const chain: string[] = [];
  for (let i = index; i >= 0; i = parents[i] as number) chain.push(segments[i] as string);
  // Shortened past 200 steps: a refusal deep in a 100k-node list must not make a 0.5 MB message.
  return renderSegments(chain.reverse());
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/** Calls `visit` for each child the encoders would store, until it returns true. */
function forEachChild(node: object, visit: Visit): void {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (visit(`[${i}]`, node[i])) return;
  } else if (node instanceof Map) {
    // By the built-ins taken at load (raw-iteration.ts): the Map or Set may be the state's.
    const it = entryIterator(node);
    for (let i = 0; ; i++) {
      const step = nextEntry(it);
      if (step.done === true) return;
      const key = step.value[0];
      if (visit(mapKeySegment(i), key) || visit(mapValueSegment(key, i), step.value[1])) return;
    }
  } else if (node instanceof Set) {
    const it = memberIterator(node);
    for (let i = 0; ; i++) {
      const step = nextMember(it);
      if (step.done === true || visit(setSegment(i), step.value)) return;
    }
  } else if (!ArrayBuffer.isView(node) && !(node instanceof Date)) {
    for (const key of Object.keys(node)) {
      const d = Object.getOwnPropertyDescriptor(node, key);
      if (visit(propSegment(key), d?.writable === undefined ? undefined : d.value)) return;
    }
  }
}
