import {
  childEntries,
  declaredNames,
  firstOf,
  nodeAt,
  nodesAt,
  parseFunctionSource,
  snippet,
  staticKey,
  topFunction,
  type AnyNode,
  type LocalNames,
} from './ast';
import { unwrapCallee } from './names';
import { constructionParts } from './scan';

/**
 * The helpers compilers fill a tagged template's strings object with, once,
 * into a module-level cache (tsc for ES5: `templateObject_1 ||
 * (templateObject_1 = __makeTemplateObject([...], [...]))`; Babel:
 * `_templateObject = _taggedTemplateLiteral([...])`): the cache holds the
 * same constant after a restart, so filling it is no write outside the state.
 */
const TEMPLATE_HELPERS = new Set([
  '__makeTemplateObject',
  '_taggedTemplateLiteral',
  '_taggedTemplateLiteralLoose',
  '_tagged_template_literal',
  '_tagged_template_literal_loose',
]);

/**
 * A write, found in an action's source, to something no snapshot keeps: a
 * variable the function does not declare (a module's or a global), a
 * property of one (`Wiki.nextId++`, `stats.calls += 1`, `delete cache[k]`),
 * or a static field through `this.constructor` (or `super.constructor`).
 */
export interface OutsideWrite {
  /** The whole expression as written, whitespace collapsed: `Wiki.nextId++`. */
  readonly text: string;
  /** What it writes: `Wiki.nextId`, `counter`, `this.constructor.count`. */
  readonly target: string;
}

/**
 * The first write outside the state in a method's or function's source (as
 * `Function.prototype.toString` returns it), callbacks defined in it
 * included; `undefined` when there is none or the source does not parse.
 *
 * Such a write is journaled with the action and so repeated by a replay of
 * the journal, but a snapshot does not keep what it wrote: after a restart
 * from a snapshot the variable or static field has its initial value again
 * while the state has moved on (a static counter handing out ids hands the
 * same ids out again, and the new objects replace the old ones). Aliases are
 * not followed (`const c = Wiki; c.nextId++`), nor calls (`cache.set(k, v)`,
 * `log.push(x)`): only assignments, `++`/`--` and `delete` are seen.
 */
export function findOutsideWrite(source: string): OutsideWrite | undefined {
  const parsed = parseFunctionSource(source);
  const top = parsed === undefined ? undefined : topFunction(parsed.ast);
  if (parsed === undefined || top === undefined) return undefined;
  return new WriteFinder(parsed.text, top).walk(top);
}

/**
 * findOutsideWrite for what constructing an instance of a class runs (its
 * constructor and instance field initialisers: see constructionParts), as
 * in `id = ++Page.lastId`.
 */
export function findOutsideWriteInConstruction(source: string): OutsideWrite | undefined {
  const construction = constructionParts(source);
  if (construction === undefined) return undefined;
  return firstOf(construction.parts, (part) => new WriteFinder(construction.text, part).walk(part));
}

class WriteFinder {
  readonly #locals: LocalNames;

  constructor(
    private readonly text: string,
    root: AnyNode,
  ) {
    // A function's own name is no local here: in a constructor function (a class compiled
    // for ES5) `Page.lastId` is a static field, and `create.calls` a property of the method.
    const anonymous = root.type === 'FunctionExpression' ? { ...root, id: null } : root;
    this.#locals = declaredNames(anonymous, undefined, false);
  }

  /** The first write outside the state in `node`, which is in `statement` (see #isScratch). */
  walk(node: AnyNode, statement: AnyNode = node): OutsideWrite | undefined {
    const here = STATEMENT.test(node.type) ? node : statement;
    const found = this.#visit(node, here);
    if (found !== undefined) return found;
    return firstOf(childEntries(node), ([, child]) => this.walk(child, here));
  }

