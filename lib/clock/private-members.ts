import { PrevalenceError } from '../errors';
import { isNode, nodeAt, parseFunctionSource, snippet, topFunction, type AnyNode } from './ast';
import { nameChain, unwrapCallee } from './names';

// Domain classes come in any shape; `Function` says exactly that.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/** Where a class's own source declares or uses a `#private` member. */
interface PrivateUse {
  /** E.g. `declares the #private field #n`, `uses the #private member #n (in this.#n)`. */
  readonly description: string;
}

// What compilers turn `#x` into for targets without it: TypeScript (inline or
// tslib), esbuild, Babel. Only their calls count, so a declared but never used
// #private field slips through compiled, harmlessly: nothing reads it.
const HELPERS = new Set([
  '__classPrivateFieldGet',
  '__classPrivateFieldSet',
  '__classPrivateFieldIn',
  '__privateGet',
  '__privateSet',
  '__privateAdd',
  '__privateIn',
  '__privateMethod',
  '_classPrivateFieldGet',
  '_classPrivateFieldSet',
  '_classPrivateFieldGet2',
  '_classPrivateFieldSet2',
  '_classPrivateFieldInitSpec',
  '_classPrivateMethodInitSpec',
  '_assertClassBrand',
]);
// Sources without any of these need no parse (most classes).
const HINT = /#|__classPrivateField|__private|_classPrivate|_assertClassBrand/;

const ADVICE =
  "#private members are not stored by snapshots and do not work on the proxy that `this` is inside actions and queries; use TypeScript's `private` modifier or a module-level function instead";

// Per class, not per registration: a base class is parsed once for all its subclasses.
const usesByClass = new WeakMap<AnyFunction, PrivateUse | null>();

/** True when `cls`'s source, or a superclass's, declares or uses a `#private` member (see refusePrivateMembers). */
export function hasPrivateMembers(cls: unknown): boolean {
  return firstPrivateUse(cls) !== undefined;
}

/**
 * Refuses a class whose instances prevalent could not keep: one whose source
 * (`Function.prototype.toString`), or a superclass's, declares or uses a
 * `#private` member (field, method, accessor, static, `#x in o`), also as
 * compiled for older targets (`__classPrivateFieldGet` and the like). Restore
 * creates instances without running the constructor, so their #private slots
 * never exist, snapshots cannot read them, and inside actions and queries
 * `this` is a proxy, on which `this.#x` throws a bare TypeError. Throws a
 * `NOT_SERIALIZABLE` {@link PrevalenceError} naming the class and the member.
 * Nested classes and sources that cannot be parsed (native code) are skipped.
 */
export function refusePrivateMembers(cls: AnyFunction): void {
  const found = firstPrivateUse(cls);
  if (found !== undefined) throw privateError(cls, found.owner, found.use);
}

/** The first class from `cls` up its superclasses whose source has a `#private` member, and that use. */
function firstPrivateUse(cls: unknown): { owner: AnyFunction; use: PrivateUse } | undefined {
  for (let owner = cls; typeof owner === 'function' && owner !== Function.prototype;) {
    const use = privateUseOf(owner);
    if (use !== undefined) return { owner, use };
    owner = Object.getPrototypeOf(owner);
  }
  return undefined;
}

function privateUseOf(cls: AnyFunction): PrivateUse | undefined {
  let use = usesByClass.get(cls);
  if (use === undefined) {
    use = scanClassSource(Function.prototype.toString.call(cls)) ?? null;
    usesByClass.set(cls, use);
  }
  return use ?? undefined;
}

function scanClassSource(source: string): PrivateUse | undefined {
  if (!HINT.test(source)) return undefined;
  const parsed = parseFunctionSource(source);
  const top = parsed === undefined ? undefined : topFunction(parsed.ast);
  if (parsed === undefined || top === undefined) return undefined;
  return firstUse(top, undefined, parsed.text);
}

/** The first #private member or compiled helper call under `node`, in source order. */
function firstUse(
  node: AnyNode,
  parent: AnyNode | undefined,
  text: string,
): PrivateUse | undefined {
  if (node.type === 'PrivateIdentifier') return describeUse(node, parent, text);
  if (node.type === 'CallExpression' && isHelperCall(node)) {
    return { description: `uses a #private member, compiled to ${snippet(text, node)}` };
  }
  // A nested class is another class; its #private members are its own business.
  const isNested = parent !== undefined && /^Class(Expression|Declaration)$/.test(node.type);
  if (isNested) return undefined;
  for (const value of Object.values(node)) {
    const children: unknown[] = Array.isArray(value) ? value : [value];
    for (const child of children) {
      const use = isNode(child) ? firstUse(child, node, text) : undefined;
      if (use !== undefined) return use;
    }
  }
  return undefined;
}

function isHelperCall(call: AnyNode): boolean {
  const callee = unwrapCallee(nodeAt(call, 'callee'));
  const chain = callee === undefined ? undefined : nameChain(callee);
  // `tslib_1.__classPrivateFieldGet`, and Babel's `(0, _classPrivateFieldGet2.default)`.
  return chain?.segments.some((name) => HELPERS.has(name)) ?? false;
}

function describeUse(node: AnyNode, parent: AnyNode | undefined, text: string): PrivateUse {
  const name = `#${String(node['name'])}`;
  const isStatic = parent?.['static'] === true ? 'static ' : '';
  switch (parent?.type) {
    case 'PropertyDefinition': {
      // TypeScript compiles `accessor title = ''` to a getter and setter over `#title_accessor_storage`.
      const accessor = /^#(.+)_accessor_storage$/.exec(name)?.[1];
      if (accessor !== undefined) {
        return {
          description: `declares the ${isStatic}auto-accessor \`accessor ${accessor}\` (compiled to the #private field ${name}; declare a plain field \`${accessor}\` instead)`,
        };
      }
      return { description: `declares the ${isStatic}#private field ${name}` };
    }
    case 'MethodDefinition':
      return { description: `declares the ${isStatic}#private ${methodKind(parent)} ${name}` };
    default: {
      const where = parent === undefined ? '' : ` (in ${snippet(text, parent)})`;
      return { description: `uses the #private member ${name}${where}` };
    }
  }
}

function methodKind(method: AnyNode): string {
  if (method['kind'] === 'get') return 'getter';
  if (method['kind'] === 'set') return 'setter';
  return 'method';
}

function privateError(cls: AnyFunction, owner: AnyFunction, use: PrivateUse): PrevalenceError {
  const label = `class ${className(cls)}`;
  const subject = owner === cls ? label : `${label} extends ${className(owner)}, which`;
  return new PrevalenceError('NOT_SERIALIZABLE', `${subject} ${use.description}: ${ADVICE}`);
}

function className(cls: AnyFunction): string {
  return cls.name || '(anonymous class)';
}
