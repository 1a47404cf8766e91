import { nodeAt, nodesAt, staticKey, type AnyNode, type LocalNames } from './ast';

const GLOBAL = '\0global';
const MODULE = '\0module';
const GLOBAL_ROOTS = new Set(['globalThis', 'window', 'global', 'self']);
// tsc names a CommonJS import binding after the module plus a counter
// (`luxon_1`, `node_crypto_1`), so such a root stands for "some module".
const TS_IMPORT_BINDING = /^[A-Za-z_$][\w$]*_\d+$/;
const NO_LOCALS: LocalNames = { has: () => false };

/**
 * Looks through the wrappers around a callee: TypeScript's CommonJS output
 * calls a named import as `(0, mod_1.fn)()`, and `a?.b()` is a chain.
 */
export function unwrapCallee(node: AnyNode | undefined): AnyNode | undefined {
  if (node?.type === 'ChainExpression') return unwrapCallee(nodeAt(node, 'expression'));
  if (node?.type === 'SequenceExpression') {
    return unwrapCallee(nodesAt(node, 'expressions').at(-1));
  }
  return node;
}

/**
 * The dotted name an expression reads, without global prefixes and import
 * bindings: `luxon_1.DateTime.now`, `globalThis.Date.now` and
 * `require('luxon').DateTime.now` all give `DateTime.now` / `Date.now`.
 * `undefined` when the expression is not a plain chain of names or starts
 * with one of the `locals` (names the function declares itself).
 */
export function dottedName(node: AnyNode, locals: LocalNames = NO_LOCALS): string | undefined {
  const segments = nameSegments(node, locals);
  return segments === undefined || segments.length === 0 ? undefined : segments.join('.');
}

/** The property names an expression reads, and whether they start at a name we can resolve. */
export interface NameChain {
  /**
   * With `rooted`, what {@link nameSegments} gives (`['DateTime', 'now']`, `[]`
   * for a whole module); otherwise only the static property names read from an
   * object the source computes (`this.lib.DateTime.now` → `['lib', 'DateTime', 'now']`,
   * `lx.DateTime.now` with a local `lx` → `['DateTime', 'now']`).
   */
  readonly segments: readonly string[];
  /** True when the chain starts at a global, an import binding or `require(...)`. */
  readonly rooted: boolean;
}

/**
 * The chain `node` reads: rooted like {@link nameSegments} when it can be,
 * else the static property names at its end. `undefined` when there are none.
 */
export function nameChain(node: AnyNode, locals: LocalNames = NO_LOCALS): NameChain | undefined {
  const segments = nameSegments(node, locals);
  if (segments !== undefined) return { segments, rooted: true };
  const properties = trailingProperties(node);
  return properties.length === 0 ? undefined : { segments: properties, rooted: false };
}

function trailingProperties(node: AnyNode): string[] {
  const inner = unwrapCallee(node);
  const property = inner?.type === 'MemberExpression' ? staticKey(inner, 'property') : undefined;
  const object = inner === undefined ? undefined : nodeAt(inner, 'object');
  if (property === undefined || object === undefined) return [];
  return [...trailingProperties(object), property];
}

/** Like {@link dottedName} but as segments; `[]` means a whole module (`require('crypto')`). */
export function nameSegments(node: AnyNode, locals: LocalNames = NO_LOCALS): string[] | undefined {
  const raw = rawSegments(node, locals);
  if (raw === undefined) return undefined;
  let i = 0;
  while (raw[i] === GLOBAL) i++;
  if (raw[i] === MODULE) i += raw[i + 1] === 'default' ? 2 : 1;
  const rest = raw.slice(i);
  return rest.some((s) => s === GLOBAL || s === MODULE) ? undefined : rest;
}

function rawSegments(node: AnyNode, locals: LocalNames): string[] | undefined {
  switch (node.type) {
    case 'Identifier': {
      const name = String(node['name']);
      return locals.has(name, node.start) ? undefined : [rootSegment(name)];
    }
    case 'ChainExpression':
    case 'SequenceExpression': {
      const inner = unwrapCallee(node);
      return inner === undefined ? undefined : rawSegments(inner, locals);
    }
    case 'MemberExpression': {
      const object = nodeAt(node, 'object');
      const base = object === undefined ? undefined : rawSegments(object, locals);
      const property = staticKey(node, 'property');
      return base === undefined || property === undefined ? undefined : [...base, property];
    }
    case 'CallExpression':
      return isRequire(node) ? [MODULE] : undefined;
    default:
      return undefined;
  }
}

function rootSegment(name: string): string {
  if (GLOBAL_ROOTS.has(name)) return GLOBAL;
  return TS_IMPORT_BINDING.test(name) ? MODULE : name;
}

function isRequire(node: AnyNode): boolean {
  const callee = nodeAt(node, 'callee');
  const args = nodesAt(node, 'arguments');
  return (
    callee?.type === 'Identifier' &&
    callee['name'] === 'require' &&
    args.length === 1 &&
    typeof args[0]?.['value'] === 'string'
  );
}
