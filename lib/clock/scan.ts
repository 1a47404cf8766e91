import {
  childEntries,
  declaredNames,
  firstOf,
  isBindingKey,
  nodeAt,
  nodesAt,
  parseFunctionSource,
  snippet,
  staticKey,
  topFunction,
  type AnyNode,
  type LocalNames,
} from './ast';
import { alwaysForbiddenPrefix, forbiddenMatch } from './forbidden';
import { dottedName, nameChain, unwrapCallee, type NameChain } from './names';

/** A use of time or randomness (or a hidden async body) found in a function's source. */
export interface Finding {
  /**
   * `call`: the function is called; `reference`: it is read, so an alias could
   * call it later; `async`: the body is async code compiled for an old target;
   * `generator`: the method is a generator (see validateDomainClass).
   */
  readonly kind: 'call' | 'reference' | 'async' | 'generator';
  /** The offending code as written in the source, whitespace collapsed. */
  readonly text: string;
  /** What it resolves to without import bindings and global prefixes, e.g. `DateTime.now`. */
  readonly target: string;
}

// TypeScript's helpers, and esbuild's (`__async(this, null, function* () {…})`).
const ASYNC_HELPERS = new Set(['__awaiter', '__asyncGenerator', '__async']);

/**
 * Scans the source of a method or function (as `Function.prototype.toString`
 * returns it) for sources of time and randomness: calls, and mere references
 * (an alias would be called out of sight). Comments and strings are not code,
 * so they never match. Returns the first finding in source order, or
 * `undefined` when there is none or the source cannot be parsed (native code).
 */
export function scanFunctionSource(source: string): Finding | undefined {
  const parsed = parseFunctionSource(source);
  if (parsed === undefined) return undefined;
  return (
    downleveledAsync(parsed.ast, parsed.text) ??
    new Scanner(parsed.text, parsed.ast).walk(parsed.ast)
  );
}

/**
 * Scans what constructing an instance of a class runs, from the class's
 * source: its constructor and the initialisers of its instance fields (not
 * its methods, which may serve queries, nor static members), or the body of
 * a constructor function (a class compiled for ES5), parameters and their
 * defaults included. Functions and classes defined there are not looked
 * into: most run only if something calls them later (a callback called at
 * once, `[1, 2].map(() => Date.now())`, is missed), and a function kept in a
 * field is refused where it is stored anyway.
 * Returns the first use of time or randomness, or `undefined` when there is
 * none or the source cannot be parsed (native code).
 */
export function scanClassConstruction(source: string): Finding | undefined {
  const construction = constructionParts(source);
  if (construction === undefined) return undefined;
  // Each part with the names declared in it only (a method's parameter named
  // like a global must not hide that global in the constructor).
  return firstOf(construction.parts, (part) =>
    new Scanner(construction.text, part, true).walk(part),
  );
}

/**
 * What constructing an instance of a class runs, from the class's source
 * (see scanClassConstruction): the constructor with its parameters and the
 * initialisers of the instance fields, or a constructor function whole; with
 * the text their positions refer to. `undefined` when the source cannot be
 * parsed.
 */
export function constructionParts(
  source: string,
): { readonly text: string; readonly parts: readonly AnyNode[] } | undefined {
  const parsed = parseFunctionSource(source);
  const top = parsed === undefined ? undefined : topFunction(parsed.ast);
  if (parsed === undefined || top === undefined) return undefined;
  // A constructor with its parameters: their defaults run at construction, and their
  // names are its own (a parameter `crypto` is no global).
  if (top.type === 'FunctionExpression') return { text: parsed.text, parts: [top] };
  if (top.type !== 'ClassExpression') return undefined;
  const parts: AnyNode[] = [];
  for (const member of nodesAt(nodeAt(top, 'body')!, 'body')) {
    if (member['static'] === true) continue;
    if (member.type === 'MethodDefinition' && member['kind'] === 'constructor') {
      parts.push(nodeAt(member, 'value')!);
    } else if (member.type === 'PropertyDefinition') {
      const value = nodeAt(member, 'value');
      // A field holding a function runs nothing at construction.
      if (value !== undefined && !NESTED_CODE.has(value.type)) parts.push(value);
    }
  }
  return { text: parsed.text, parts };
}

/** Functions and classes: what skipNested does not look into. */
const NESTED_CODE = new Set([
  'FunctionExpression',
  'FunctionDeclaration',
  'ArrowFunctionExpression',
  'ClassExpression',
  'ClassDeclaration',
]);

/** True for `undefined` and `void <expression>`: a date argument that means "now". */
function isUndefinedLiteral(node: AnyNode): boolean {
  if (node.type === 'Identifier') return node['name'] === 'undefined';
  return node.type === 'UnaryExpression' && node['operator'] === 'void';
}