  #visit(node: AnyNode, statement: AnyNode): OutsideWrite | undefined {
    switch (node.type) {
      case 'AssignmentExpression':
        return isTemplateCache(node)
          ? undefined
          : this.#target(node, nodeAt(node, 'left'), statement);
      case 'UpdateExpression':
        return this.#target(node, nodeAt(node, 'argument'), statement);
      case 'UnaryExpression':
        return node['operator'] === 'delete'
          ? this.#member(node, nodeAt(node, 'argument'), statement)
          : undefined;
      case 'ForInStatement':
      case 'ForOfStatement': {
        const left = nodeAt(node, 'left');
        // A declaration binds its own names; a bare target (`for (x of xs)`) writes one.
        return left?.type === 'VariableDeclaration'
          ? undefined
          : this.#target(left!, left, statement);
      }
      default:
        return undefined;
    }
  }

  /** A write to `target`, a name, a member or a destructuring pattern, by `whole`. */
  #target(
    whole: AnyNode,
    target: AnyNode | undefined,
    statement: AnyNode,
  ): OutsideWrite | undefined {
    if (target === undefined) return undefined;
    switch (target.type) {
      case 'Identifier': {
        const name = String(target['name']);
        return this.#isLocal(name, target) || isScratch(name, statement)
          ? undefined
          : this.#found(whole, name);
      }
      case 'MemberExpression':
        return this.#member(whole, target, statement);
      case 'ObjectPattern':
        return firstOf(nodesAt(target, 'properties'), (prop) =>
          this.#target(
            whole,
            prop.type === 'RestElement' ? prop : nodeAt(prop, 'value'),
            statement,
          ),
        );
      case 'ArrayPattern':
        return firstOf(nodesAt(target, 'elements'), (element) =>
          this.#target(whole, element, statement),
        );
      case 'RestElement':
        return this.#target(whole, nodeAt(target, 'argument'), statement);
      case 'AssignmentPattern':
        return this.#target(whole, nodeAt(target, 'left'), statement);
      default:
        return undefined;
    }
  }

  /** A write to a property of `target`: outside the state when the chain starts at a free name or at `this.constructor`. */
  #member(
    whole: AnyNode,
    target: AnyNode | undefined,
    statement: AnyNode,
  ): OutsideWrite | undefined {
    let node = target;
    if (node?.type === 'ChainExpression') node = nodeAt(node, 'expression');
    if (node?.type !== 'MemberExpression') return undefined;
    let root = node;
    let first: AnyNode = node;
    for (;;) {
      const object = nodeAt(root, 'object');
      if (object?.type === 'MemberExpression') {
        first = object;
        root = object;
      } else if (object?.type === 'ChainExpression') {
        root = nodeAt(object, 'expression') ?? object;
        if (root.type !== 'MemberExpression') return undefined;
        first = root;
      } else {
        if (object?.type === 'Identifier') {
          const name = String(object['name']);
          if (this.#isLocal(name, object) || isScratch(name, statement)) return undefined;
          return this.#found(whole, snippet(this.text, node));
        }
        // `super.constructor` is the base class: its static fields are no more state.
        const self = object?.type === 'ThisExpression' || object?.type === 'Super';
        if (self && staticKey(first, 'property') === 'constructor') {
          return first === node ? undefined : this.#found(whole, snippet(this.text, node));
        }
        return undefined;
      }
    }
  }

  #isLocal(name: string, at: AnyNode): boolean {
    // `arguments` is every (non-arrow) function's own; the methods checked are such functions.
    if (name === 'arguments' || name === 'undefined' || this.#locals.has(name, at.start)) {
      return true;
    }
    // tsc's alias of a decorated class that refers to itself, `let Acc = Acc_1 = class Acc
    // {…}`, is declared at module level (`var Acc_1;`) even for a class declared here.
    const alias = /^(.+)_\d+$/.exec(name);
    return alias !== null && this.#locals.has(alias[1]!, at.start);
  }

  #found(whole: AnyNode, target: string): OutsideWrite {
    return { text: snippet(this.text, whole), target };
  }
}

// Nodes a write is judged within by isScratch (or the part walked, when none encloses it).
const STATEMENT = /Statement$|^VariableDeclaration$/;

/**
 * True for a compiler's temporary: a name starting with `_` whose first use
 * in `statement` is a plain assignment to it (`_a = …`, its right side not
 * reading it) and which is read again after that assignment, in the same
 * statement. Such a variable carries nothing from one statement to the next,
 * let alone from one action to the next. esbuild (for targets before
 * ES2020) hoists these to the module for lowered field initialisers: `var
 * _a;` there, and in the constructor `__publicField(this, "label", (_a =
 * this.title) != null ? _a : "untitled")` or `(_d = this.options).meta = …`.
 */
function isScratch(name: string, statement: AnyNode): boolean {
  if (!name.startsWith('_')) return false;
  const uses: AnyNode[] = [];
  let assignment: AnyNode | undefined;
  const visit = (node: AnyNode): void => {
    if (node.type === 'Identifier' && node['name'] === name) uses.push(node);
    const left = node.type === 'AssignmentExpression' ? nodeAt(node, 'left') : undefined;
    if (left?.type === 'Identifier' && left['name'] === name && node['operator'] === '=') {
      if (assignment === undefined || left.start < nodeAt(assignment, 'left')!.start) {
        assignment = node;
      }
    }
    for (const [, child] of childEntries(node)) visit(child);
  };
  visit(statement);
  const first = uses.reduce<AnyNode | undefined>(
    (earliest, use) => (earliest === undefined || use.start < earliest.start ? use : earliest),
    undefined,
  );
  if (assignment === undefined || first !== nodeAt(assignment, 'left')) return false;
  const end = assignment.end;
  return (
    !uses.some((use) => use !== first && use.start < end) && uses.some((use) => use.start >= end)
  );
}

/** `cache = helper(...)` for one of the TEMPLATE_HELPERS, called with literals only. */
function isTemplateCache(assignment: AnyNode): boolean {
  const right = nodeAt(assignment, 'right');
  if (assignment['operator'] !== '=' || nodeAt(assignment, 'left')?.type !== 'Identifier') {
    return false;
  }
  if (right?.type !== 'CallExpression') return false;
  const callee = unwrapCallee(nodeAt(right, 'callee'));
  const name =
    callee?.type === 'Identifier'
      ? String(callee['name'])
      : callee?.type === 'MemberExpression'
        ? staticKey(callee, 'property')
        : undefined;
  return (
    name !== undefined &&
    TEMPLATE_HELPERS.has(name) &&
    nodesAt(right, 'arguments').every(isStringArray)
  );
}

/** An array literal of string literals (`undefined` for a cooked string an invalid escape leaves out). */
function isStringArray(node: AnyNode): boolean {
  return (
    node.type === 'ArrayExpression' &&
    nodesAt(node, 'elements').every(
      (element) =>
        (element.type === 'Literal' && typeof element['value'] === 'string') ||
        (element.type === 'UnaryExpression' && element['operator'] === 'void') ||
        (element.type === 'Identifier' && element['name'] === 'undefined'),
    )
  );
}
