import { PrevalenceError } from '../errors';
import type { StorableClass } from '../codec/registry';
import { refuseInsideAction } from './runner';
import { descriptorOnChain } from '../isolation/record';

/** The refusal of every use of a closed system but close() and basedirAbspath(). */
export function closedError(basedir: string): PrevalenceError {
  return new PrevalenceError(
    'CLOSED',
    `the system for ${basedir} was closed; open it again with initSystem`,
  );
}

/**
 * What a system object answers with once its system is closed: the same
 * refusals as the closed system, without holding it. The proxy swaps to this
 * at close, so a closed system object the program still holds keeps nothing
 * of the state (or the journal, the lock, the undo log) alive.
 */
export class ClosedSystem {
  /**
   * @param basedirPath the data directory, still answered by basedirAbspath()
   * @param closing the first close()'s promise, which every later close() returns
   * @param domainClass the domain class (a method first read after close is checked against it)
   * @param fields the root's own keys at close: reading one is refused, any other key reads as absent
   */
  constructor(
    readonly basedirPath: string,
    readonly closing: Promise<void>,
    readonly domainClass: StorableClass,
    readonly fields: ReadonlySet<PropertyKey>,
  ) {}

  get basedir(): string {
    refuseInsideAction('basedirAbspath()');
    return this.basedirPath;
  }

  /** Refuses `what` (in an action, as made from inside one; else as closed). */
  refuse(what: string): never {
    refuseInsideAction(what);
    throw closedError(this.basedirPath);
  }

  callAction(name: string): never {
    return this.refuse(`${name}()`);
  }

  callQuery(method: { name: string }): never {
    return this.refuse(`the query ${method.name}()`);
  }

  readProperty(key: PropertyKey): unknown {
    refuseInsideAction(`reading ${String(key)}`);
    // Promise resolution reads `then`: a closed system can still be returned
    // from an async function or passed to Promise.resolve. Other tools probe
    // kept objects too (Symbol.toStringTag, jest's asymmetricMatch): only the
    // state's own fields and the class's getters are refused (a getter read
    // as undefined would answer a request wrongly instead of failing).
    if (key === 'then' || !(this.fields.has(key) || this.#isGetter(key))) return undefined;
    throw closedError(this.basedirPath);
  }

  /** True for a getter of the domain class (string keys: tools probe well-known symbols). */
  #isGetter(key: PropertyKey): boolean {
    return (
      typeof key === 'string' &&
      descriptorOnChain(this.domainClass.prototype as object, key)?.get !== undefined
    );
  }

  takeSnapshot(): never {
    return this.refuse('takeSnapshot()');
  }

  sync(): Promise<void> {
    refuseInsideAction('sync()');
    return Promise.reject(closedError(this.basedirPath));
  }

  close(): Promise<void> {
    refuseInsideAction('close()');
    return this.closing;
  }
}
