import { parseFunctionSource, topFunction, nodeAt, nodesAt, type AnyNode } from '../clock/ast';

/**
 * What a `@readonly` method's source shows about it when it is a pure
 * read: the property names it reads by name and whether it reads one by a
 * parameter's value (`this.pages[id]`).
 */
export interface PureRead {
  /** Names read as `x.name` or `x['name']`. */
  readonly names: ReadonlySet<string>;
  /** Indexes of the parameters read as computed keys (`x[param]`). */
  readonly keyParams: readonly number[];
  /** Names of the look-up methods it calls (`x.get(k)`, `x.has(k)`: see LOOKUP_METHODS). */
  readonly calls: ReadonlySet<string>;
}

/**
 * The methods a pure read may call: the look-ups of Map and Set (`get`,
 * `has`), built-ins that change nothing. The guard makes sure no other code
 * answers to these names where the state is (a method of a registered class,
 * a function an action stored).
 */
export const LOOKUP_METHODS: ReadonlySet<string> = new Set(['get', 'has']);

/**
 * The pure-read shape of method `fn`, or undefined when its source has any
 * other form. A pure read cannot change anything by itself: its body holds
 * only `return`, `if`, blocks and `const`/`let` declarations of plain
 * names, over expressions that read properties (of `this`, of what it read,
 * by name or by a parameter's value), call `get` or `has` on what it read
 * (a Map's or Set's look-up), compare with `===`/`!==` (or `==` null),
 * test with `!`, `typeof`, `in`, `?:`, `&&`, `||`, `??`, and name
 * parameters, locals, literals and `undefined`. Nothing else calls a
 * function, assigns, converts an object to a primitive or makes a new
 * object, so the only code such a method can run besides its own is a
 * getter or a look-up method, which the caller checks (see
 * pure-query-guard.ts). Such a method may run on the raw
 * state: no change can go unjournaled through it, and a result that is a
 * state object is handed out as the view the read-only `this` would have
 * given.
 */
export function pureReadOf(fn: unknown): PureRead | undefined {
  if (typeof fn !== 'function') return undefined;
  // Parsed once per function, not once per system opened.
  let known = pureReads.get(fn);
  if (known === undefined) pureReads.set(fn, (known = readOf(fn) ?? null));
  return known ?? undefined;
}

const pureReads = new WeakMap<object, PureRead | null>();

function readOf(fn: object): PureRead | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  const parsed = parseFunctionSource(source);
  if (parsed === undefined) return undefined;
  const top = topFunction(parsed.ast);
  if (top?.type !== 'FunctionExpression' || top['async'] === true || top['generator'] === true) {
    return undefined;
  }
  const params: string[] = [];
  for (const param of nodesAt(top, 'params')) {
    if (param.type !== 'Identifier') return undefined;
    const name = String(param['name']);
    // Sloppy JavaScript allows `function (k, k)`: the last binds, so the
    // argument checked for a key would not be the one read by.
    if (params.includes(name)) return undefined;
    params.push(name);
  }
  const body = nodeAt(top, 'body');
  if (body === undefined) return undefined;
  const check = new PureReadCheck(params);
  return check.statement(body) ? check.result() : undefined;
}

const PURE_UNARY = new Set(['!', 'typeof', 'void']);
const STRICT_EQUALITY = new Set(['===', '!==']);
const LOOSE_EQUALITY = new Set(['==', '!=']);

class PureReadCheck {
  readonly #params: readonly string[];
  #locals = new Set<string>();
  readonly #names = new Set<string>();
  readonly #keyParams = new Set<number>();
  readonly #calls = new Set<string>();

  constructor(params: readonly string[]) {
    this.#params = params;
  }

