import { types } from 'node:util';
import { isPrevalenceError, type PrevalenceErrorCode } from '../../lib/errors';
import { beginTracking, endTracking, type UndoLog } from '../../lib/isolation/tracking';

/**
 * A strict, comparable description of an object graph: every reachable
 * object in discovery order with its prototype, own keys IN ORDER with full
 * descriptors, Map/Set contents in order, Date time, bytes of binary data.
 * Objects are referred to by discovery index, so shared references and
 * cycles are part of the description. `objects` keeps the actual objects
 * for identity checks.
 */
export interface Described {
  shape: unknown[];
  objects: object[];
}

export function describe(root: object): Described {
  const ids = new Map<object, number>();
  const objects: object[] = [];
  const protos: unknown[] = [];
  const shape: unknown[] = [];
  const ref = (v: unknown): unknown => {
    if (typeof v === 'function') return `fn:${v.name}`;
    if (typeof v !== 'object' || v === null) {
      if (typeof v === 'number' && Object.is(v, -0)) return 'num:-0';
      return `${typeof v}:${String(v)}`;
    }
    if (types.isProxy(v)) return 'PROXY';
    let id = ids.get(v);
    if (id === undefined) {
      id = objects.length;
      ids.set(v, id);
      objects.push(v);
    }
    return { ref: id };
  };
  ref(root);
  for (let i = 0; i < objects.length; i++) shape.push(describeOne(objects[i]!, ref, protos));
  return { shape, objects };
}

function describeOne(obj: object, ref: (v: unknown) => unknown, protos: unknown[]): unknown {
  const proto = Object.getPrototypeOf(obj) as object | null;
  let protoId = protos.indexOf(proto);
  if (protoId < 0) protoId = protos.push(proto) - 1;
  const keys = Reflect.ownKeys(obj).map((k) => {
    const d = Reflect.getOwnPropertyDescriptor(obj, k)!;
    const attrs = `${d.enumerable ? 'e' : '-'}${d.configurable ? 'c' : '-'}${d.writable ? 'w' : '-'}`;
    const value = 'value' in d ? ref(d.value) : [ref(d.get), ref(d.set)];
    return [String(k), attrs, value];
  });
  const extra: unknown[] = [];
  if (types.isMap(obj)) for (const [k, v] of obj) extra.push([ref(k), ref(v)]);
  if (types.isSet(obj)) for (const v of obj) extra.push(ref(v));
  if (types.isDate(obj)) extra.push((obj as Date).getTime());
  if (ArrayBuffer.isView(obj))
    extra.push(Array.from(new Uint8Array(obj.buffer, obj.byteOffset, obj.byteLength)));
  if (types.isAnyArrayBuffer(obj)) extra.push(Array.from(new Uint8Array(obj as ArrayBuffer)));
  if (types.isRegExp(obj)) extra.push((obj as RegExp).source, (obj as RegExp).flags);
  return { proto: protoId, extensible: Object.isExtensible(obj), keys, extra };
}

/** Asserts that `after` is exactly the graph described by `before`, same objects included. */
export function expectSameGraph(after: object, before: Described): void {
  const now = describe(after);
  expect(now.shape).toEqual(before.shape);
  expect(now.objects.length).toBe(before.objects.length);
  now.objects.forEach((o, i) => {
    if (o !== before.objects[i]) throw new Error(`object #${i} was replaced by another object`);
  });
}

/** Every proxy reachable from `root` through raw data (properties, elements, Map/Set contents). */
export function findProxies(root: unknown): string[] {
  const found: string[] = [];
  const seen = new Set<object>();
  const visit = (v: unknown, path: string): void => {
    if (typeof v !== 'object' || v === null) return;
    if (types.isProxy(v)) {
      found.push(path);
      return;
    }
    if (seen.has(v)) return;
    seen.add(v);
    for (const k of Reflect.ownKeys(v)) {
      const d = Reflect.getOwnPropertyDescriptor(v, k)!;
      if ('value' in d) visit(d.value, `${path}.${String(k)}`);
    }
    if (types.isMap(v)) {
      for (const [k, x] of v) {
        visit(k, `${path}<key>`);
        visit(x, `${path}.get(${String(k)})`);
      }
    }
    if (types.isSet(v)) for (const x of v) visit(x, `${path}<member>`);
  };
  visit(root, 'root');
  return found;
}

/** The code of the PrevalenceError `fn` throws (`other: …` for another error), or undefined when it throws nothing. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isPrevalenceError(err) ? err.code : `other: ${String(err)}`;
  }
  return undefined;
}

/** Runs `fn`, asserting that it throws a PrevalenceError with `code`; returns the error message. */
export function expectCode(fn: () => unknown, code: PrevalenceErrorCode): string {
  try {
    fn();
  } catch (err) {
    if (!isPrevalenceError(err, code)) throw err;
    return err.message;
  }
  throw new Error(`expected ${code}, but nothing was thrown`);
}

/** Runs `fn` as a tracked action and returns its undo log (tracking is always ended). */
export function inAction(fn: () => void): UndoLog {
  const log = beginTracking();
  try {
    fn();
  } finally {
    endTracking();
  }
  return log;
}
