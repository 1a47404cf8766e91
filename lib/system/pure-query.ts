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
  /**
   * Indexes of the parameters it reads as lists (`ids.length`, `ids[i]`,
   * `for (const id of ids)`): each must be an array of primitives, which
   * the raw run gets a copy of (see PureQueryGuard.allows).
   */
  readonly listParams: readonly number[];
  /** The list parameters whose elements it reads by (`this.pages[ids[i]]`): each element is checked as a key. */
  readonly keyLists: readonly number[];
  /** Whether it reads by a loop counter (`this.list[i]`): no getter may have a whole number's name. */
  readonly counterKeys: boolean;
  /** Whether it adds to a list of its own (`out.push(x)`): Array.prototype.push must be the built-in's. */
  readonly pushes: boolean;
  /** Whether it loops with `for…of` over a list parameter: the array iterator must be the built-in's. */
  readonly iterates: boolean;
  /**
   * Whether it loops with `for…of` over a value of the state (`for (const p
   * of this.list)`): every iteration the state's objects can have must be
   * the built-ins' own (see PureQueryGuard).
   */
  readonly iteratesState: boolean;
  /**
   * Whether what it returns is a list of its own (every `return` gives one
   * or nothing): the raw run hands out the list with each state object in
   * it replaced by its view.
   */
  readonly returnsList: boolean;
  /** Whether it uses any of the list forms above (the guard then checks more: see PureQueryGuard). */
  readonly usesLists: boolean;
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
 * parameters, locals, literals and `undefined`. It may also gather a list
 * of its own: `const out = []`, `out.push(x)`, `return out`, in loops over
 * a parameter that is an array of primitives (`for (let i = 0; i <
 * ids.length; i++)` reading `ids[i]`, or `for (const id of ids)`) or over a
 * value of the state (`for (const p of this.list)`), with
 * `break` and `continue`. Nothing else calls a function, assigns, converts
 * an object to a primitive or makes a new object (but the list, which
 * holds what the method read), so the only code such a method can run
 * besides its own is a getter or a look-up method, which the caller checks
 * (see pure-query-guard.ts). Such a method may run on the raw state: no
 * change can go unjournaled through it, and a result that is a state
 * object (or a list of them) is handed out as the view the read-only
 * `this` would have given.
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
  if (!check.statement(body)) return undefined;
  const read = check.result();
  // A list of its own is made in the function's realm: `[]` there has that
  // realm's Array.prototype, and its push that realm's, which the guard
  // never looks at (a setter at an index there would get the raw objects).
  // A function of this realm has this realm's Function.prototype.
  if (read.usesLists && Object.getPrototypeOf(fn) !== Function.prototype) return undefined;
  return read;
}

const PURE_UNARY = new Set(['!', 'typeof', 'void']);
const STRICT_EQUALITY = new Set(['===', '!==']);
const LOOSE_EQUALITY = new Set(['==', '!=']);
const LOOP_BOUNDS = new Set(['<', '<=']);

/**
 * What a local name holds: a value it read (`const p = this.pages[id]`), a
 * list of the method's own (`const out = []`), a loop counter (a number),
 * or an element of list parameter `list` (a primitive).
 */
type Local =
  | { readonly kind: 'value' | 'list' }
  | {
      readonly kind: 'counter';
      /** Whether its every value is an array index (below 2^32 - 1). */
      readonly indexes: boolean;
    }
  | { readonly kind: 'element'; readonly list: number };

const VALUE: Local = { kind: 'value' };
const LIST: Local = { kind: 'list' };

/** The largest array index. */
const MAX_INDEX = 2 ** 32 - 2;

class PureReadCheck {
  readonly #params: readonly string[];
  /** How each parameter is used: as a primitive, or as a list (an array of primitives). */
  readonly #paramUses: Array<'scalar' | 'list' | undefined>;
  #locals = new Map<string, Local>();
  readonly #names = new Set<string>();
  readonly #keyParams = new Set<number>();
  readonly #calls = new Set<string>();
  readonly #keyLists = new Set<number>();
  #counterKeys = false;
  #pushes = false;
  #iterates = false;
  #iteratesState = false;
  /** What the `return`s with a value gave so far: a list of the method's own, or anything else. */
  #returns: 'list' | 'value' | undefined;
  /** How many loops the statement being checked is in (`break` and `continue` need one). */
  #loops = 0;

  constructor(params: readonly string[]) {
    this.#params = params;
    this.#paramUses = params.map(() => undefined);
  }

