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

/** The error for a change that tracking cannot record or undo. */
export function unsupportedChange(what: string, instead: string): PrevalenceError {
  return new PrevalenceError(
    'READONLY_VIOLATION',
    `${what} is not allowed on state objects: it could not be rolled back if the action fails; ${instead}`,
  );
}