/** Walks a syntax tree in source order and reports the first forbidden use. */
class Scanner {
  // Callees such as `DateTime.local` in `DateTime.local(2020, 1, 1)`: that call
  // is deterministic, so reading the member there is not an alias.
  private readonly allowed = new Set<AnyNode>();
  // Expressions in a place that makes an alias of a holder of time or
  // randomness (`Date`, `Math`): a variable's value, the right of an
  // assignment, an argument of Reflect.construct/apply/get, the object of a
  // member read by a computed key. Elsewhere (a callee, `Math.max.apply(Math,
  // a)`, `[Date, Map].some(…)`, comparisons) it is used in place.
  private readonly handedOn = new Set<AnyNode>();
  private readonly locals: LocalNames;

  constructor(
    private readonly text: string,
    private readonly ast: AnyNode,
    /** Not looking into functions and classes defined inside `ast` (see scanClassConstruction). */
    private readonly skipNested = false,
  ) {
    this.locals = declaredNames(ast, skipNested ? NESTED_CODE : undefined);
  }

  walk(node: AnyNode): Finding | undefined {
    if (this.skipNested && node !== this.ast && NESTED_CODE.has(node.type)) return undefined;
    const found = this.visit(node);
    if (found !== undefined) return found;
    return firstOf(childEntries(node), ([key, child]) =>
      isBindingKey(node, key) ? this.walkPattern(child) : this.walk(child),
    );
  }

  /** Walks a binding pattern: the names it binds are not uses; defaults and computed keys are. */
  private walkPattern(node: AnyNode): Finding | undefined {
    switch (node.type) {
      case 'Identifier':
        return undefined;
      case 'MemberExpression':
        // Assigned to, not read (`r.performance.now = 5`): only its object and a computed key are uses.
        return (
          this.walkAt(node, 'object') ??
          (node['computed'] === true ? this.walkAt(node, 'property') : undefined)
        );
      case 'ObjectPattern':
        return firstOf(nodesAt(node, 'properties'), (prop) => this.walkPatternProperty(prop));
      case 'ArrayPattern':
        return firstOf(nodesAt(node, 'elements'), (element) => this.walkPattern(element));
      case 'RestElement':
        return this.walkPatternAt(node, 'argument');
      case 'AssignmentPattern': {
        // A default value (`m(M = Math)`) is what the name gets: an alias.
        const right = nodeAt(node, 'right');
        if (right !== undefined) this.handedOn.add(right);
        return this.walkPatternAt(node, 'left') ?? this.walkAt(node, 'right');
      }
      default:
        return this.walk(node);
    }
  }

  private walkPatternProperty(prop: AnyNode): Finding | undefined {
    if (prop.type === 'RestElement') return this.walkPattern(prop);
    const key = prop['computed'] === true ? this.walkAt(prop, 'key') : undefined;
    return key ?? this.walkPatternAt(prop, 'value');
  }

  private walkAt(node: AnyNode, key: string): Finding | undefined {
    const child = nodeAt(node, key);
    return child === undefined ? undefined : this.walk(child);
  }

  private walkPatternAt(node: AnyNode, key: string): Finding | undefined {
    const child = nodeAt(node, key);
    return child === undefined ? undefined : this.walkPattern(child);
  }

  private visit(node: AnyNode): Finding | undefined {
    this.noteHandedOn(node);
    switch (node.type) {
      case 'CallExpression':
      case 'NewExpression':
        return this.visitCall(node);
      case 'Identifier':
      case 'MemberExpression':
        return this.visitReference(node) ?? this.visitHolder(node);
      case 'VariableDeclarator':
        return this.visitDestructuring(node, nodeAt(node, 'id'), nodeAt(node, 'init'));
      case 'AssignmentExpression':
        return this.visitDestructuring(node, nodeAt(node, 'left'), nodeAt(node, 'right'));
      default:
        return undefined;
    }
  }

  /**
   * True for `format`/`formatToParts` read from a DateTimeFormat made in
   * place (`new Intl.DateTimeFormat(locale).format`): called without a date
   * (or with `undefined`), it formats the current time. (A formatter kept in a variable is not
   * followed, like other aliases.)
   */
  private formatsNow(callee: AnyNode | undefined): boolean {
    if (callee?.type !== 'MemberExpression') return false;
    const key = staticKey(callee, 'property');
    if (key !== 'format' && key !== 'formatToParts') return false;
    const made = unwrapCallee(nodeAt(callee, 'object'));
    if (made?.type !== 'NewExpression' && made?.type !== 'CallExpression') return false;
    const ctor = unwrapCallee(nodeAt(made, 'callee'));
    const chain = ctor === undefined ? undefined : nameChain(ctor, this.locals);
    return chain !== undefined && chain.segments.at(-1) === 'DateTimeFormat';
  }

