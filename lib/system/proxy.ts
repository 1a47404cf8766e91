import { inspect } from 'node:util';
import { activeAction, type DomainMethod } from './runner';
import { PrevalenceError, isPrevalenceError } from '../errors';
import { hasFlag } from '../decorators';
import { IMPLICIT_QUERIES, isQueryMethod } from '../flags';
import { validateActionMethod } from '../clock/validate';
import type { PrevalentSystem } from './system';
import { closedSystemObject, openedRoot } from './exporter';
import { ClosedSystem } from './closed';
import type { Prevalent } from './types';
import { pureReadOf, type PureRead } from './pure-query';
import { PureQueryGuard, pureQueryStats } from './pure-query-guard';
import { rawToView } from '../isolation/registry';
import { violationAttempts } from '../isolation/violation';

export const CONTROL_NAMES: ReadonlySet<PropertyKey> = new Set([
  'takeSnapshot',
  'close',
  'sync',
  'basedirAbspath',
]);

/** READONLY_VIOLATIONs a query wrapper named (a query called from another query is named once). */
const namedByQuery = new WeakSet<object>();

/** `err`, when a READONLY_VIOLATION no query wrapper named yet, as one that says `why` first. */
function namedInQuery(err: unknown, why: string): unknown {
  if (!isPrevalenceError(err, 'READONLY_VIOLATION') || namedByQuery.has(err)) return err;
  const attempt = violationAttempts.get(err);
  const detail =
    attempt === undefined
      ? err.message
      : `it tried to ${attempt}; to work on a private copy, copy the data out first (copyOf(view) copies deeply; a spread or Array.from copies one level)`;
  const named = new PrevalenceError('READONLY_VIOLATION', `${why} (${detail})`, {
    cause: err,
  });
  namedByQuery.add(named);
  return named;
}

/**
 * The objects a pure read reaches from a primitive without calling a
 * function, its prototype chain, and from a Map's entry a loop over the
 * Map gives (a fresh array, on the views too): Array.prototype. The views
 * hand them out as they are.
 */
const AS_IS_PROTOTYPES: ReadonlySet<object> = new Set([
  Array.prototype,
  Object.prototype,
  String.prototype,
  Number.prototype,
  Boolean.prototype,
  Symbol.prototype,
  BigInt.prototype,
]);

/** What rawRead returns when the query must run on the views after all. */
const USE_VIEWS: unique symbol = Symbol('use views');

/**
 * Pure read `fn` run on the raw root: its result when that is what the
 * read-only `this` would have given (a primitive, or a state object whose
 * view exists, which is the one a view read hands out; a list it gathered,
 * see listOfViews), else USE_VIEWS: a
 * state object seen for the first time (its view is made by the views'
 * read, which records where it was found), a function, or a throw (the
 * views' run gives the error the caller sees).
 */
function rawRead(
  fn: DomainMethod,
  raw: object,
  args: ArrayLike<unknown>,
  returnsList: boolean,
): unknown {
  let result: unknown;
  try {
    result = Reflect.apply(fn, raw, args);
  } catch {
    return USE_VIEWS;
  }
  if (returnsList && Array.isArray(result)) return listOfViews(result);
  if (typeof result === 'object' && result !== null) {
    // A prototype a primitive reaches (`p.__proto__.__proto__` of a string
    // argument) is handed out as it is by the views, while one reached from
    // the state comes as its view: the raw result cannot tell which.
    if (AS_IS_PROTOTYPES.has(result)) return USE_VIEWS;
    const view = rawToView.get(result);
    if (view === undefined) return USE_VIEWS;
    pureQueryStats.rawRuns++;
    return view;
  }
  if (typeof result === 'function') return USE_VIEWS;
  pureQueryStats.rawRuns++;
  return result;
}

/**
 * The list a pure read gathered (its own, made by the run: see
 * PureRead.returnsList) with each state object in it replaced by its view,
 * as the views' run would have gathered it; USE_VIEWS when one has no view
 * yet, is a function or a prototype a primitive reaches (see rawRead).
 */
function listOfViews(list: unknown[]): unknown {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (typeof item === 'object' && item !== null) {
      if (AS_IS_PROTOTYPES.has(item)) return USE_VIEWS;
      const view = rawToView.get(item);
      if (view === undefined) return USE_VIEWS;
      list[i] = view;
    } else if (typeof item === 'function') return USE_VIEWS;
  }
  pureQueryStats.rawRuns++;
  return list;
}

