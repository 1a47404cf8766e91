import { ARRAY_MUTATORS, arrayFastPaths } from './array-methods';
import { BuiltinTable, builtinTables, handlerKindOf, type Kind } from './kinds';
import { hasLink, isDetached, markDetached, toStep, type LinkStep, type ViewLink } from './paths';
import { MirrorKind } from './date-mirrors';
import { viewRaw } from './builtin-common';
import {
  answerView,
  dateViewLinks,
  forgetMethodOfView,
  isPassThrough,
  noteMethodOfView,
  rawToView,
  trackingToRaw,
  VIEW_LINK,
  VIEW_TARGET,
  viewTarget,
} from './registry';
import { currentLog, refuseHeldView } from './undo';
import { viewFactory } from './view-builtins';
import { noteDerivedBytes } from './shared-bytes';
import { inGetter, keyLabel, readonlyViolation } from './violation';

export { isView } from './registry';
export { linkTop, locate, locateStats, resolvePath, type PathStep } from './paths';

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

function createView(value: object, parent: object | undefined, step: LinkStep | undefined): object {
  if (viewTarget(value) !== undefined) return value;
  const raw = trackingToRaw.get(value);
  if (raw !== undefined) return viewOf(raw);
  if (isPassThrough(value)) {
    rawToView.set(value, value);
    return value;
  }
  if (parent !== undefined && isDetached(parent)) {
    // Read through an action's result that the state does not hold: no
    // place in the state. An object with a recorded place (one the action
    // stored) keeps it; one without is outside the state too.
    if (!hasLink(value)) markDetached(value);
    parent = undefined;
    step = undefined;
  }
  const kind = handlerKindOf(value);
  if (kind !== 'plain') tables[kind].register(value);
  if (kind === 'date') return createDateView(value as Date, parent, step);
  const Handler = Array.isArray(value) ? ArrayViewHandler : handlerClasses[kind];
  const view = new Proxy(value, newHandler(Handler, parent, step));
  rawToView.set(value, view);
  return view;
}

/**
 * A view's handler. Views found in one large container (a dictionary of
 * pages, a long array) share their parent through a handler prototype made
 * for that container, so each handler holds only its step: 32 bytes instead
 * of 40, about 8% of a cached view (bench/RESULTS.md, memory). A prototype
 * and its constructor cost about 600 bytes, so a container gets them only
 * after SHARED_PARENT_RUN views in a row were made from it; linked structures
 * (each view a new parent) and small records never do.
 */
function newHandler(
  Handler: ViewHandlerClass,
  parent: object | undefined,
  step: LinkStep | undefined,
): PlainViewHandler {
  if (step === undefined || parent === undefined) return new Handler(undefined, undefined);
  if (Handler !== PlainViewHandler) return new Handler(parent, step);
  if (parent !== runParent) {
    runParent = parent;
    runLength = 0;
  }
  const Shared =
    ++runLength < SHARED_PARENT_RUN
      ? sharedParentHandlers.get(parent)
      : sharedParentHandlerOf(parent);
  return Shared === undefined ? new Handler(parent, step) : new Shared(step);
}

const SHARED_PARENT_RUN = 256;

// The parent of the last plain views made, and how many in a row had it.
// Holds one raw object strongly until a view with another parent is made,
// an action ends or a system closes (forgetRecentParent), so an object an
// action removes from the state is never kept by it.
let runParent: object | undefined;
let runLength = 0;

/** Drops the reference to the parent of the last views made (called by endTracking and when a system closes). */
export function forgetRecentParent(): void {
  runParent = undefined;
  runLength = 0;
  forgetMethodOfView();
}

type SharedParentHandlerClass = new (step: LinkStep) => PlainViewHandler;

/** Container raw object → the handler class of plain views found in it, whose prototype holds the container. */
const sharedParentHandlers = new WeakMap<object, SharedParentHandlerClass>();

/** How many containers got a shared-parent handler prototype (for tests). */
export const sharedParentStats = { containers: 0 };

/** The shared-parent handler class of `parent`, made on first use. */
function sharedParentHandlerOf(parent: object): SharedParentHandlerClass {
  let Shared = sharedParentHandlers.get(parent);
  if (Shared === undefined) {
    Shared = sharedParentHandler(parent);
    sharedParentHandlers.set(parent, Shared);
  }
  return Shared;
}