  private visitCall(node: AnyNode): Finding | undefined {
    const callee = unwrapCallee(nodeAt(node, 'callee'));
    const args = nodesAt(node, 'arguments');
    const first = args[0];
    const noDate =
      first === undefined || isUndefinedLiteral(first) || first.type === 'SpreadElement';
    if (noDate && this.formatsNow(callee)) {
      return this.call(node, 'Intl.DateTimeFormat().format()');
    }
    const chain = callee === undefined ? undefined : nameChain(callee, this.locals);
    if (callee === undefined || chain === undefined) return undefined;
    if (chain.rooted && chain.segments.length === 1 && chain.segments[0] === 'Date') {
      // `Date(x)` ignores x and returns the current time; `new Date(x)` does not.
      const isNew = node.type === 'NewExpression';
      if (isNew && args.length > 0) return undefined;
      return this.call(node, isNew ? 'new Date()' : 'Date()');
    }
    const forbidden = alwaysForbiddenPrefix(chain);
    if (forbidden !== undefined) return this.call(node, forbidden.target);
    const match = forbiddenMatch(chain);
    if (match?.rule !== 'withoutDateParts') return undefined;
    // An options object alone (`DateTime.local({ zone })`), or undefined, still means "now".
    // luxon takes an undefined year for "now" whatever follows (`DateTime.local(undefined, 5)`).
    if (
      (first !== undefined && isUndefinedLiteral(first)) ||
      args.every((arg) => arg.type === 'ObjectExpression')
    ) {
      return this.call(node, match.target);
    }
    this.allowed.add(callee);
    return undefined;
  }

  /** Records which child of `node` (visited before its children) would be an alias of what it reads. */
  private noteHandedOn(node: AnyNode): void {
    const add = (child: AnyNode | undefined): void => {
      if (child === undefined) return;
      this.handedOn.add(child);
      const inner = unwrapCallee(child);
      if (inner !== undefined) this.handedOn.add(inner);
    };
    switch (node.type) {
      case 'VariableDeclarator':
        // `const { floor } = Math`: visitDestructuring looks at the names taken.
        if (nodeAt(node, 'id')?.type !== 'ObjectPattern') add(nodeAt(node, 'init'));
        break;
      case 'AssignmentExpression':
        if (nodeAt(node, 'left')?.type !== 'ObjectPattern') add(nodeAt(node, 'right'));
        break;
      case 'MemberExpression':
        // `Math[key]` computes which member it takes: `Math['rand' + 'om']` is Math.random.
        if (staticKey(node, 'property') === undefined) add(nodeAt(node, 'object'));
        break;
      // What an alias takes may be a branch of it: `c ?? Math`, `flag ? Math : null`.
      case 'ConditionalExpression':
        if (this.handedOn.has(node)) {
          add(nodeAt(node, 'consequent'));
          add(nodeAt(node, 'alternate'));
        }
        break;
      case 'LogicalExpression':
        if (this.handedOn.has(node)) {
          add(nodeAt(node, 'left'));
          add(nodeAt(node, 'right'));
        }
        break;
      // A default value (`m(M = Math)`, `const { M = Math } = {}`) and a property of an object made here.
      case 'AssignmentPattern':
        add(nodeAt(node, 'right'));
        break;
      case 'Property':
        if (node['kind'] === 'init' && node['method'] !== true) add(nodeAt(node, 'value'));
        break;
      case 'CallExpression':
      case 'NewExpression': {
        const callee = unwrapCallee(nodeAt(node, 'callee'));
        const name = callee === undefined ? undefined : dottedName(callee, this.locals);
        if (name !== undefined && REFLECTING.has(name)) nodesAt(node, 'arguments').forEach(add);
        break;
      }
      default:
    }
  }

  /**
   * `Date`, `Math`, `performance`, `crypto` or luxon's `DateTime` made an
   * alias of (`const D = Date; new D()`, `this.m = Math`,
   * `Reflect.construct(Date, [])`, `Math[name]()`): what is done with it
   * later is out of sight, so it is refused like a reference to `Date.now`.
   */
  private visitHolder(node: AnyNode): Finding | undefined {
    if (!this.handedOn.has(node)) return undefined;
    const chain = nameChain(node, this.locals);
    if (chain === undefined || !handsOnHolder(chain)) return undefined;
    return { kind: 'reference', text: snippet(this.text, node), target: chain.segments.join('.') };
  }

