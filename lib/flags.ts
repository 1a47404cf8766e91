import { PrevalenceError } from './errors';

/** The per-method behaviours a decorator can switch on. */
export type MethodFlag = 'readonly' | 'abortOnException' | 'unlocked';

/** Every MethodFlag, for code that looks at all of a method's decorators. */
export const METHOD_FLAGS: readonly MethodFlag[] = ['readonly', 'abortOnException', 'unlocked'];

/**
 * The key of a method's marks, registered so that every copy of prevalent
 * loaded in the process (two installs, in a monorepo or an npm tree that did
 * not dedupe) reads the marks any copy's decorators set: a domain package
 * decorating with its own copy would otherwise have its `@readonly` queries
 * journaled as actions by the application's copy. The shape (a Set of
 * MethodFlag names in a non-enumerable property) stays the same in every
 * version of prevalent that uses this symbol.
 */
const FLAGS = Symbol.for('prevalent.methodFlags.v1');

type Flagged = { [FLAGS]?: Set<MethodFlag> };

/**
 * Methods the language calls by itself (logging a system object, a template
 * string, `JSON.stringify`): always queries, never journaled actions, with or
 * without `@readonly`.
 */
export const IMPLICIT_QUERIES: ReadonlySet<string> = new Set([
  'toJSON',
  'toString',
  'toLocaleString',
  'valueOf',
]);

/** True for a method that runs as a query: `@readonly`, or one of IMPLICIT_QUERIES. */
export function isQueryMethod(name: string, fn: unknown): boolean {
  return hasFlag(fn, 'readonly') || IMPLICIT_QUERIES.has(name);
}

/** True when the method carries `flag` (set by one of the decorators in decorators.ts). */
export function hasFlag(fn: unknown, flag: MethodFlag): boolean {
  return typeof fn === 'function' && ((fn as Flagged)[FLAGS]?.has(flag) ?? false);
}

/** Marks the method `fn` with `flag`; INVALID_OPTION when `fn` is not a function (`decorator` names the decorator). */
export function setFlag(
  fn: unknown,
  flag: MethodFlag,
  decorator: string,
  /** Called by hand with one argument: the message says what that argument must be. */
  alone?: 'alone',
): void {
  if (typeof fn !== 'function') {
    throw new PrevalenceError(
      'INVALID_OPTION',
      alone === undefined
        ? `@${decorator} can only decorate methods; it was applied to something else`
        : `${decorator}(method) marks the method it is given, and got ${fn === null ? 'null' : typeof fn}: pass the function itself, e.g. ${decorator}(MyClass.prototype.myMethod), before initSystem`,
    );
  }
  const flagged = fn as Flagged;
  if (!Object.prototype.hasOwnProperty.call(flagged, FLAGS)) {
    if (!Object.isExtensible(flagged)) {
      throw new PrevalenceError(
        'INVALID_OPTION',
        `@${decorator} cannot mark ${(fn as { name?: string }).name || 'the method'}: the function is frozen, sealed or not extensible, and the mark is kept on it; apply ${decorator} before freezing it`,
      );
    }
    Object.defineProperty(flagged, FLAGS, { value: new Set<MethodFlag>(), enumerable: false });
  }
  flagged[FLAGS]!.add(flag);
}
