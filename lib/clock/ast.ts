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

// Nodes whose binding key assigns rather than declares (a declaration there is a VariableDeclaration).
const ASSIGNING_TYPES = new Set(['AssignmentExpression', 'ForInStatement', 'ForOfStatement']);

/** Names a function binds, each where it is in scope (see {@link declaredNames}). */
export interface LocalNames {
  /** True when `name` is bound at source position `at` (anywhere in the function when `at` is not given). */
  has(name: string, at?: number): boolean;
}

const FUNCTION_TYPES = new Set([
  'FunctionExpression',
  'FunctionDeclaration',
  'ArrowFunctionExpression',
]);
// Nodes that open a block scope for let, const and class: what a declaration directly inside them binds.
const BLOCK_TYPES = new Set([
  'BlockStatement',
  'ForStatement',
  'ForInStatement',
  'ForOfStatement',
  'SwitchStatement',
  'CatchClause',
  'StaticBlock',
]);

/**
 * Every name declared or assigned in `root` (variables, parameters,
 * function and class names, catch parameters), each with the range of
 * source where it is bound: `var`s, parameters and function declarations
 * their function, `let`, `const` and class declarations their block, a
 * catch parameter its clause, a function or class expression's own name
 * that expression. A name only assigned (`x = …`, no declaration here)
 * counts throughout `root`, as before scopes were told apart. So a callback
 * parameter named `crypto` hides the global inside that callback only.
 */
export function declaredNames(
  root: AnyNode,
  /** Node types below `root` not looked into (code a scan skips declares nothing it reads). */
  skip?: ReadonlySet<string>,
  /** False: only declarations bind, not a name merely assigned (see outside-writes.ts). */
  assignmentsBind = true,
): LocalNames {
  const ranges = new Map<string, Array<readonly [number, number]>>();
  const bind = (pattern: AnyNode, scope: AnyNode): void => {
    const names = new Set<string>();
    addPatternNames(pattern, names);
    for (const name of names) {
      let list = ranges.get(name);
      if (list === undefined) ranges.set(name, (list = []));
      list.push([scope.start, scope.end]);
    }
  };
  const visit = (node: AnyNode, fn: AnyNode, block: AnyNode, declKind?: unknown): void => {
    const innerFn = FUNCTION_TYPES.has(node.type) ? node : fn;
    const innerBlock = innerFn !== fn || BLOCK_TYPES.has(node.type) ? node : block;
    for (const [key, child] of childEntries(node)) {
      if (skip?.has(child.type) === true) continue;
      if (isBindingKey(node, key) && (assignmentsBind || !ASSIGNING_TYPES.has(node.type))) {
        bind(child, bindingScope(node, key, fn, block, declKind, root));
      }
      visit(
        child,
        innerFn,
        innerBlock,
        node.type === 'VariableDeclaration' ? node['kind'] : undefined,
      );
    }
  };
  visit(root, root, root);
  return {
    has(name: string, at?: number): boolean {
      const list = ranges.get(name);
      if (list === undefined) return false;
      return at === undefined || list.some(([start, end]) => start <= at && at < end);
    },
  };
}

/** The body of function `fn` (a parameter's default does not see the body's `var`s), else `fn`. */
function bodyOf(fn: AnyNode): AnyNode {
  return FUNCTION_TYPES.has(fn.type) ? (nodeAt(fn, 'body') ?? fn) : fn;
}

/** Where the names that `node[key]` binds are in scope (see declaredNames). */
function bindingScope(
  node: AnyNode,
  key: string,
  fn: AnyNode,
  block: AnyNode,
  declKind: unknown,
  root: AnyNode,
): AnyNode {
  switch (node.type) {
    case 'VariableDeclarator':
      return declKind === 'var' ? bodyOf(fn) : block;
    case 'FunctionDeclaration':
      // Its name belongs to the enclosing function's body (hoisted); its parameters to itself.
      return key === 'id' ? bodyOf(fn) : node;
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ClassExpression':
    case 'CatchClause':
      return node;
    case 'ClassDeclaration':
      return block;
    default:
      // An assignment's target, or a for-in/of loop's that is no declaration.
      return root;
  }
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