  private visitReference(node: AnyNode): Finding | undefined {
    if (this.allowed.has(node)) return undefined;
    const chain = nameChain(node, this.locals);
    const match = chain === undefined ? undefined : forbiddenMatch(chain);
    if (match === undefined) return undefined;
    return { kind: 'reference', text: snippet(this.text, node), target: match.target };
  }

  /** `const { now } = Date` and `({ randomUUID } = require('crypto'))` are aliases too. */
  private visitDestructuring(
    node: AnyNode,
    pattern: AnyNode | undefined,
    source: AnyNode | undefined,
  ): Finding | undefined {
    if (pattern?.type !== 'ObjectPattern' || source === undefined) return undefined;
    // From a local or a computed object only the names taken count (`{ DateTime: { now } } = lx`).
    const base = nameChain(source, this.locals) ?? { segments: [], rooted: false };
    const target = destructuredTarget(pattern, base);
    if (target === undefined) return undefined;
    return { kind: 'reference', text: snippet(this.text, node), target };
  }

  private call(node: AnyNode, target: string): Finding {
    const text = snippet(this.text, node);
    const callee = nodeAt(node, 'callee');
    if (!text.endsWith('...') || callee === undefined) return { kind: 'call', text, target };
    const prefix = node.type === 'NewExpression' ? 'new ' : '';
    return { kind: 'call', text: `${prefix}${snippet(this.text, callee)}(...)`, target };
  }
}

/** Calls that use a value they are given as a function or object (`Reflect.construct(Date, [])`). */
const REFLECTING = new Set(['Reflect.construct', 'Reflect.apply', 'Reflect.get']);

/** Globals holding a source of time or randomness, when read as a whole from the global scope. */
const GLOBAL_HOLDERS = new Set(['Date', 'Math', 'process']);
/** The same, whatever global or import they are read from (`perfHooks.performance`, `lx.DateTime`). */
const MEMBER_HOLDERS = new Set(['DateTime', 'performance', 'crypto', 'webcrypto']);

/**
 * Whether `chain` reads a holder of time or randomness itself, from a global
 * or an import (not from an object the source computes or was given, which
 * is not followed: `this.crypto` may well be the domain's own field).
 */
function handsOnHolder(chain: NameChain): boolean {
  const last = chain.segments.at(-1);
  if (!chain.rooted || last === undefined) return false;
  return (chain.segments.length === 1 && GLOBAL_HOLDERS.has(last)) || MEMBER_HOLDERS.has(last);
}

/**
 * Whether a pattern taking `path` into `value` makes an alias of a holder:
 * `const { Date: D } = globalThis`, and `{ DateTime } = require('luxon')`
 * too, as the name it binds is a local then, whose `now()` is not followed.
 */
function takesHolder(path: NameChain, value: AnyNode | undefined): boolean {
  return handsOnHolder(path) && value?.type !== 'ObjectPattern';
}

/** The first forbidden name among the properties an object pattern takes from `base`. */
function destructuredTarget(pattern: AnyNode, base: NameChain): string | undefined {
  for (const prop of nodesAt(pattern, 'properties')) {
    const key = prop.type === 'Property' ? staticKey(prop, 'key') : undefined;
    if (key === undefined) continue;
    const path = { rooted: base.rooted, segments: [...base.segments, key] };
    const match = forbiddenMatch(path);
    if (match !== undefined) return match.target;
    if (takesHolder(path, nodeAt(prop, 'value'))) return path.segments.join('.');
    const value = nodeAt(prop, 'value');
    const nested = value?.type === 'ObjectPattern' ? destructuredTarget(value, path) : undefined;
    if (nested !== undefined) return nested;
  }
  return undefined;
}

/**
 * TypeScript compiled for a target below ES2017 turns `async m() {}` into
 * `m() { return __awaiter(this, ...) }`, which no longer looks async at run time.
 */
function downleveledAsync(ast: AnyNode, text: string): Finding | undefined {
  const fn = topFunction(ast);
  const body = fn === undefined ? undefined : nodeAt(fn, 'body');
  const first = body?.type === 'BlockStatement' ? nodesAt(body, 'body')[0] : undefined;
  const call = first?.type === 'ReturnStatement' ? nodeAt(first, 'argument') : undefined;
  const callee = call?.type === 'CallExpression' ? unwrapCallee(nodeAt(call, 'callee')) : undefined;
  const name = callee === undefined ? undefined : dottedName(callee);
  if (call === undefined || name === undefined || !ASYNC_HELPERS.has(name)) return undefined;
  return { kind: 'async', text: snippet(text, call), target: name };
}