  result(): PureRead {
    return {
      names: this.#names,
      keyParams: [...this.#keyParams].sort((a, b) => a - b),
      calls: this.#calls,
    };
  }

  statement(node: AnyNode): boolean {
    switch (node.type) {
      case 'BlockStatement': {
        // A block's names end with it: after it, the name is an outer one's (or a global).
        const outer = this.#locals;
        this.#locals = new Set(outer);
        const pure = nodesAt(node, 'body').every((s) => this.statement(s));
        this.#locals = outer;
        return pure;
      }
      case 'EmptyStatement':
        return true;
      case 'ReturnStatement': {
        const argument = nodeAt(node, 'argument');
        return argument === undefined || this.expression(argument);
      }
      case 'IfStatement': {
        const test = nodeAt(node, 'test');
        const consequent = nodeAt(node, 'consequent');
        const alternate = nodeAt(node, 'alternate');
        return (
          test !== undefined &&
          consequent !== undefined &&
          this.expression(test) &&
          this.statement(consequent) &&
          (alternate === undefined || this.statement(alternate))
        );
      }
      case 'VariableDeclaration':
        if (node['kind'] !== 'const' && node['kind'] !== 'let') return false;
        return nodesAt(node, 'declarations').every((d) => this.declarator(d));
      default:
        return false;
    }
  }

  declarator(node: AnyNode): boolean {
    const id = nodeAt(node, 'id');
    if (id?.type !== 'Identifier') return false;
    const name = String(id['name']);
    // A local named like a parameter would hide it, and a parameter's value
    // is what is checked for a key; `arguments` is the parameters' object.
    if (this.#params.includes(name) || name === 'arguments') return false;
    this.#locals.add(name);
    const init = nodeAt(node, 'init');
    return init === undefined || this.expression(init);
  }

  expression(node: AnyNode): boolean {
    switch (node.type) {
      case 'ThisExpression':
        return true;
      case 'Identifier': {
        const name = String(node['name']);
        return this.#params.includes(name) || this.#locals.has(name) || name === 'undefined';
      }
      case 'Literal':
        // Not a RegExp literal, which makes an object.
        return node['regex'] === undefined;
      case 'MemberExpression':
        return this.member(node);
      case 'ChainExpression':
        return this.sub(node, 'expression');
      case 'ConditionalExpression':
        return (
          this.sub(node, 'test') && this.sub(node, 'consequent') && this.sub(node, 'alternate')
        );
      case 'LogicalExpression':
        return this.sub(node, 'left') && this.sub(node, 'right');
      case 'SequenceExpression':
        return nodesAt(node, 'expressions').every((e) => this.expression(e));
      case 'UnaryExpression':
        return PURE_UNARY.has(String(node['operator'])) && this.sub(node, 'argument');
      case 'BinaryExpression':
        return this.binary(node);
      case 'CallExpression':
        return this.lookup(node);
      default:
        return false;
    }
  }

  sub(node: AnyNode, key: string): boolean {
    const child = nodeAt(node, key);
    return child !== undefined && this.expression(child);
  }

  member(node: AnyNode): boolean {
    const object = nodeAt(node, 'object');
    const property = nodeAt(node, 'property');
    if (object === undefined || property === undefined || !isReadable(object)) return false;
    if (!this.expression(object)) return false;
    if (node['computed'] !== true) {
      // Not a #private name: a private getter is no property a guard can see.
      if (property.type !== 'Identifier') return false;
      this.#names.add(String(property['name']));
      return true;
    }
    if (property.type === 'Literal') {
      const value = property['value'];
      if (typeof value !== 'string' && typeof value !== 'number') return false;
      this.#names.add(String(value));
      return true;
    }
    // A parameter's value as the key: a primitive (checked per call), so no
    // conversion runs code, and a getter by that name is looked for per call.
    if (property.type !== 'Identifier') return false;
    const index = this.#params.indexOf(String(property['name']));
    if (index < 0) return false;
    this.#keyParams.add(index);
    return true;
  }

  /** `x.get(k)` or `x.has(k)` (optional chains too), its arguments pure reads. */
  lookup(node: AnyNode): boolean {
    const callee = nodeAt(node, 'callee');
    if (callee?.type !== 'MemberExpression' || callee['computed'] === true) return false;
    const property = nodeAt(callee, 'property');
    const object = nodeAt(callee, 'object');
    if (property?.type !== 'Identifier' || object === undefined || !isReadable(object)) {
      return false;
    }
    const name = String(property['name']);
    if (!LOOKUP_METHODS.has(name) || !this.expression(object)) return false;
    this.#names.add(name);
    this.#calls.add(name);
    return nodesAt(node, 'arguments').every(
      (a) => a.type !== 'SpreadElement' && this.expression(a),
    );
  }

  binary(node: AnyNode): boolean {
    const operator = String(node['operator']);
    const left = nodeAt(node, 'left');
    const right = nodeAt(node, 'right');
    if (left === undefined || right === undefined) return false;
    if (!this.expression(left) || !this.expression(right)) return false;
    if (STRICT_EQUALITY.has(operator)) return true;
    // `x == null` converts nothing; `==` between other values may call valueOf.
    if (LOOSE_EQUALITY.has(operator)) return isNullLiteral(left) || isNullLiteral(right);
    // `key in obj` with a literal or parameter key (a primitive): no conversion.
    if (operator === 'in') {
      if (left.type === 'Literal') return true;
      if (left.type !== 'Identifier') return false;
      const index = this.#params.indexOf(String(left['name']));
      if (index < 0) return false;
      this.#keyParams.add(index);
      return true;
    }
    return false;
  }
}

/**
 * False for what a pure read may not read a property of: `super`, and the
 * name `undefined`, which a module may declare as anything
 * (`const undefined = { get(o) { … } }`) where a method sees it.
 */
function isReadable(object: AnyNode): boolean {
  if (object.type === 'Super') return false;
  return !(object.type === 'Identifier' && object['name'] === 'undefined');
}

function isNullLiteral(node: AnyNode): boolean {
  return node.type === 'Literal' && node['value'] === null && node['regex'] === undefined;
}
