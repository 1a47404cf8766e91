import { isPrevalenceError, type PrevalenceError } from '../../lib';

/** The PrevalenceError `fn` throws; fails the test when it throws something else or nothing. */
export function prevalenceErrorOf(fn: () => unknown): PrevalenceError {
  try {
    fn();
  } catch (err) {
    if (isPrevalenceError(err)) return err;
    throw err;
  }
  throw new Error('expected a PrevalenceError');
}

/** What `fn` throws (undefined when it returns). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
