import {
  childEntries,
  declaredNames,
  nodeAt,
  parseFunctionSource,
  snippet,
  staticKey,
  topFunction,
  type AnyNode,
  type LocalNames,
} from './ast';

/**
 * A member an action's source reaches that the determinism check does not
 * read as an action: `this.name` (called or read: a `@readonly` method or a
 * getter) or a static member, `Name.member` or `this.constructor.member`.
 */
export interface Callee {
  /** `this`: a member of the instance; `static`: of a class (`Name.member`, `this.constructor.member`). */
  readonly kind: 'this' | 'static';
  /** For `static`: the class name read (`Shop`), or undefined for `this.constructor`. */
  readonly className?: string | undefined;
  /** The member's name. */
  readonly name: string;
  /** The expression as written, whitespace collapsed: `Shop.stamp`. */
  readonly text: string;
}

/**
 * The members named by a static key on `this`, on `this.constructor` (or
 * `super.constructor`) and on a name the function does not declare (a
 * class, in scope at module level), in a function's source, callbacks
 * defined in it included (not `this` in a function, method or class it
 * defines, which is another object); each once, but not where only assigned
 * (`this.x = v` runs a setter). Empty when the source does not parse.
 */
export function calleesOf(source: string): Callee[] {
  const parsed = parseFunctionSource(source);
  const top = parsed === undefined ? undefined : topFunction(parsed.ast);
  if (parsed === undefined || top === undefined) return [];
  const anonymous = top.type === 'FunctionExpression' ? { ...top, id: null } : top;
  const locals = declaredNames(anonymous, undefined, false);
  const found = new Map<string, Callee>();
  // `assigned`: the target of a plain assignment (`this.x = v` runs a setter, not the getter);
  // what it is read from (`this.a` in `this.a.b = v`) is still read.
  // `ownThis`: `this` is the action's (not inside a function, method or class it defines;
  // an arrow function's is).
  const visit = (node: AnyNode, assigned = false, ownThis = true): void => {
    if (node.type === 'MemberExpression' && !assigned) {
      const callee = calleeAt(node, parsed.text, locals, ownThis);
      if (callee !== undefined) found.set(`${callee.kind}:${callee.text}`, callee);
    }
    const target =
      node.type === 'AssignmentExpression' && node['operator'] === '='
        ? nodeAt(node, 'left')
        : undefined;
    const childThis = ownThis && (node === top || !BINDS_THIS.has(node.type));
    for (const [, child] of childEntries(node)) visit(child, child === target, childThis);
  };
  visit(top);
  return [...found.values()];
}

/** The nodes inside which `this` is another object than outside. */
const BINDS_THIS = new Set([
  'FunctionExpression',
  'FunctionDeclaration',
  'ClassExpression',
  'ClassDeclaration',
]);

function calleeAt(
  node: AnyNode,
  text: string,
  locals: LocalNames,
  ownThis: boolean,
): Callee | undefined {
  const name = staticKey(node, 'property');
  const object = nodeAt(node, 'object');
  if (name === undefined || object === undefined) return undefined;
  if (object.type === 'ThisExpression') {
    if (!ownThis) return undefined;
    return name === 'constructor' ? undefined : { kind: 'this', name, text: snippet(text, node) };
  }
  if (object.type === 'Identifier') {
    const className = String(object['name']);
    if (locals.has(className, object.start)) return undefined;
    return { kind: 'static', className, name, text: snippet(text, node) };
  }
  if (object.type === 'MemberExpression' && staticKey(object, 'property') === 'constructor') {
    const self = nodeAt(object, 'object');
    if (ownThis && (self?.type === 'ThisExpression' || self?.type === 'Super')) {
      return { kind: 'static', className: undefined, name, text: snippet(text, node) };
    }
  }
  return undefined;
}
