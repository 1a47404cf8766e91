import { arrayFastPaths } from './array-methods';
import { BuiltinTable, builtinTables, kindOf, type Kind } from './kinds';
import { recordStep } from './paths';
import { isPassThrough, rawToView, trackingToRaw, viewToRaw } from './registry';
import { viewFactory } from './view-builtins';
import { readonlyViolation } from './violation';

export { isView } from './registry';
export { locate, locateStats, resolvePath, type PathStep } from './paths';

/**
 * Read-only views: what callers get from queries and property reads, and
 * `this` inside @readonly methods. Reads behave as on the raw object (object
 * results come back as views, one view per raw object); every change throws
 * READONLY_VIOLATION. A view created by navigating from another view records
 * where it was found, so `locate` knows its path without searching.
 */

/** The view of the root object (path []). */
export function rootView<T extends object>(raw: T): T {
  return viewOf(raw);
}

/** The view of a raw object (the same view every time); primitives, functions and DateTimes as is. */
export function viewOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  return (rawToView.get(value) ?? createView(value)) as T;
}

function anyView(value: unknown): unknown {
  return viewOf(value);
}

function childView(parent: object, key: unknown, viaMap: boolean, value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return rawToView.get(value) ?? createView(value, parent, key, viaMap);
}

function createView(value: object, parent?: object, key?: unknown, viaMap = false): object {
  if (viewToRaw.has(value)) return value;
  const raw = trackingToRaw.get(value);
  if (raw !== undefined) return viewOf(raw);
  if (isPassThrough(value)) {
    rawToView.set(value, value);
    return value;
  }
  const kind = kindOf(value);
  if (kind !== 'plain') tables[kind].register(value);
  const view = new Proxy(value, Array.isArray(value) ? arrayHandler : handlers[kind]);
  rawToView.set(value, view);
  viewToRaw.set(view, value);
  if (parent !== undefined) recordStep(value, parent, key, viaMap);
  return view;
}

function keyLabel(key: PropertyKey): string {
  return typeof key === 'symbol' ? key.toString() : `"${key}"`;
}

const plainHandler: ProxyHandler<object> = {
  get(target, key, receiver) {
    const value: unknown = Reflect.get(target, key, receiver);
    if (typeof value !== 'object' || value === null) return value;
    return rawToView.get(value) ?? createView(value, target, key);
  },
  set(_target, key) {
    throw readonlyViolation(`assign property ${keyLabel(key)}`);
  },
  defineProperty(_target, key) {
    throw readonlyViolation(`define property ${keyLabel(key)}`);
  },
  deleteProperty(_target, key) {
    throw readonlyViolation(`delete property ${keyLabel(key)}`);
  },
  getOwnPropertyDescriptor(target, key) {
    const desc = Reflect.getOwnPropertyDescriptor(target, key);
    if (desc !== undefined && desc.configurable && 'value' in desc)
      desc.value = childView(target, key, false, desc.value);
    return desc;
  },
  setPrototypeOf() {
    throw readonlyViolation('change the prototype');
  },
  preventExtensions() {
    throw readonlyViolation('freeze, seal or prevent extensions of the object');
  },
};

const tables = builtinTables((kind) => viewFactory(kind, { viewOf: anyView, childView }));

const arrayPaths = arrayFastPaths((raw, index, value) => childView(raw, index, false, value));

const arrayHandler: ProxyHandler<object> = {
  ...plainHandler,
  get(target, key, receiver) {
    const value: unknown = Reflect.get(target, key, receiver);
    if (typeof value === 'function') return arrayPaths.get(value) ?? value;
    if (typeof value !== 'object' || value === null) return value;
    return rawToView.get(value) ?? createView(value, target, key);
  },
};

function builtinHandler(table: BuiltinTable): ProxyHandler<object> {
  return {
    ...plainHandler,
    get(target, key, receiver) {
      const entry = table.find(target, key);
      if (entry === undefined) return plainHandler.get!(target, key, receiver);
      return entry.getter !== undefined ? viewOf(entry.getter.call(target)) : entry.wrapper;
    },
  };
}

const handlers: Record<Kind, ProxyHandler<object>> = {
  plain: plainHandler,
  map: builtinHandler(tables.map),
  set: builtinHandler(tables.set),
  date: builtinHandler(tables.date),
  typed: builtinHandler(tables.typed),
  dataview: builtinHandler(tables.dataview),
  arraybuffer: builtinHandler(tables.arraybuffer),
  regexp: builtinHandler(tables.regexp),
};
