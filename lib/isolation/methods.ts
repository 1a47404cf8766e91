import { bufferOf, type Kind } from './kinds';
import { bufferSlot } from '../codec/slots';

/**
 * What a built-in method does to its receiver, which decides how a tracking
 * proxy or a view wraps it.
 *
 * - `read`: no change; arguments are unwrapped, object results wrapped.
 * - `get`: Map.prototype.get (a view records the key as a path step).
 * - `mutate`: changes the receiver (recorded by tracking, refused by views).
 * - `forEach`, `keys`, `values`, `entries`: Map/Set iteration.
 * - `callback`: typed-array method whose callback receives the array itself.
 * - `lastIndex`: RegExp method that moves `lastIndex` on global/sticky regexps.
 * - `copyInto`: Buffer.prototype.copy, which reads its receiver and writes
 *   into its first argument.
 * - `setOperation`: a Set method taking another set-like (Node 22+), whose
 *   `has` the built-in calls with the receiver's members.
 * - `unknown`: a method this version does not know (one a later Node adds to
 *   a built-in prototype): refused, since it may change its receiver, as
 *   Map's getOrInsert (Node 26) did when every unknown method counted as a read.
 */
export type MethodClass =
  | 'read'
  | 'get'
  | 'mutate'
  | 'forEach'
  | 'keys'
  | 'values'
  | 'entries'
  | 'callback'
  | 'lastIndex'
  | 'copyInto'
  | 'setOperation'
  | 'unknown';

/** The Set methods that take another set-like (native from Node 22). */
const SET_OPERATIONS: ReadonlySet<PropertyKey> = new Set([
  'union',
  'intersection',
  'difference',
  'symmetricDifference',
  'isSubsetOf',
  'isSupersetOf',
  'isDisjointFrom',
]);

const typedMutators = new Set<PropertyKey>(['fill', 'set', 'copyWithin', 'reverse', 'sort']);
const regexpLastIndex = new Set<PropertyKey>([
  'exec',
  'test',
  Symbol.match,
  Symbol.replace,
  Symbol.search,
]);

/** Position of the array argument of typed-array callbacks, by method name. */
export const callbackArrayArg = new Map<PropertyKey, number>([
  ['every', 2],
  ['filter', 2],
  ['find', 2],
  ['findIndex', 2],
  ['findLast', 2],
  ['findLastIndex', 2],
  ['forEach', 2],
  ['map', 2],
  ['some', 2],
  ['reduce', 3],
  ['reduceRight', 3],
]);

function startsWith(name: PropertyKey, prefix: string): boolean {
  return typeof name === 'string' && name.startsWith(prefix);
}

/**
 * Map methods that insert an entry when the key is missing (the upsert
 * proposal, native from Node 26): changes, though named like `get`.
 */
export const MAP_UPSERTS: ReadonlySet<PropertyKey> = new Set([
  'getOrInsert',
  'getOrInsertComputed',
]);

const MAP_READS: ReadonlySet<PropertyKey> = new Set(['has']);
const SET_READS: ReadonlySet<PropertyKey> = new Set(['has']);

/** %TypedArray%.prototype methods that only read their receiver (callbacks are classed apart). */
const TYPED_READS: ReadonlySet<PropertyKey> = new Set([
  'entries',
  'keys',
  'values',
  'at',
  'includes',
  'indexOf',
  'lastIndexOf',
  'join',
  'slice',
  'subarray',
  'toLocaleString',
  'toString',
  'toReversed',
  'toSorted',
  'with',
  Symbol.iterator,
]);

/** Buffer.prototype methods (JavaScript, Node's own) that only read their receiver. */
const BUFFER_READS: ReadonlySet<PropertyKey> = new Set([
  'toString',
  'equals',
  'inspect',
  'compare',
  'toJSON',
  Symbol.for('nodejs.util.inspect.custom'),
]);

/** RegExp methods that read their receiver without moving its lastIndex. */
const REGEXP_READS: ReadonlySet<PropertyKey> = new Set(['toString', Symbol.matchAll, Symbol.split]);