function sharedParentHandler(parent: object): SharedParentHandlerClass {
  sharedParentStats.containers++;
  const proto = Object.create(PlainViewHandler.prototype) as PlainViewHandler;
  // Read through the prototype by the link readers (paths.ts). Held weakly:
  // the prototype lives as long as any handler made from it (V8's hidden
  // classes point to it), also after that handler's object moved elsewhere,
  // and must not keep a container the state dropped. A collected container
  // reads as no link, and locate() searches. setLink gives a moved view's
  // handler an own (weak) parentRef that this getter reads instead.
  const container = new WeakRef(parent);
  Object.defineProperty(proto, 'parent', {
    get(this: PlainViewHandler) {
      return this.parentRef === undefined ? container.deref() : this.parentRef.deref();
    },
    set(this: PlainViewHandler, moved: object | undefined) {
      this.parentRef = moved === undefined ? undefined : new WeakRef(moved);
    },
    configurable: true,
  });
  // A constructor function, not a class: V8 shrinks its instances to the one
  // field it sets (a class extending PlainViewHandler would set two).
  function SharedParentViewHandler(this: { step: LinkStep }, step: LinkStep): void {
    this.step = step;
  }
  SharedParentViewHandler.prototype = proto;
  return SharedParentViewHandler as unknown as SharedParentHandlerClass;
}

/**
 * Handler of a view of a plain object, class instance or null-prototype
 * object; its fields are the view's link. The parent is held weakly: a view
 * the caller keeps must not keep the container its object was found in
 * once the state dropped it (a copied container, `this.pages = { ...this.pages }`,
 * would keep every generation of it).
 */
class PlainViewHandler implements ProxyHandler<object>, ViewLink {
  parentRef: WeakRef<object> | undefined;

  constructor(
    parent: object | undefined,
    public step: LinkStep | undefined,
  ) {
    this.parentRef = parent === undefined ? undefined : new WeakRef(parent);
  }

  get parent(): object | undefined {
    return this.parentRef?.deref();
  }

  set parent(parent: object | undefined) {
    this.parentRef = parent === undefined ? undefined : new WeakRef(parent);
  }

  get(target: object, key: PropertyKey, receiver: unknown): unknown {
    // Asked before the read: the target's prototype chain must not answer for the view.
    if (key === VIEW_TARGET || key === VIEW_LINK) return this.answer(target, key);
    refuseInAction('reading', key);
    let value: unknown;
    try {
      value = Reflect.get(target, key, receiver);
    } catch (err) {
      // Only a getter runs here (the target is a raw state object).
      throw inGetter(err, key);
    }
    return childView(target, key, false, value);
  }

  has(target: object, key: PropertyKey): boolean {
    refuseInAction('asking for', key, 'in');
    return Reflect.has(target, key);
  }

  ownKeys(target: object): ArrayLike<string | symbol> {
    refuseInAction('listing the keys of');
    return Reflect.ownKeys(target);
  }

