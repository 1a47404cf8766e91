import { arrayFastPaths } from './array-methods';
import { BuiltinTable, builtinTables, kindOf, type Kind } from './kinds';
import { toStep, type PathStep, type ViewLink } from './paths';
import {
  answerView,
  isPassThrough,
  noteMethodOfView,
  rawToView,
  trackingToRaw,
  VIEW_LINK,
  VIEW_TARGET,
  viewTarget,
} from './registry';
import { viewFactory } from './view-builtins';
import { keyLabel, readonlyViolation } from './violation';

export { isView } from './registry';
export { locate, locateStats, resolvePath, type PathStep } from './paths';

/**
 * Read-only views: what callers get from queries and property reads, and
 * `this` inside @readonly methods. Reads behave as on the raw object (object
 * results come back as views, one view per raw object); every change throws
 * READONLY_VIOLATION. A view created by navigating from another view records
 * where it was found, so `locate` knows its path without searching.
 *
 * Each view has a handler of its own that holds that link (parent and step)
 * and answers VIEW_TARGET and VIEW_LINK: one small object per view instead of
 * a link object plus two WeakMap entries (see bench/RESULTS.md, memory).
 */

/** The view of the root object (path []). */
export function rootView<T extends object>(raw: T): T {
  return viewOf(raw);
}

/** The view of a raw object (the same view every time); primitives, functions and DateTimes as is. */
export function viewOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  return (rawToView.get(value) ?? createView(value, undefined, undefined)) as T;
}

function anyView(value: unknown): unknown {
  return viewOf(value);
}

function childView(parent: object, key: unknown, viaMap: boolean, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return rawToView.get(value) ?? createView(value, parent, toStep(key, viaMap));
}

function createView(value: object, parent: object | undefined, step: PathStep | undefined): object {
  if (viewTarget(value) !== undefined) return value;
  const raw = trackingToRaw.get(value);
  if (raw !== undefined) return viewOf(raw);
  if (isPassThrough(value)) {
    rawToView.set(value, value);
    return value;
  }
  const kind = kindOf(value);
  if (kind !== 'plain') tables[kind].register(value);
  const Handler = Array.isArray(value) ? ArrayViewHandler : handlerClasses[kind];
  const view = new Proxy(value, new Handler(step === undefined ? undefined : parent, step));
  rawToView.set(value, view);
  return view;
}

/** Handler of a view of a plain object, class instance or null-prototype object; its fields are the view's link. */
class PlainViewHandler implements ProxyHandler<object>, ViewLink {
  constructor(
    public parent: object | undefined,
    public step: PathStep | undefined,
  ) {}

  get(target: object, key: PropertyKey, receiver: unknown): unknown {
    // Asked before the read: the target's prototype chain must not answer for the view.
    if (key === VIEW_TARGET || key === VIEW_LINK) return this.answer(target, key);
    return childView(target, key, false, Reflect.get(target, key, receiver));
  }

  /** VIEW_TARGET and VIEW_LINK, asked by registry.ts: the answer goes aside, the read yields undefined. */
  protected answer(target: object, key: symbol): undefined {
    return answerView(key === VIEW_TARGET ? target : this);
  }

  set(_target: object, key: PropertyKey): boolean {
    throw readonlyViolation(`assign property ${keyLabel(key)}`);
  }

  defineProperty(_target: object, key: PropertyKey): boolean {
    throw readonlyViolation(`define property ${keyLabel(key)}`);
  }

  deleteProperty(_target: object, key: PropertyKey): boolean {
    throw readonlyViolation(`delete property ${keyLabel(key)}`);
  }

  getOwnPropertyDescriptor(target: object, key: PropertyKey): PropertyDescriptor | undefined {
    const desc = Reflect.getOwnPropertyDescriptor(target, key);
    if (desc !== undefined && desc.configurable && 'value' in desc)
      desc.value = childView(target, key, false, desc.value);
    return desc;
  }

  setPrototypeOf(): boolean {
    throw readonlyViolation('change the prototype');
  }

  preventExtensions(): boolean {
    throw readonlyViolation('freeze, seal or prevent extensions of the object');
  }
}

const tables = builtinTables((kind) => viewFactory(kind, { viewOf: anyView, childView }));

const arrayPaths = arrayFastPaths((raw, index, value) => childView(raw, index, false, value));

class ArrayViewHandler extends PlainViewHandler {
  override get(target: object, key: PropertyKey, receiver: unknown): unknown {
    if (key === VIEW_TARGET || key === VIEW_LINK) return this.answer(target, key);
    const value: unknown = Reflect.get(target, key, receiver);
    if (typeof value === 'function') return arrayPaths.get(value) ?? value;
    return childView(target, key, false, value);
  }
}

type ViewHandlerClass = new (
  parent: object | undefined,
  step: PathStep | undefined,
) => PlainViewHandler;

/** The handler class for views of one built-in kind: its members run on the raw object. */
function builtinHandlerClass(table: BuiltinTable): ViewHandlerClass {
  return class BuiltinViewHandler extends PlainViewHandler {
    override get(target: object, key: PropertyKey, receiver: unknown): unknown {
      if (key === VIEW_TARGET || key === VIEW_LINK) return this.answer(target, key);
      const entry = table.find(target, key);
      if (entry === undefined) return super.get(target, key, receiver);
      if (entry.getter !== undefined) return viewOf(entry.getter.call(target));
      if (rawToView.get(target) === receiver) noteMethodOfView(receiver as object, target);
      return entry.wrapper;
    }
  };
}

const handlerClasses: Record<Kind, ViewHandlerClass> = {
  plain: PlainViewHandler,
  map: builtinHandlerClass(tables.map),
  set: builtinHandlerClass(tables.set),
  date: builtinHandlerClass(tables.date),
  typed: builtinHandlerClass(tables.typed),
  dataview: builtinHandlerClass(tables.dataview),
  arraybuffer: builtinHandlerClass(tables.arraybuffer),
  regexp: builtinHandlerClass(tables.regexp),
};