function classifyCollection(name: PropertyKey, isMap: boolean): MethodClass {
  if (name === 'set' || name === 'add' || name === 'delete' || name === 'clear') return 'mutate';
  if (isMap && MAP_UPSERTS.has(name)) return 'mutate';
  if (name === 'get' && isMap) return 'get';
  if (name === 'forEach') return 'forEach';
  if (name === 'keys') return isMap ? 'keys' : 'values';
  if (name === 'values') return 'values';
  if (name === 'entries') return 'entries';
  if (name === Symbol.iterator) return isMap ? 'entries' : 'values';
  if (!isMap && SET_OPERATIONS.has(name)) return 'setOperation';
  return (isMap ? MAP_READS : SET_READS).has(name) ? 'read' : 'unknown';
}

function classifyTyped(name: PropertyKey): MethodClass {
  // Buffer's write*, swap* and its undocumented utf8Write, latin1Write, hexWrite, …
  if (
    typedMutators.has(name) ||
    startsWith(name, 'write') ||
    startsWith(name, 'swap') ||
    (typeof name === 'string' && name.endsWith('Write'))
  ) {
    return 'mutate';
  }
  if (name === 'copy') return 'copyInto';
  if (callbackArrayArg.has(name)) return 'callback';
  // Buffer's read*, and its undocumented utf8Slice, latin1Slice, hexSlice, …
  if (startsWith(name, 'read') || (typeof name === 'string' && name.endsWith('Slice'))) {
    return 'read';
  }
  return TYPED_READS.has(name) || BUFFER_READS.has(name) ? 'read' : 'unknown';
}

/**
 * Classifies the built-in method `name` of a kind. Only methods known to
 * leave their receiver as it was are reads; one this version does not know
 * is `unknown` (see MethodClass), never taken for a read.
 */
export function classify(kind: Exclude<Kind, 'plain'>, name: PropertyKey): MethodClass {
  switch (kind) {
    case 'map':
    case 'set':
      return classifyCollection(name, kind === 'map');
    case 'date':
      if (startsWith(name, 'set')) return 'mutate';
      return startsWith(name, 'get') ||
        startsWith(name, 'to') ||
        name === 'valueOf' ||
        name === Symbol.toPrimitive
        ? 'read'
        : 'unknown';
    case 'dataview':
      if (startsWith(name, 'set')) return 'mutate';
      return startsWith(name, 'get') ? 'read' : 'unknown';
    case 'typed':
      return classifyTyped(name);
    case 'arraybuffer':
      if (name === 'resize' || name === 'grow' || startsWith(name, 'transfer')) return 'mutate';
      return name === 'slice' ? 'read' : 'unknown';
    case 'regexp':
      if (name === 'compile') return 'mutate';
      if (regexpLastIndex.has(name)) return 'lastIndex';
      return REGEXP_READS.has(name) ? 'read' : 'unknown';
  }
}

/**
 * Whether an object returned by a built-in read method or getter still
 * belongs to the state and must be wrapped: anything from a Map/Set method,
 * and a typed array, DataView or buffer over the receiver's memory
 * (`subarray`, Buffer `slice`, `.buffer`). Fresh results (`slice` of a typed
 * array, `map`, match arrays of a RegExp) are returned as they are.
 */
export function keepsStateReference(kind: Kind, result: object, raw: object): boolean {
  if (kind === 'map' || kind === 'set') return true;
  const buffer = bufferOf(raw);
  if (buffer === undefined) return false;
  return result === buffer || (ArrayBuffer.isView(result) && bufferSlot(result) === buffer);
}

/** Human-readable `Kind.method` for messages. */
export function methodLabel(kind: Kind, name: PropertyKey): string {
  const owner: Record<Kind, string> = {
    plain: 'Object',
    map: 'Map',
    set: 'Set',
    date: 'Date',
    typed: 'TypedArray',
    dataview: 'DataView',
    arraybuffer: 'ArrayBuffer',
    regexp: 'RegExp',
  };
  return `${owner[kind]}.prototype.${String(name)}()`;
}
