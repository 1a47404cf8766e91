import { DateTime } from 'luxon';
import { ClassRegistry } from '../../lib/codec/registry';
import { encodeGraph, GraphDecoder } from '../../lib/codec/graph';
import { decodeTree, encodeTree, type TreeContext } from '../../lib/codec/tree';

/** Counts constructor runs, so tests can prove decoding does not run them. */
export const constructed = { count: 0 };

/** A registered domain class with a getter and a method on its prototype. */
export class Page {
  title: string;
  history: string[] = [];
  constructor(title: string) {
    constructed.count++;
    this.title = title;
  }
  get size(): number {
    return this.history.length;
  }
  rename(title: string): void {
    this.title = title;
  }
}

/** A registered linked-list node (both directions). */
export class ListNode {
  next: ListNode | null = null;
  prev: ListNode | null = null;
  constructor(public value: number) {}
}

/** A class that is never registered. */
export class Unregistered {
  x = 1;
}

/** A fresh registry with Page and ListNode. */
export function makeRegistry(): ClassRegistry {
  const registry = new ClassRegistry();
  registry.register(Page);
  registry.register(ListNode);
  return registry;
}

/** Encodes with the tree codec, goes through JSON text, decodes. */
export function viaTree(value: unknown, ctx: TreeContext = { registry: makeRegistry() }): unknown {
  const text = JSON.stringify(encodeTree(value, ctx));
  return decodeTree(JSON.parse(text), ctx);
}

/** The lines of the graph encoding of `value` (a line emitted in pieces joined). */
export function graphLines(value: unknown, registry = makeRegistry()): string[] {
  const lines: string[] = [];
  let pieces = '';
  encodeGraph(value, registry, (text, more) => {
    pieces += text;
    if (more === true) return;
    lines.push(pieces);
    pieces = '';
  });
  return lines;
}

/** Decodes graph lines. */
export function decodeLines(lines: readonly string[], registry = makeRegistry()): unknown {
  const decoder = new GraphDecoder(registry);
  for (const line of lines) decoder.push(line);
  return decoder.finish();
}

/** Encodes with the graph codec and decodes the lines. */
export function viaGraph(value: unknown, registry = makeRegistry()): unknown {
  return decodeLines(graphLines(value, registry), registry);
}

/** A doubly linked list of `n` ListNodes; returns its head. */
export function linkedList(n: number): ListNode {
  const head = new ListNode(0);
  let tail = head;
  for (let i = 1; i < n; i++) {
    const node = new ListNode(i);
    node.prev = tail;
    tail.next = node;
    tail = node;
  }
  return head;
}

/** The error `fn` throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

/**
 * Every object reachable from `value` through what the codecs store (own
 * enumerable properties, elements, Map entries, Set members) and a typed
 * array's buffer (not a Buffer's: small ones share Node's pool, copies
 * too); a luxon DateTime as itself only (its zone objects are luxon's own,
 * shared by every DateTime). Iterative, for deep values.
 */
export function objectsIn(value: unknown): Set<object> {
  const found = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length !== 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || found.has(v)) continue;
    found.add(v);
    if (ArrayBuffer.isView(v)) {
      if (!Buffer.isBuffer(v)) stack.push(v.buffer);
    } else if (DateTime.isDateTime(v)) continue;
    else if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else if (!(v instanceof ArrayBuffer)) for (const x of Object.values(v)) stack.push(x);
  }
  return found;
}

/** True when no object reachable from `a` is reachable from `b`. */
export function sharesNothing(a: unknown, b: unknown): boolean {
  const inA = objectsIn(a);
  for (const obj of objectsIn(b)) if (inA.has(obj)) return false;
  return true;
}
