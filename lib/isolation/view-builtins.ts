import { callbackWrapper, MappedIterator, rawArgs, viewRaw, type Fn } from './builtin-common';
import type { Kind, WrapperFactory } from './kinds';
import { callbackArrayArg, classify, keepsStateReference, methodLabel } from './methods';
import { IN_COLLECTION } from './paths';
import { toRaw } from './registry';
import { readonlyViolation } from './violation';

type AnyMap = Map<unknown, unknown>;

/** How views are made: of any value, and of a value reached from `parent` by a key (path recorded). */
export interface ViewHooks {
  viewOf(value: unknown): unknown;
  childView(parent: object, key: unknown, viaMap: boolean, value: unknown): unknown;
}

/**
 * Wrapper factory for read-only views of one built-in kind: reads run on the
 * raw object and hand out views; every mutator throws READONLY_VIOLATION.
 */
export function viewFactory(kind: Exclude<Kind, 'plain'>, hooks: ViewHooks): WrapperFactory {
  const { viewOf, childView } = hooks;
  const out = (result: unknown, raw: object): unknown =>
    typeof result === 'object' && result !== null && keepsStateReference(kind, result, raw)
      ? viewOf(result)
      : result;
  // A Map's value is reached by its key; a Set member or a Map key by its membership.
  const valueView = (raw: object, k: unknown, v: unknown): unknown =>
    kind === 'map' ? childView(raw, k, true, v) : childView(raw, IN_COLLECTION, false, v);
  const keyView = (raw: object, k: unknown): unknown => childView(raw, IN_COLLECTION, false, k);

  return (name, original) => {
    const label = methodLabel(kind, name);
    switch (classify(kind, name)) {
      case 'mutate':
        return () => {
          throw readonlyViolation(`call ${label}`);
        };
      case 'get':
        return function (this: unknown, key: unknown) {
          const raw = viewRaw(this) as AnyMap;
          const k = toRaw(key);
          return childView(raw, k, true, raw.get(k));
        };
      case 'forEach':
        return function (this: unknown, cb: unknown, thisArg?: unknown) {
          const raw = viewRaw(this) as AnyMap;
          const fn = cb as Fn;
          raw.forEach((v, k) => fn.call(thisArg, valueView(raw, k, v), keyView(raw, k), this));
        };
      case 'keys':
        return function (this: unknown) {
          const raw = viewRaw(this) as AnyMap;
          return new MappedIterator(original.call(raw) as Iterator<unknown>, (k) =>
            keyView(raw, k),
          );
        };
      case 'values':
        return function (this: unknown) {
          const raw = viewRaw(this) as AnyMap;
          const entries = raw.entries();
          return new MappedIterator(entries, (e) => {
            const [k, v] = e as [unknown, unknown];
            return valueView(raw, k, v);
          });
        };
      case 'entries':
        return function (this: unknown) {
          const raw = viewRaw(this) as AnyMap;
          return new MappedIterator(raw.entries(), (e) => {
            const [k, v] = e as [unknown, unknown];
            return [keyView(raw, k), valueView(raw, k, v)];
          });
        };
      case 'callback':
        return callbackWrapper(original, callbackArrayArg.get(name) ?? 2, out);
      case 'lastIndex':
        return lastIndexReader(original, label);
      case 'read':
        return function (this: unknown, ...args: unknown[]) {
          const raw = viewRaw(this);
          return out(original.apply(raw, rawArgs(args)), raw);
        };
    }
  };
}

/**
 * exec/test/match/replace/search of a RegExp view. On a global or sticky
 * regexp they move `lastIndex`, which is state: the call runs on a copy and
 * is refused when it would have moved lastIndex of the stored regexp.
 */
function lastIndexReader(original: Fn, label: string): Fn {
  return function (this: unknown, ...args: unknown[]) {
    const raw = viewRaw(this) as RegExp;
    if (!raw.global && !raw.sticky) return original.apply(raw, rawArgs(args));
    const copy = new RegExp(raw);
    copy.lastIndex = raw.lastIndex;
    const result = original.apply(copy, rawArgs(args));
    if (copy.lastIndex !== raw.lastIndex) {
      throw readonlyViolation(`call ${label} on a global or sticky RegExp (it moves lastIndex)`);
    }
    return result;
  };
}