  getPrototypeOf(target: object): object | null {
    refuseInAction('asking for the prototype of');
    return Reflect.getPrototypeOf(target);
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
    refuseInAction('reading', key);
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

/**
 * Refuses a view's use inside a live action (see refuseHeldView): one load
 * outside actions. `what` is said before the key (if any) and `linking`
 * after it: `reading "rate" of`.
 */
function refuseInAction(what: string, key?: PropertyKey, linking = 'of'): void {
  const running = currentLog();
  if (running === null) return;
  refuseHeldView(running, key === undefined ? what : `${what} ${keyLabel(key)} ${linking}`);
}

const tables = builtinTables((kind) => viewFactory(kind, { viewOf: anyView, childView }));

/**
 * The view of a Date: a real Date (see date-mirrors.ts), whose link (what a
 * proxy view's handler holds) is kept in dateViewLinks. Its prototype holds
 * the view wrappers of the built-ins (setters throw READONLY_VIOLATION,
 * reads run on the raw Date) behind the traps below, which do what a proxy
 * view's get and set traps do.
 */
const dateViews = new MirrorKind(
  tables.date,
  (_key, entry) => {
    const getter = entry.getter;
    if (getter === undefined) return { value: entry.wrapper, writable: true };
    return {
      get(this: unknown) {
        return viewOf(getter.call(viewRaw(this)));
      },
    };
  },
  {
    get(members, key, receiver) {
      const raw = dateViewLinks.get(receiver as object)?.raw;
      if (raw === undefined) return Reflect.get(members, key, receiver);
      refuseInAction('reading', key);
      let value: unknown;
      try {
        // The raw Date's own property (a helper an action defined), else the members and the chain.
        value = Reflect.get(hasOwn.call(raw, key) ? raw : members, key, receiver);
      } catch (err) {
        throw inGetter(err, key);
      }
      return childView(raw, key, false, value);
    },
    set(_members, key) {
      throw readonlyViolation(`assign property ${keyLabel(key)}`);
    },
  },
);

const hasOwn = Object.prototype.hasOwnProperty;

function createDateView(raw: Date, parent: object | undefined, step: LinkStep | undefined): Date {
  const view = dateViews.make(raw);
  dateViewLinks.set(view, new DateViewLink(raw, parent, step));
  rawToView.set(raw, view);
  return view;
}

/** The link of a Date's view (see ViewLink): as a PlainViewHandler holds it, with the raw Date. */
class DateViewLink implements ViewLink {
  parentRef: WeakRef<object> | undefined;

  constructor(
    readonly raw: object,
    parent: object | undefined,
    public step: LinkStep | undefined,
  ) {
    this.parentRef = parent === undefined ? undefined : new WeakRef(parent);
  }

  get parent(): object | undefined {
    return this.parentRef?.deref();
  }

  set parent(parent: object | undefined) {
    this.parentRef = parent === undefined ? undefined : new WeakRef(parent);
  }
}

const arrayPaths = arrayFastPaths((raw, index, value) => childView(raw, index, false, value));

// Refused before they run: some write nothing on a short array (sort or
// reverse of one element, fill of none), and a mutator must not work on
// some arrays of a view and throw on others.
for (const name of ARRAY_MUTATORS) {
  const label = `call Array.prototype.${name}()`;
  arrayPaths.set((Array.prototype as unknown as Record<string, unknown>)[name], () => {
    throw readonlyViolation(label);
  });
}

class ArrayViewHandler extends PlainViewHandler {
  override get(target: object, key: PropertyKey, receiver: unknown): unknown {
    if (key === VIEW_TARGET || key === VIEW_LINK) return this.answer(target, key);
    refuseInAction('reading', key);
    const value: unknown = Reflect.get(target, key, receiver);
    if (typeof value === 'function') return arrayPaths.get(value) ?? value;
    return childView(target, key, false, value);
  }
}

type ViewHandlerClass = new (
  parent: object | undefined,
  step: LinkStep | undefined,
) => PlainViewHandler;

/** The handler class for views of one built-in kind: its members run on the raw object. */
function builtinHandlerClass(table: BuiltinTable): ViewHandlerClass {
  return class BuiltinViewHandler extends PlainViewHandler {
    override get(target: object, key: PropertyKey, receiver: unknown): unknown {
      if (key === VIEW_TARGET || key === VIEW_LINK) return this.answer(target, key);
      refuseInAction('reading', key);
      const entry = table.find(target, key);
      if (entry === undefined) return super.get(target, key, receiver);
      if (entry.getter !== undefined) {
        const value: unknown = entry.getter.call(target);
        noteDerivedBytes(value, target);
        return viewOf(value);
      }
      if (rawToView.get(target) === receiver) noteMethodOfView(receiver as object, target);
      return entry.wrapper;
    }
  };
}

const handlerClasses: Record<Exclude<Kind, 'date'>, ViewHandlerClass> = {
  plain: PlainViewHandler,
  map: builtinHandlerClass(tables.map),
  set: builtinHandlerClass(tables.set),
  typed: builtinHandlerClass(tables.typed),
  dataview: builtinHandlerClass(tables.dataview),
  arraybuffer: builtinHandlerClass(tables.arraybuffer),
  regexp: builtinHandlerClass(tables.regexp),
};