  result(): PureRead {
    return {
      names: this.#names,
      keyParams: [...this.#keyParams].sort((a, b) => a - b),
      calls: this.#calls,
      listParams: this.#paramUses.flatMap((use, i) => (use === 'list' ? [i] : [])),
      keyLists: [...this.#keyLists].sort((a, b) => a - b),
      counterKeys: this.#counterKeys,
      pushes: this.#pushes,
      iterates: this.#iterates,
      iteratesState: this.#iteratesState,
      returnsList: this.#returns === 'list',
      usesLists:
        this.#paramUses.includes('list') ||
        this.#counterKeys ||
        this.#pushes ||
        this.#iterates ||
        this.#iteratesState ||
        this.#returns === 'list',
    };
  }

  statement(node: AnyNode): boolean {
    switch (node.type) {
      case 'BlockStatement':
        return this.scoped(() => nodesAt(node, 'body').every((s) => this.statement(s)));
      case 'EmptyStatement':
        return true;
      case 'ReturnStatement':
        return this.return(node);
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
      case 'ExpressionStatement':
        return this.push(nodeAt(node, 'expression'));
      case 'ForStatement':
        return this.scoped(() => this.countingLoop(node));
      case 'ForOfStatement':
        return this.scoped(() => this.listLoop(node));
      case 'BreakStatement':
      case 'ContinueStatement':
        return this.#loops > 0 && node['label'] == null;
      default:
        return false;
    }
  }

  /** Runs `check` with a scope of its own: a block's names end with it (after it, the name is an outer one's, or a global). */
  scoped(check: () => boolean): boolean {
    const outer = this.#locals;
    this.#locals = new Map(outer);
    try {
      return check();
    } finally {
      this.#locals = outer;
    }
  }

  /** `return`: every one with a value gives a list of the method's own, or none does. */
  return(node: AnyNode): boolean {
    const argument = nodeAt(node, 'argument');
    if (argument === undefined) return true;
    const kind = this.localOf(argument)?.kind === 'list' ? 'list' : 'value';
    if (this.#returns !== undefined && this.#returns !== kind) return false;
    this.#returns = kind;
    return kind === 'list' || this.expression(argument);
  }

  declarator(node: AnyNode): boolean {
    const id = nodeAt(node, 'id');
    if (id?.type !== 'Identifier') return false;
    const name = String(id['name']);
    if (!this.isLocalName(name)) return false;
    const init = nodeAt(node, 'init');
    // `[]`: a list of the method's own, which only push and return may use.
    if (init?.type === 'ArrayExpression' && (init['elements'] as unknown[]).length === 0) {
      this.#locals.set(name, LIST);
      return true;
    }
    this.#locals.set(name, VALUE);
    return init === undefined || this.expression(init);
  }

  /**
   * A local named like a parameter would hide it, and a parameter's value
   * is what is checked for a key; `arguments` is the parameters' object.
   */
  isLocalName(name: string): boolean {
    return !this.#params.includes(name) && name !== 'arguments';
  }

  localOf(node: AnyNode): Local | undefined {
    return node.type === 'Identifier' ? this.#locals.get(String(node['name'])) : undefined;
  }

  /** Records that parameter `index` is used as `use`; false when it is used the other way too. */
  useParam(index: number, use: 'scalar' | 'list'): boolean {
    const was = this.#paramUses[index];
    if (was !== undefined && was !== use) return false;
    this.#paramUses[index] = use;
    return true;
  }

  /** `out.push(x, …)`, as a statement, on a list of the method's own; each argument a pure read. */
  push(node: AnyNode | undefined): boolean {
    if (node?.type !== 'CallExpression' || node['optional'] === true) return false;
    const callee = nodeAt(node, 'callee');
    if (callee?.type !== 'MemberExpression' || callee['computed'] === true) return false;
    if (callee['optional'] === true) return false;
    const object = nodeAt(callee, 'object');
    const property = nodeAt(callee, 'property');
    if (object === undefined || this.localOf(object)?.kind !== 'list') return false;
    if (property?.type !== 'Identifier' || property['name'] !== 'push') return false;
    const args = nodesAt(node, 'arguments');
    this.#pushes = true;
    return args.length > 0 && args.every((a) => a.type !== 'SpreadElement' && this.expression(a));
  }

  /**
   * `for (let i = <number>; i < <bound>; i++) …`, the bound a number or
   * the `length` of a parameter or list: `i` is a number no other code
   * changes.
   */
  countingLoop(node: AnyNode): boolean {
    const init = nodeAt(node, 'init');
    const test = nodeAt(node, 'test');
    const update = nodeAt(node, 'update');
    const body = nodeAt(node, 'body');
    if (init?.type !== 'VariableDeclaration' || init['kind'] !== 'let') return false;
    if (test?.type !== 'BinaryExpression' || update?.type !== 'UpdateExpression') return false;
    const declarations = nodesAt(init, 'declarations');
    const declaration = declarations[0];
    if (declarations.length !== 1 || declaration === undefined || body === undefined) return false;
    const id = nodeAt(declaration, 'id');
    // From a whole number: the counter's names are then those of the guard's index checks
    // (`for (let i = 0.5; …)` reads '0.5', '1.5', …).
    if (id?.type !== 'Identifier' || !isCountFrom(nodeAt(declaration, 'init'))) return false;
    const name = String(id['name']);
    if (!this.isLocalName(name)) return false;
    const left = nodeAt(test, 'left');
    const right = nodeAt(test, 'right');
    if (!LOOP_BOUNDS.has(String(test['operator'])) || !isNamed(left, name)) return false;
    if (right === undefined || !(isNumberLiteral(right) || this.isLength(right))) return false;
    if (update['operator'] !== '++' || !isNamed(nodeAt(update, 'argument'), name)) return false;
    // A parameter whose length bounds the loop is a list, whose copy's length is a number: a
    // primitive's is what its prototype holds (Number.prototype.length may be an object, which
    // `<` converts, running its valueOf, and again when the read then goes the views' way).
    const bound = right.type === 'MemberExpression' ? nodeAt(right, 'object') : undefined;
    const boundParam = bound === undefined ? -1 : this.#params.indexOf(String(bound['name']));
    if (boundParam >= 0 && !this.useParam(boundParam, 'list')) return false;
    this.#locals.set(
      name,
      this.counter(Number(nodeAt(declaration, 'init')?.['value']), test, right),
    );
    return this.loopBody(body);
  }

  /**
   * A counter from `start` while `test` (`i < right` or `i <= right`): whether
   * its every value is an array index, which is what the guard's check of
   * Array.prototype covers (its length) when it reads a list past its end. A
   * literal bound says; a list parameter's length is its copy's (at most
   * MAX_LIST_COPY, see pure-query-guard.ts); a list of the method's own is
   * shorter than 2^32 - 1, so `<` holds. (A parameter whose length bounds a
   * loop is a list: see countingLoop.)
   */
  counter(start: number, test: AnyNode, right: AnyNode): Local {
    const below = test['operator'] === '<';
    let indexes = start <= MAX_INDEX;
    if (isNumberLiteral(right)) {
      const bound = Number(right['value']);
      indexes &&= below ? bound <= MAX_INDEX + 1 : bound < MAX_INDEX + 1;
    } else {
      const name = String(nodeAt(right, 'object')?.['name']);
      if (!this.#params.includes(name)) indexes &&= below;
    }
    return { kind: 'counter', indexes };
  }

  /**
   * `for (const x of list) …` over a list parameter, `x` one of its elements
   * (a primitive); or over a value of the state (see stateIterable), `x` a
   * value (a state object, a Map's entry, a character).
   */
  listLoop(node: AnyNode): boolean {
    const left = nodeAt(node, 'left');
    const right = nodeAt(node, 'right');
    const body = nodeAt(node, 'body');
    if (node['await'] === true || body === undefined || right === undefined) return false;
    if (left?.type !== 'VariableDeclaration') return false;
    if (left['kind'] !== 'const' && left['kind'] !== 'let') return false;
    const declarations = nodesAt(left, 'declarations');
    const declaration = declarations[0];
    if (declarations.length !== 1 || declaration === undefined) return false;
    const id = nodeAt(declaration, 'id');
    if (id?.type !== 'Identifier' || nodeAt(declaration, 'init') !== undefined) return false;
    const name = String(id['name']);
    if (!this.isLocalName(name)) return false;
    const list = right.type === 'Identifier' ? this.#params.indexOf(String(right['name'])) : -1;
    if (list < 0) {
      // Over a value of the state: `x` is what its iteration gives (a state object, an entry).
      if (!this.stateIterable(right)) return false;
      this.#iteratesState = true;
      this.#locals.set(name, VALUE);
      return this.loopBody(body);
    }
    if (!this.useParam(list, 'list')) return false;
    this.#iterates = true;
    this.#locals.set(name, { kind: 'element', list });
    return this.loopBody(body);
  }

  /**
   * What `for…of` may loop over besides a list parameter: a pure read of
   * the state (`this.list`, a value local); not a list of the method's own,
   * a loop counter or an element (a primitive), a literal, `undefined`, a
   * call or an optional chain.
   */
  stateIterable(node: AnyNode): boolean {
    if (node.type === 'Identifier') return this.localOf(node)?.kind === 'value';
    if (node.type !== 'ThisExpression' && node.type !== 'MemberExpression') return false;
    return this.expression(node);
  }

  loopBody(body: AnyNode): boolean {
    this.#loops++;
    try {
      return this.statement(body);
    } finally {
      this.#loops--;
    }
  }

  /** `p.length` of a parameter (a primitive's, or a list's copy) or of a list of the method's own: never a getter of the state's. */
  isLength(node: AnyNode): boolean {
    if (node.type !== 'MemberExpression' || node['computed'] === true) return false;
    const object = nodeAt(node, 'object');
    const property = nodeAt(node, 'property');
    if (object?.type !== 'Identifier' || property?.type !== 'Identifier') return false;
    if (property['name'] !== 'length') return false;
    const name = String(object['name']);
    if (!this.#params.includes(name) && this.#locals.get(name)?.kind !== 'list') return false;
    // A primitive's length could be a getter on its prototype: looked for like any name.
    this.#names.add('length');
    return true;
  }

  expression(node: AnyNode): boolean {
    switch (node.type) {
      case 'ThisExpression':
        return true;
      case 'Identifier': {
        const name = String(node['name']);
        const local = this.#locals.get(name);
        // A list of the method's own holds state objects: only push and return may use it.
        if (local !== undefined) return local.kind !== 'list';
        const index = this.#params.indexOf(name);
        if (index >= 0) return this.useParam(index, 'scalar');
        return name === 'undefined';
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
    if (node['computed'] === true && this.listElement(object, property) !== undefined) return true;
    if (this.isLength(node)) return true;
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
    return this.dynamicKey(property);
  }

  /**
   * `ids[i]`, list parameter `ids` read by loop counter `i` (an element of
   * the copy the raw run gets, a primitive): the parameter's index, or
   * undefined for any other form.
   */
  listElement(object: AnyNode, property: AnyNode): number | undefined {
    const counter = this.localOf(property);
    if (object.type !== 'Identifier' || counter?.kind !== 'counter') return undefined;
    // Past the copy's end the read asks Array.prototype, which the guard asks
    // per call for array indexes only (by its length): other names such as
    // '4294967295' could give a key never checked, or run a getter mid-run.
    if (!counter.indexes) return undefined;
    const index = this.#params.indexOf(String(object['name']));
    if (index < 0 || !this.useParam(index, 'list')) return undefined;
    return index;
  }

  /**
   * A key that is a primitive known only per call: a parameter's value or a
   * list's element (each checked by the guard for a getter of that name),
   * or a loop counter (no getter may have a whole number's name).
   */
  dynamicKey(key: AnyNode): boolean {
    const local = this.localOf(key);
    if (local?.kind === 'counter') {
      this.#counterKeys = true;
      return true;
    }
    if (local?.kind === 'element') {
      this.#keyLists.add(local.list);
      return true;
    }
    if (local !== undefined) return false;
    if (key.type === 'MemberExpression' && key['computed'] === true) {
      const object = nodeAt(key, 'object');
      const property = nodeAt(key, 'property');
      const list =
        object === undefined || property === undefined
          ? undefined
          : this.listElement(object, property);
      if (list === undefined) return false;
      this.#keyLists.add(list);
      return true;
    }
    if (key.type !== 'Identifier') return false;
    const index = this.#params.indexOf(String(key['name']));
    if (index < 0 || !this.useParam(index, 'scalar')) return false;
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
    // `key in obj` with a literal key or one checked per call (a primitive): no conversion.
    if (operator === 'in') return left.type === 'Literal' || this.dynamicKey(left);
    return false;
  }
}

function isNamed(node: AnyNode | undefined, name: string): boolean {
  return node?.type === 'Identifier' && node['name'] === name;
}

/** A literal whole number from 0 on, below 2^53 (`1e21` would count as '1e+21'). */
function isCountFrom(node: AnyNode | undefined): boolean {
  return (
    isNumberLiteral(node) && Number.isSafeInteger(node?.['value']) && Number(node?.['value']) >= 0
  );
}

function isNumberLiteral(node: AnyNode | undefined): boolean {
  return node?.type === 'Literal' && typeof node['value'] === 'number';
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