function directMutation(key: PropertyKey): never {
  throw new PrevalenceError(
    'DIRECT_MUTATION',
    `cannot change ${String(key)} directly on the system: the change would not be journaled and would be lost on restart; change it inside a method of the domain class and call that method`,
  );
}

/**
 * The method `key` names on the prototype chain of `root` (not an accessor)
 * and the prototype holding it, found without running any getter: a getter
 * run on the raw root could change the state behind the journal's back. An
 * own property of the same name does not hide it, as it does not from a
 * replay (see Replayer): an action writing a field under a request's key
 * (`this[key] = v`) must not take the method away after a restart only.
 */
function protoMethod(
  root: object,
  key: PropertyKey,
): { fn: DomainMethod; owner: object } | undefined {
  for (
    let o = Object.getPrototypeOf(root) as object | null;
    o !== null;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    const desc = Reflect.getOwnPropertyDescriptor(o, key);
    if (desc === undefined) continue;
    const fn: unknown = desc.value;
    return typeof fn === 'function' ? { fn: fn as DomainMethod, owner: o } : undefined;
  }
  return undefined;
}

/** What the system proxy calls: the open system, and after close() what answers for it. */
type SystemFace = PrevalentSystem<object> | ClosedSystem;

type InspectMethod = (depth: number, options: object, inspector: Inspector) => unknown;
type Inspector = (value: unknown, options?: object) => string;

/**
 * The target of the system proxy: an empty object below the root's
 * prototype. The proxy answers from the system (the root while open), not
 * from its target, so a closed system object the program keeps holds no
 * state. Node's `util.inspect` reads a proxy's target without running traps:
 * the stand-in's inspect method, on a prototype of its own (an own property
 * made the proxy's every get slower, measured), answers for the system.
 */
function standInFor(domainProto: object | null, inspectSystem: InspectMethod): object {
  const withInspect = Object.create(domainProto, {
    [inspect.custom]: { value: inspectSystem, configurable: true },
  }) as object;
  return Object.create(withInspect) as object;
}

/**
 * The object `initSystem` returns: methods become journaled actions (or
 * queries when `@readonly`), property reads go through the isolation mode,
 * and direct writes are refused. The method wrappers are built once per name
 * so the trap allocates nothing on the hot path. At close the proxy lets go
 * of the system: its closures answer through a {@link ClosedSystem}.
 */
