/**
 * Formatting of value paths (`pages.home.history[3]`, `byName.get("ann")`, `["a key"]`) and short value
 * descriptions, shared by the codecs' error messages and by `firstDifference`.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path segment for property `key`: `.name` for identifiers, `["key"]` otherwise. */
export function propSegment(key: string): string {
  return IDENTIFIER.test(key) ? '.' + key : '[' + JSON.stringify(key) + ']';
}

/** The path segment for symbol-keyed property `key`: `[Symbol(description)]`. */
export function symbolSegment(key: symbol): string {
  return '[' + key.toString() + ']';
}

/** Appends `segment` to `base`; a leading `.` is dropped at the (empty) root. */
export function joinPath(base: string, segment: string): string {
  return base === '' && segment.charCodeAt(0) === 46 ? segment.slice(1) : base + segment;
}

/** The path segment for the value stored under Map key `key` (the `index`-th entry). */
export function mapValueSegment(key: unknown, index: number): string {
  return isPrimitive(key) ? '.get(' + formatValue(key) + ')' : '.values()[' + index + ']';
}

/** The path segment for the `index`-th key of a Map. */
export function mapKeySegment(index: number): string {
  return '.keys()[' + index + ']';
}

/** The path segment for the `index`-th member of a Set. */
export function setSegment(index: number): string {
  return '{' + index + '}';
}

function isPrimitive(value: unknown): boolean {
  return value === null || (typeof value !== 'object' && typeof value !== 'function');
}

/** A short, single-line rendering of `value` for messages: `"x"`, `-0`, `12n`, `Page {…}`, `Map(2)`. */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return String(value) + 'n';
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `function ${value.name}` : 'a function';
    case 'undefined':
    case 'boolean':
      return String(value);
    default:
      return value === null ? 'null' : formatObject(value as object);
  }
}

function formatObject(value: object): string {
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Set) return `Set(${value.size})`;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? 'Date(invalid)' : `Date(${value.toISOString()})`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null) return '[Object: null prototype] {…}';
  const ctor = (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' && ctor.name ? ctor.name : 'Object';
  return `${name} {…}`;
}

/**
 * Joins path segments for display; very long paths (deep linked structures)
 * keep their first and last segments so messages stay readable.
 */
export function renderSegments(segments: readonly string[]): string {
  const max = 200;
  let path = '';
  if (segments.length <= max) {
    for (const segment of segments) path = joinPath(path, segment);
    return path;
  }
  for (let i = 0; i < max / 2; i++) path = joinPath(path, segments[i] as string);
  path += `…(${segments.length - max} more)…`;
  for (let i = segments.length - max / 2; i < segments.length; i++) path += segments[i] as string;
  return path;
}
