import { activeAction, type DomainMethod, type RunnerFlags } from './runner';
import { PrevalenceError, isPrevalenceError } from '../errors';
import { hasFlag } from '../decorators';
import { IMPLICIT_QUERIES, isQueryMethod } from '../flags';
import { validateActionMethod } from '../clock/validate';
import type { PrevalentSystem } from './system';
import { openedRoot } from './exporter';
import type { Prevalent, SystemControls } from './types';

export const CONTROL_NAMES: ReadonlySet<PropertyKey> = new Set([
  'takeSnapshot',
  'close',
  'sync',
  'basedirAbspath',
]);

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

function makeControls(system: PrevalentSystem<object>): SystemControls {
  return {
    takeSnapshot: (options?: unknown) => system.takeSnapshot(options),
    close: () => system.close(),
    sync: () => system.sync(),
    basedirAbspath: () => system.basedir,
  };
}

/**
 * The wrapper of a method that runs as a query without being marked
 * `@readonly`: one with a symbol key (the journal names actions by string),
 * or `toString`, `toJSON`, `valueOf`, `toLocaleString` (the language calls
 * them by itself). It runs on the root's read-only view in every isolation
 * mode, so a change it tries is refused, saying why, rather than made
 * outside the journal (`'none'` runs marked queries on the raw state, as it
 * promises; these were never marked).
 */
function unmarkedQuery(
  system: PrevalentSystem<object>,
  fn: DomainMethod,
  flags: RunnerFlags,
  why: string,
): DomainMethod {
  return function query() {
    try {
      // eslint-disable-next-line prefer-rest-params
      if (flags.closed || activeAction.running) return system.callQuery(fn, arguments);
      // eslint-disable-next-line prefer-rest-params
      return system.exporter.runUnmarkedQuery(fn, arguments);
    } catch (err) {
      if (!isPrevalenceError(err, 'READONLY_VIOLATION')) throw err;
      throw new PrevalenceError(
        'READONLY_VIOLATION',
        `${why}, so it runs as a query and cannot change the state: make the change in an action method of another (string) name. (${err.message})`,
        { cause: err },
      );
    }
  };
}

/**
 * The object `initSystem` returns: methods become journaled actions (or
 * queries when `@readonly`), property reads go through the isolation mode,
 * and direct writes are refused. The method wrappers are built once per name
 * so the trap allocates nothing on the hot path.
 */
export function createSystemProxy<T extends object>(system: PrevalentSystem<T>): Prevalent<T> {
  const controls = makeControls(system as PrevalentSystem<object>) as unknown as Record<
    string,
    unknown
  >;
  const wrappers = new Map<PropertyKey, DomainMethod>();
  const flags = system.flags;
  let lastKey: PropertyKey | undefined;
  let lastWrapper: DomainMethod | undefined;
  const queryThis = system.exporter.queryThis;

  function wrap(key: PropertyKey, fn: DomainMethod, owner: object): DomainMethod {
    let wrapper: DomainMethod;
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
        system,
        fn,
        flags,
        `${key}() is called by the language itself (a template string, JSON.stringify, logging)`,
      );
    } else if (typeof key === 'symbol' && !hasFlag(fn, 'readonly')) {
      wrapper = unmarkedQuery(
        system,
        fn,
        flags,
        `${String(key)} has a symbol key (the journal names action methods by string)`,
      );
    } else if (queryThis !== undefined) {
      // The common case in one frame: no closed system, no action running
      // (callQuery refuses a call from inside an action and one after close).
      wrapper = function query() {
        // eslint-disable-next-line prefer-rest-params
        if (flags.closed || activeAction.running) return system.callQuery(fn, arguments);
        // eslint-disable-next-line prefer-rest-params
        return Reflect.apply(fn, queryThis, arguments);
      };
    } else {
      wrapper = function query() {
        // eslint-disable-next-line prefer-rest-params
        return system.callQuery(fn, arguments);
      };
    }
    wrappers.set(key, wrapper);
    return wrapper;
  }

  const handler: ProxyHandler<T> = {
    get(target, key) {
      // Loops call one method over and over: one comparison instead of a Map lookup.
      if (key === lastKey) return lastWrapper;
      const wrapper = wrappers.get(key);
      if (wrapper !== undefined) {
        lastKey = key;
        lastWrapper = wrapper;
        return wrapper;
      }
      if (CONTROL_NAMES.has(key)) return controls[key as string];
      // As for any object: the class itself (not a query wrapper, nor a field
      // an action stored under that name), and the prototype.
      if (key === 'constructor') return Reflect.get(Object.getPrototypeOf(target) as object, key);
      if (key === '__proto__') return Object.getPrototypeOf(target) as unknown;
      const method = protoMethod(target, key);
      if (method !== undefined) return wrap(key, method.fn, method.owner);
      return system.readProperty(key);
    },
    getOwnPropertyDescriptor(target, key) {
      const desc = Reflect.getOwnPropertyDescriptor(target, key);
      if (desc && 'value' in desc && desc.configurable)
        desc.value = system.readProperty(key) as never;
      return desc;
    },
    set: (_t, key) => directMutation(key),
    deleteProperty: (_t, key) => directMutation(key),
    defineProperty: (_t, key) => directMutation(key),
    setPrototypeOf: () => directMutation('the prototype'),
    preventExtensions: () => directMutation('whether the object is extensible'),
  };
  const proxy = new Proxy(system.root, handler) as Prevalent<T>;
  openedRoot(system.root, proxy);
  return proxy;
}
