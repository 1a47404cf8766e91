import { parse, type Options } from 'acorn';

/** The loose shape of an ESTree node as acorn produces it. */
export interface AnyNode {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

/** A parsed function source together with the exact text the node positions refer to. */
export interface ParsedSource {
  readonly ast: AnyNode;
  readonly text: string;
}

// Methods of classes with `#private` members mention names no enclosing class
// declares once the method is parsed on its own.
const PARSE_OPTIONS: Options = { ecmaVersion: 'latest', checkPrivateFields: false };
const MAX_SNIPPET = 80;

/**
 * Parses what `Function.prototype.toString` returned. A method's source
 * (`name() {}`, `*gen() {}`, `[key]() {}`) only parses inside an object
 * literal, a function value's (`function () {}`, `(a) => a`) only as an
 * expression, so both wrappings are tried. `undefined` for native code.
 */
export function parseFunctionSource(source: string): ParsedSource | undefined {
  // V8 gives a method named `static` as `() {}`, without its name: the third wrapping names it.
  for (const text of [`({\n${source}\n})`, `(\n${source}\n)`, `({\nm${source}\n})`]) {
    try {
      return { ast: parse(text, PARSE_OPTIONS) as unknown as AnyNode, text };
    } catch {
      // Try the next wrapping; native code parses with neither.
    }
  }
  return undefined;
}

/** The function node inside a {@link parseFunctionSource} result. */
export function topFunction(ast: AnyNode): AnyNode | undefined {
  const statement = nodesAt(ast, 'body')[0];
  const expression = statement === undefined ? undefined : nodeAt(statement, 'expression');
  if (expression?.type !== 'ObjectExpression') return expression;
  const property = nodesAt(expression, 'properties')[0];
  return property === undefined ? undefined : nodeAt(property, 'value');
}

/** The source of `node`, whitespace collapsed and shortened for an error message. */
export function snippet(text: string, node: AnyNode): string {
  const code = text.slice(node.start, node.end).replace(/\s+/g, ' ');
  return code.length > MAX_SNIPPET ? `${code.slice(0, MAX_SNIPPET - 3)}...` : code;
}

const BINDING_KEYS: Readonly<Record<string, readonly string[]>> = {
  VariableDeclarator: ['id'],
  FunctionDeclaration: ['id', 'params'],
  FunctionExpression: ['id', 'params'],
  ArrowFunctionExpression: ['params'],
  ClassDeclaration: ['id'],
  ClassExpression: ['id'],
  CatchClause: ['param'],
  AssignmentExpression: ['left'],
  ForInStatement: ['left'],
  ForOfStatement: ['left'],
};

/** True when `node[key]` holds a binding pattern (names being declared or assigned). */
export function isBindingKey(node: AnyNode, key: string): boolean {
  return BINDING_KEYS[node.type]?.includes(key) ?? false;
}

/**
 * Every name declared or assigned anywhere in `root` (variables, parameters,
 * function and class names, catch parameters). Scopes are not told apart: a
 * name bound anywhere in a method counts as local throughout it.
 */
export function declaredNames(
  root: AnyNode,
  /** Node types below `root` not looked into (code a scan skips declares nothing it reads). */
  skip?: ReadonlySet<string>,
): Set<string> {
  const names = new Set<string>();
  const visit = (node: AnyNode): void => {
    for (const [key, child] of childEntries(node)) {
      if (skip?.has(child.type) === true) continue;
      if (isBindingKey(node, key)) addPatternNames(child, names);
      visit(child);
    }
  };
  visit(root);
  return names;
}

function addPatternNames(node: AnyNode, names: Set<string>): void {
  const add = (child: AnyNode | undefined): void => {
    if (child !== undefined) addPatternNames(child, names);
  };
  switch (node.type) {
    case 'Identifier':
      names.add(String(node['name']));
      break;
    case 'ObjectPattern':
      for (const prop of nodesAt(node, 'properties')) {
        add(prop.type === 'RestElement' ? prop : nodeAt(prop, 'value'));
      }
      break;
    case 'ArrayPattern':
      for (const element of nodesAt(node, 'elements')) add(element);
      break;
    case 'RestElement':
      add(nodeAt(node, 'argument'));
      break;
    case 'AssignmentPattern':
      add(nodeAt(node, 'left'));
      break;
  }
}

/** Keys that hold bare names (property keys, labels), never expressions. */
function isNameKey(node: AnyNode, key: string): boolean {
  if (key === 'key' || key === 'property') return node['computed'] !== true;
  if (key === 'label') return true;
  return node.type === 'MetaProperty';
}

/** The child nodes of `node` in source order, without bare names, each with its key. */
export function childEntries(node: AnyNode): Array<[string, AnyNode]> {
  const entries: Array<[string, AnyNode]> = [];
  for (const key of Object.keys(node)) {
    if (isNameKey(node, key)) continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) entries.push([key, item]);
    } else if (isNode(value)) {
      entries.push([key, value]);
    }
  }
  return entries;
}

/** A property name known without running code: `a.b`, `a['b']`, `` a[`b`] ``, `{ b: x }`. */
export function staticKey(node: AnyNode, key: string): string | undefined {
  const child = nodeAt(node, key);
  if (child === undefined) return undefined;
  if (node['computed'] !== true && child.type === 'Identifier') return String(child['name']);
  if (child.type === 'Literal' && typeof child['value'] === 'string') return child['value'];
  if (child.type === 'TemplateLiteral' && nodesAt(child, 'expressions').length === 0) {
    const quasi = nodesAt(child, 'quasis')[0];
    const cooked = (quasi?.['value'] as { cooked?: unknown } | undefined)?.cooked;
    return typeof cooked === 'string' ? cooked : undefined;
  }
  return undefined;
}

/** The first defined result of `fn` over `items`. */
export function firstOf<I, T>(items: readonly I[], fn: (item: I) => T | undefined): T | undefined {
  for (const item of items) {
    const result = fn(item);
    if (result !== undefined) return result;
  }
  return undefined;
}

/** True for anything shaped like an ESTree node. */
export function isNode(value: unknown): value is AnyNode {
  return typeof value === 'object' && value !== null && typeof (value as AnyNode).type === 'string';
}

/** `node[key]` when it is a node. */
export function nodeAt(node: AnyNode, key: string): AnyNode | undefined {
  const value = node[key];
  return isNode(value) ? value : undefined;
}

/** The nodes in the array `node[key]` (holes dropped). */
export function nodesAt(node: AnyNode, key: string): AnyNode[] {
  const value = node[key];
  return Array.isArray(value) ? value.filter(isNode) : [];
}
