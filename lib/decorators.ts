import { PrevalenceError } from './errors';
import { globalRegistry } from './codec/registry';
import { refusePrivateMembers } from './clock/private-members';
import { refuseBuiltinSubclass } from './codec/builtin-classes';
import type { StorableClass } from './codec/registry';
import { type MethodFlag, setFlag } from './flags';

export { hasFlag, type MethodFlag } from './flags';

/**
 * A method decorator that works both with TypeScript's standard (TC39)
 * decorators and with `experimentalDecorators`, and, in JavaScript without
 * decorator syntax, called with the method alone:
 * `readonly(Wiki.prototype.getPage)`.
 */
export interface MethodDecorator {
  // `context?: undefined` and the typed descriptor keep a getter or setter from matching
  // (TypeScript accepts a one-parameter decorator anywhere; at run time it throws INVALID_OPTION).
  (method: (...args: any[]) => any, context?: undefined): void;
  // `any` for This: a method declaring its `this` (`total(this: Bank)`) has a context whose
  // method type takes no `unknown` receiver.
  (value: (...args: any[]) => any, context: ClassMethodDecoratorContext<any>): void;
  (
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<(...args: any[]) => any>,
  ): void;
}

function isStandardContext(arg: unknown): arg is DecoratorContext {
  return typeof arg === 'object' && arg !== null && 'kind' in arg;
}

/** True for a function written with `class` syntax. */
function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

function methodDecorator(flag: MethodFlag): MethodDecorator {
  return function decorate(
    target: unknown,
    keyOrContext: unknown,
    descriptor?: PropertyDescriptor,
  ) {
    if (isStandardContext(keyOrContext)) {
      const member = String(keyOrContext.name ?? '');
      if (keyOrContext.kind !== 'method') {
        throw new PrevalenceError(
          'INVALID_OPTION',
          `@${flag} can only decorate methods, not ${withArticle(keyOrContext.kind)}${member === '' ? '' : ` (${member})`}`,
        );
      }
      if (keyOrContext.static === true) throw staticMember(flag, member);
      setFlag(target, flag, flag);
      return;
    }
    // Called by hand with the method alone (JavaScript has no decorator syntax in Node 20).
    if (keyOrContext === undefined && descriptor === undefined) {
      // A legacy decorator on a class is called like this too: refused, as it always was.
      if (isClass(target)) {
        throw new PrevalenceError(
          'INVALID_OPTION',
          `@${flag} decorates methods, not a class: put it on the methods (or call ${flag}(MyClass.prototype.myMethod))`,
        );
      }
      setFlag(target, flag, flag, 'alone');
      return;
    }
    // A legacy decorator: `target` is the prototype, or the class for a static member.
    const member = String(keyOrContext);
    if (typeof target === 'function') throw staticMember(flag, member);
    if (descriptor !== undefined && typeof descriptor.value !== 'function') {
      const owner = (target as { constructor?: { name?: string } } | null)?.constructor?.name;
      const kind =
        descriptor.get !== undefined || descriptor.set !== undefined
          ? 'an accessor'
          : 'not a method';
      throw new PrevalenceError(
        'INVALID_OPTION',
        `@${flag} can only decorate methods; ${owner ? `${owner}.` : ''}${member} is ${kind}`,
      );
    }
    setFlag(descriptor?.value, flag, flag);
  } as MethodDecorator;
}

/** "a getter", "an accessor". */
function withArticle(kind: string): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** The refusal of a method decorator on a static member, which the system object never calls. */
function staticMember(flag: MethodFlag, member: string): PrevalenceError {
  return new PrevalenceError(
    'INVALID_OPTION',
    `@${flag} marks instance methods, which the system object calls; ${member === '' ? 'this member' : member} is static, and would never run as a query or an action: remove the decorator`,
  );
}

/**
 * Marks a query: the method changes nothing, so calls are never journaled.
 * With the default isolation, `this` inside it is a read-only view and any
 * attempt to change state throws `READONLY_VIOLATION`.
 */
export const readonly: MethodDecorator = methodDecorator('readonly');

/**
 * When the method throws, every change it made in memory is rolled back and
 * nothing is journaled; when it succeeds it is journaled like any action.
 */
export const abortOnException: MethodDecorator = methodDecorator('abortOnException');

/**
 * With `durability: 'always'`, the call returns as soon as its record is
 * written, without waiting for the fsync; the background flusher makes it
 * durable with the next batch, and `sync()` waits for it. In the other modes
 * it changes nothing. See docs/DURABILITY.md.
 */
export const unlocked: MethodDecorator = methodDecorator('unlocked');

type ClassDecorator = (value: StorableClass, context?: ClassDecoratorContext) => void;

/**
 * Registers a class for storage, under `name` (default: the class name).
 * Give a stable name when the class may be renamed or minified.
 * Usable as `@persistent()`, `@persistent('Name')` or bare `@persistent`.
 * A class with `#private` members (its own or a superclass's) or one that
 * extends a built-in type (Map, Set, Array, Date, Error, ...) cannot be
 * stored: decorating it throws `NOT_SERIALIZABLE` right where it is defined.
 */
export function persistent(name?: string): ClassDecorator;
export function persistent(value: StorableClass, context?: ClassDecoratorContext): void;
export function persistent(
  nameOrClass?: string | StorableClass,
  context?: ClassDecoratorContext,
): ClassDecorator | void {
  if (typeof nameOrClass === 'function') {
    refuseNonClass(nameOrClass, context);
    register(nameOrClass, nameOrClass.name || String(context?.name ?? ''));
    return;
  }
  if (nameOrClass !== undefined && typeof nameOrClass !== 'string')
    refuseNonClass(nameOrClass, context);
  return (cls: StorableClass, ctx?: unknown) => {
    refuseNonClass(cls, ctx);
    register(cls, nameOrClass ?? cls.name);
  };
}

/**
 * @persistent on a method, field or accessor (standard decorators give a
 * context of another kind, legacy ones a prototype and a key) would register
 * the function as a class, or nothing: refused where it is written.
 */
function refuseNonClass(value: unknown, context: unknown): void {
  const kind: unknown =
    typeof context === 'object' && context !== null
      ? (context as { kind?: unknown }).kind
      : undefined;
  const legacyMember = typeof context === 'string' || typeof context === 'symbol';
  if (typeof value === 'function' && !legacyMember && (kind === undefined || kind === 'class')) {
    return;
  }
  throw new PrevalenceError(
    'INVALID_OPTION',
    `@persistent decorates a class (it registers the class for storage), not a ${typeof kind === 'string' ? kind : 'class member'}: put it on the class declaration`,
  );
}

function register(cls: StorableClass, name: string): void {
  refuseBuiltinSubclass(cls);
  refusePrivateMembers(cls);
  globalRegistry.register(cls, name);
}
