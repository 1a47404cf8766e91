import {
  callbackWrapper,
  memberReader,
  rawArgs,
  setOperation,
  viewRaw,
  type ChildOf,
  type Fn,
} from './builtin-common';
import type { Kind, WrapperFactory } from './kinds';
import { callbackArrayArg, classify, keepsStateReference, methodLabel } from './methods';
import { IN_COLLECTION, markDetached } from './paths';
import { toRaw } from './registry';
import { flagsSlot, sourceSlot } from '../codec/slots';
import { noteDerivedBytes } from './shared-bytes';
import { readonlyViolation } from './violation';

/** How views are made: of any value, and of a value reached from `parent` by a key (path recorded). */
export interface ViewHooks {
  viewOf(value: unknown): unknown;
  childView: ChildOf;
}

/**
 * Wrapper factory for read-only views of one built-in kind: reads run on the
 * raw object and hand out views; every mutator throws READONLY_VIOLATION.
 */
export function viewFactory(kind: Exclude<Kind, 'plain'>, hooks: ViewHooks): WrapperFactory {
  const { viewOf, childView } = hooks;
  const out = (result: unknown, raw: object): unknown => {
    if (typeof result !== 'object' || result === null) return result;
    if (!keepsStateReference(kind, result, raw)) return result;
    // A subarray() or Buffer slice(): an action storing it would share the state's bytes.
    noteDerivedBytes(result, raw);
    return viewOf(result);
  };
  // A Set a Set method made (`union`, `intersection`, …) from a view is the
  // caller's, never in the state: marked so, it is copied when passed to an
  // action (its members, state objects, by their paths), not refused as an
  // object that left the state.
  const newSetOfCaller = (result: unknown): unknown => {
    if (typeof result !== 'object' || result === null) return result;
    markDetached(result);
    return viewOf(result);
  };
  return (name, original) => {
    const label = methodLabel(kind, name);
    const read = classify(kind, name);
    switch (read) {
      case 'mutate':
        return () => {
          throw readonlyViolation(`call ${label}`);
        };
      case 'unknown':
        return () => {
          throw readonlyViolation(
            `call ${label}, a built-in method this version of prevalent does not know, so it cannot tell whether the method changes the object`,
          );
        };
      case 'get':
      case 'forEach':
      case 'keys':
      case 'values':
      case 'entries':
        return memberReader(kind as 'map' | 'set', read, original, viewRaw, childView);
      case 'callback':
        return callbackWrapper(original, callbackArrayArg.get(name) ?? 2, out);
      case 'setOperation':
        return setOperation(
          original,
          viewRaw,
          (raw, value) => childView(raw, IN_COLLECTION, false, value),
          newSetOfCaller,
        );
      case 'lastIndex':
        return lastIndexReader(original, label);
      case 'copyInto':
        return function (this: unknown, target: unknown, ...rest: unknown[]) {
          // Its target is written: one of the state's buffers must not be.
          if (toRaw(target) !== target) throw readonlyViolation(`call ${label} into the state`);
          return original.apply(viewRaw(this), [target, ...rawArgs(rest)]);
        };
      case 'read':
        return function (this: unknown, ...args: unknown[]) {
          const raw = viewRaw(this);
          return out(original.apply(raw, rawArgs(args)), raw);
        };
    }
  };
}

// RegExp's flag getters and constructor as they were at load: a getter the program put in
// their place later would be handed the raw regexp (spec/isolation/patched-builtin-methods.spec.ts).
const flagGetter = (name: string) =>
  Object.getOwnPropertyDescriptor(RegExp.prototype, name)!.get as (this: RegExp) => unknown;
const regExpGlobal = flagGetter('global');
const regExpSticky = flagGetter('sticky');
const RegExpOfLoad = RegExp;

/**
 * exec/test/match/replace/search of a RegExp view. On a global or sticky
 * regexp they move `lastIndex`, which is state: the call runs on a copy and
 * is refused when it would have moved lastIndex of the stored regexp.
 */
function lastIndexReader(original: Fn, label: string): Fn {
  return function (this: unknown, ...args: unknown[]) {
    const raw = viewRaw(this) as RegExp;
    if (regExpGlobal.call(raw) !== true && regExpSticky.call(raw) !== true) {
      return original.apply(raw, rawArgs(args));
    }
    // From the slots, not `new RegExp(raw)`, which reads `raw[Symbol.match]`.
    const copy = new RegExpOfLoad(sourceSlot(raw), flagsSlot(raw));
    copy.lastIndex = raw.lastIndex;
    const result = original.apply(copy, rawArgs(args));
    if (copy.lastIndex !== raw.lastIndex) {
      throw readonlyViolation(`call ${label} on a global or sticky RegExp (it moves lastIndex)`);
    }
    return result;
  };
}