export function createSystemProxy<T extends object>(opened: PrevalentSystem<T>): Prevalent<T> {
  // Every closure below (wrappers the program may keep, the handler) reads
  // these, and close() resets them: that is what lets go of the state.
  let system: SystemFace = opened as PrevalentSystem<object>;
  let root: object | undefined = opened.root;
  // What answers for the root's class once it is gone: methods, `constructor`, `in`.
  const domainProto = Object.getPrototypeOf(opened.root) as object | null;
  const emptyOfClass = Object.create(domainProto) as object;
  // A property, not a `let`: V8 ran the fast query path below about 20% slower
  // in 'none' isolation with a reassigned captured variable (measured).
  const held = {
    queryThis: opened.exporter.queryThis,
    // 'readonly' only: the raw root, for queries proven to change nothing (see pure-query.ts).
    rawRoot: opened.exporter.isolation === 'readonly' ? (opened.root as object) : undefined,
  };
  const pureGuard = new PureQueryGuard(opened.registry);
  const wrappers = new Map<PropertyKey, DomainMethod>();
  let lastKey: PropertyKey | undefined;
  let lastWrapper: DomainMethod | undefined;
  const flags = opened.flags;
  const basedir = opened.basedir;
  const className = opened.domainClass.name || 'domain';

  const controls: Record<string, unknown> = {
    takeSnapshot: (options?: unknown) => system.takeSnapshot(options),
    close: () => system.close(),
    sync: () => system.sync(),
    basedirAbspath: () => system.basedir,
  };

  /**
   * The wrapper of a method that runs as a query without being marked
   * `@readonly`: one with a symbol key (the journal names actions by string),
   * or `toString`, `toJSON`, `valueOf`, `toLocaleString` (the language calls
   * them by itself). It runs on the root's read-only view in every isolation
   * mode, so a change it tries is refused, saying why, rather than made
   * outside the journal (`'none'` runs marked queries on the raw state, as it
   * promises; these were never marked).
   */
  function unmarkedQuery(fn: DomainMethod, why: string): DomainMethod {
    return function query() {
      try {
        // eslint-disable-next-line prefer-rest-params
        if (flags.closed || activeAction.running) return system.callQuery(fn, arguments);
        // Open, as flags.closed is set before the proxy swaps to a ClosedSystem.
        // eslint-disable-next-line prefer-rest-params
        return (system as PrevalentSystem<object>).exporter.runUnmarkedQuery(fn, arguments);
      } catch (err) {
        throw namedInQuery(
          err,
          `${why}, so it runs as a query and cannot change the state: make the change in an action method of another (string) name.`,
        );
      }
    };
  }

  /**
   * A READONLY_VIOLATION from inside the @readonly method `key`, naming it:
   * the change was tried by the query itself or by a method it called
   * through `this` (an action called from a query runs as part of it).
   */
  function inQuery(err: unknown, key: PropertyKey): unknown {
    return namedInQuery(
      err,
      `the change was refused inside ${String(key)}(), which is marked @readonly and so runs on a read-only view of the state, as does every method it calls through \`this\` (an action called from a query is part of the query) and every callback given to it: make the change by calling an action on the system object.`,
    );
  }

  function wrap(key: PropertyKey, fn: DomainMethod, owner: object): DomainMethod {
    let wrapper: DomainMethod;
    let read: PureRead | undefined;
    // A method of the domain class itself (not of Object.prototype) that is not a query.
    const isAction =
      typeof key === 'string' &&
      key !== 'constructor' &&
      owner !== Object.prototype &&
      !isQueryMethod(key, fn);
    if (isAction) {
      // initSystem checked the methods the class had then; one added to it
      // since is checked here, when it is first read.
      validateActionMethod(system.domainClass, key, fn, owner);
      const abort = hasFlag(fn, 'abortOnException');
      const unlocked = hasFlag(fn, 'unlocked');
      // `arguments` rather than a rest array: V8 passes it to apply without copying
      wrapper = function action() {
        // eslint-disable-next-line prefer-rest-params
        return system.callAction(key, fn, arguments, abort, unlocked);
      };
    } else if (typeof key === 'string' && IMPLICIT_QUERIES.has(key) && !hasFlag(fn, 'readonly')) {
      wrapper = unmarkedQuery(
        fn,
        `${key}() is called by the language itself (a template string, JSON.stringify, logging)`,
      );
    } else if (typeof key === 'symbol' && !hasFlag(fn, 'readonly')) {
      wrapper = unmarkedQuery(
        fn,
        `${String(key)} has a symbol key (the journal names action methods by string)`,
      );
    } else if (held.rawRoot !== undefined && (read = pureReadOf(fn)) !== undefined) {
      const pure = read;
      // As below, but a pure read runs on the raw root when the guard allows:
      // no proxy trap per property read (see pure-query.ts).
      wrapper = function query() {
        try {
          // eslint-disable-next-line prefer-rest-params
          if (flags.closed || activeAction.running) return system.callQuery(fn, arguments);
          // Taken before the guard: a getter element of a list argument, run as the guard copies
          // it, may close the system (which lets go of both); a views' run begun while open keeps
          // its root view to the end.
          const raw = held.rawRoot as object;
          const views = held.queryThis as object;
          // eslint-disable-next-line prefer-rest-params
          const rawArgs = pureGuard.allows(pure, arguments);
          if (rawArgs !== undefined) {
            const result = rawRead(fn, raw, rawArgs, pure.returnsList);
            if (result !== USE_VIEWS) return result;
          }
          // eslint-disable-next-line prefer-rest-params
          return Reflect.apply(fn, views, arguments);
        } catch (err) {
          throw inQuery(err, key);
        }
      };
    } else if (held.queryThis !== undefined) {
      // The common case in one frame: no closed system, no action running
      // (callQuery refuses a call from inside an action and one after close).
      wrapper = function query() {
        try {
          // eslint-disable-next-line prefer-rest-params
          if (flags.closed || activeAction.running) return system.callQuery(fn, arguments);
          // Not checked for `return this` as an action's result is: any use of the
          // result here halved the speed of 'none' reads (measured).
          // eslint-disable-next-line prefer-rest-params
          return Reflect.apply(fn, held.queryThis, arguments);
        } catch (err) {
          throw inQuery(err, key);
        }
      };
    } else {
      wrapper = function query() {
        try {
          // eslint-disable-next-line prefer-rest-params
          return system.callQuery(fn, arguments);
        } catch (err) {
          throw inQuery(err, key);
        }
      };
    }
    wrappers.set(key, wrapper);
    return wrapper;
  }

  // As Node did when the target was the root: the class's own inspect method
  // (or getter) runs with the system object as `this` (a change it tries is
  // refused); without one, the root is shown as it is. Node shows the target
  // itself, the empty stand-in, only when asked not to run inspect methods
  // (`customInspect: false`); an inspect method that shows the system
  // object itself that way, or returns it, is shown the root.
  const showRoot = (value: unknown, options?: object): string =>
    inspect(value === proxy && root !== undefined ? root : value, options);
  const standIn = standInFor(domainProto, (depth, options) => {
    if (root === undefined) return `[${className}: closed prevalent system of ${basedir}]`;
    const own: unknown = Reflect.get(root, inspect.custom, proxy);
    if (typeof own !== 'function') return inspect(root, { ...options, depth });
    const shown = Reflect.apply(own as InspectMethod, proxy, [depth, options, showRoot]);
    return shown === proxy ? inspect(root, { ...options, depth }) : shown;
  });

  const handler: ProxyHandler<object> = {
    get(_target, key) {
      // Loops call one method over and over: one comparison instead of a Map lookup.
      if (key === lastKey) return lastWrapper;
      const wrapper = wrappers.get(key);
      if (wrapper !== undefined) {
        lastKey = key;
        lastWrapper = wrapper;
        return wrapper;
      }
      if (CONTROL_NAMES.has(key)) return controls[key as string];
      const from = root ?? emptyOfClass;
      // As for any object: the class itself (not a query wrapper, nor a field
      // an action stored under that name), and the prototype.
      if (key === 'constructor') return Reflect.get(Object.getPrototypeOf(from) as object, key);
      if (key === '__proto__') return Object.getPrototypeOf(from) as unknown;
      const method = protoMethod(from, key);
      if (method !== undefined) return wrap(key, method.fn, method.owner);
      return system.readProperty(key);
    },
    // Closed: no own properties, not a refusal. Tools list and copy the
    // properties of objects they hold (jest 30 at teardown, for every value a
    // test put in a global; jest's copy of a failed assertion's values): a
    // refusal there failed the whole test file. Reads of the state's fields
    // are still refused.
    getOwnPropertyDescriptor(_target, key) {
      if (root === undefined) return undefined;
      const desc = Reflect.getOwnPropertyDescriptor(root, key);
      if (desc === undefined) return desc;
      if ('value' in desc) desc.value = system.readProperty(key) as never;
      // A proxy may call a property non-configurable only if its target has
      // it so. The state never holds one but through a query in 'none'
      // isolation, which runs on the raw root; the proxy refuses to change
      // any property anyway.
      desc.configurable = true;
      return desc;
    },
    // Closed: the class's members are still there, the state is not. Not a
    // refusal: tools test kept objects with `in` (jest's teardown asks every
    // global for '_isMockFunction'), as promise resolution reads `then`.
    has: (_target, key) => CONTROL_NAMES.has(key) || Reflect.has(root ?? emptyOfClass, key),
    ownKeys: () => (root === undefined ? [] : Reflect.ownKeys(root)),
    getPrototypeOf: () => Object.getPrototypeOf(root ?? emptyOfClass) as object | null,
    set: (_t, key) => directMutation(key),
    deleteProperty: (_t, key) => directMutation(key),
    defineProperty: (_t, key) => directMutation(key),
    setPrototypeOf: () => directMutation('the prototype'),
    preventExtensions: () => directMutation('whether the object is extensible'),
  };
  const proxy = new Proxy(standIn, handler) as Prevalent<T>;
  openedRoot(opened.root, proxy);
  opened.systemObject = proxy;
  opened.onClosed = (closed) => {
    system = closed;
    root = undefined;
    held.queryThis = undefined;
    held.rawRoot = undefined;
    wrappers.clear();
    lastKey = undefined;
    lastWrapper = undefined;
    closedSystemObject(proxy);
  };
  return proxy;
}
