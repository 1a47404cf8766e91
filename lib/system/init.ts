import type { SystemOptions } from './options';
import { PrevalentSystem } from './system';
import { createSystemProxy } from './proxy';
import { handOver } from './handed-over';
import type { Prevalent, PrevalentMutable } from './types';

/**
 * Wraps a domain object so that it persists: restores its state from
 * `basedir` (newest snapshot plus the journal after it), or writes snapshot 0
 * of `domain` when the directory is empty. Every call of a method not marked
 * `@readonly` is journaled before it returns.
 *
 * An instance given is not the state afterwards: the state starts as a copy
 * of it, and the instance answers as the returned system object does (see
 * handed-over.ts), so a call made on it is journaled too.
 *
 * @param domain an instance of the domain class, or the class itself (constructed with no
 *   arguments; a class whose constructor needs some is typed as an instance of its own: pass an
 *   instance of it instead)
 * @param options the data directory, or {@link SystemOptions}
 */
export function initSystem<T extends object>(
  domain: T | (new () => T),
  options: SystemOptions & { isolation: 'clone' | 'none' },
): PrevalentMutable<T>;
export function initSystem<T extends object>(
  domain: T | (new () => T),
  options?: string | SystemOptions,
): Prevalent<T>;
export function initSystem<T extends object>(
  domain: T | (new () => T),
  options?: string | SystemOptions,
): Prevalent<T> | PrevalentMutable<T> {
  const system = PrevalentSystem.open(domain, options);
  const proxy = createSystemProxy(system);
  if (system.given !== undefined) handOver(system.given, system.root, proxy);
  return proxy as Prevalent<T>;
}
