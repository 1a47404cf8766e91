import { PrevalenceError } from '../errors';

/** A property key as error messages show it: `"name"`, or `Symbol(description)`. */
export function keyLabel(key: PropertyKey): string {
  return typeof key === 'symbol' ? key.toString() : `"${key}"`;
}

/**
 * What each READONLY_VIOLATION of a view tried (`call Array.prototype.push()`): a query wrapper
 * that names the query around one quotes this, not the view's whole advice a second time.
 */
export const violationAttempts = new WeakMap<PrevalenceError, string>();

/** The error for a change attempted through a read-only view. */
export function readonlyViolation(what: string): PrevalenceError {
  const err = new PrevalenceError(
    'READONLY_VIOLATION',
    `cannot ${what}: this object is a read-only view of the state, and state changes must go through an action method of the domain object (one not marked @readonly), so they are journaled (the methods of objects inside the state are not actions: call one of the domain object's); to work on a private copy, copy the data out first: copyOf(view) (exported by prevalent) copies it deeply, classes, Maps, Sets and Dates included (a spread or Array.from of the view copies one level, its nested objects still views; structuredClone cannot copy a view)`,
  );
  violationAttempts.set(err, what);
  return err;
}

/** READONLY_VIOLATIONs `inGetter` named already (a getter read by another is named once, the innermost). */
const namedByGetter = new WeakSet<PrevalenceError>();

/**
 * `err`, when a view's READONLY_VIOLATION thrown while the getter `key` ran on a view (read
 * through the system object, a view, or `this` in a query), as one naming that getter: the
 * caller only read a property, so the view's advice about changing views misleads.
 */
export function inGetter(err: unknown, key: PropertyKey): unknown {
  if (!(err instanceof PrevalenceError) || namedByGetter.has(err)) return err;
  const attempt = violationAttempts.get(err);
  if (attempt === undefined) return err;
  const what = `${attempt} in the getter ${keyLabel(key)}`;
  const named = new PrevalenceError(
    'READONLY_VIOLATION',
    `cannot ${what}: getters run as queries, on a read-only view of the state, whether read through the system object, a view or \`this\` in a @readonly method, so a change they try is refused and never journaled; make the change in an action method of the domain object and call that (or, to compute a value, return it without storing it)`,
    { cause: err },
  );
  violationAttempts.set(named, what);
  namedByGetter.add(named);
  return named;
}

/** The error for a change that tracking cannot record or undo. */
export function unsupportedChange(what: string, instead: string): PrevalenceError {
  return new PrevalenceError(
    'READONLY_VIOLATION',
    `${what} is not allowed on state objects: it could not be rolled back if the action fails; ${instead}`,
  );
}
