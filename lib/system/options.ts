import * as path from 'node:path';
import { PrevalenceError } from '../errors';
import type { StorableClass } from '../codec/registry';
import type { FileSystem } from '../fs/seam';
import { realFs } from '../fs/seam';

/** How durable an action is when its call returns. See docs/DURABILITY.md. */
export type Durability = 'always' | 'batch' | 'none';

/**
 * What callers get back from queries, actions and property reads.
 *
 * - `'readonly'` (default): read-only views; every change throws
 *   READONLY_VIOLATION, `this` in a `@readonly` method is a view too, and a
 *   view passed back as an argument is that very state object.
 * - `'clone'`: deep copies; `@readonly` methods still run on a view.
 * - `'none'`: live references, and `@readonly` methods run on the raw state,
 *   so nothing refuses a change made through them (it is not journaled and
 *   is lost on restart): the price of the fastest reads.
 *
 * In `'clone'` and `'none'` an argument is always copied, even one read from
 * the system: `createPage('b', text, getPage('a'))` stores a copy of page a.
 */
export type Isolation = 'readonly' | 'clone' | 'none';

/** Progress of a long restore, reported through `onProgress`. */
export interface RestoreProgress {
  phase: 'snapshot' | 'journal';
  /** Bytes read so far in this phase. */
  done: number;
  /** Bytes to read in this phase. */
  total: number;
}

/** Options of {@link initSystem}. Every field is optional. */
export interface SystemOptions {
  /** Data directory. Default: `./<lower-cased class name>` under `process.cwd()`. */
  basedir?: string;
  /** A journal file is rotated once it would grow past this many bytes. Default 64 MiB. */
  journalMaxBytes?: number;
  /** Take a snapshot automatically this often (ms) when actions happened. Default: never. */
  snapshotIntervalMs?: number;
  /** Classes whose instances may be stored, besides the root class and `@persistent` ones. */
  classes?: StorableClass[] | Record<string, StorableClass>;
  /** Default `'always'`: a call returns only once its record is on disk. */
  durability?: Durability;
  /** In `'batch'` mode (and for `@unlocked` methods), the longest a record waits for its fsync. Default 20 ms. */
  batchIntervalMs?: number;
  /** `'truncate'` opens a damaged journal up to its last good record (after copying it aside). Default `'refuse'`. */
  recover?: 'refuse' | 'truncate';
  /** Default `'readonly'`: callers get read-only views of the state. */
  isolation?: Isolation;
  /** Default true: stop a restore whose replayed action ends differently from the live call (`REPLAY_DIVERGED`). */
  strictReplay?: boolean;
  /** Delete journal files older than the second-newest good snapshot after each snapshot. Default false. */
  pruneJournals?: boolean;
  /** Called while a restore reads the snapshot and the journal. */
  onProgress?: (progress: RestoreProgress) => void;
  /** Where warnings go (a torn journal tail dropped, a damaged snapshot skipped, a rebuild from the journal alone). Default: `process.emitWarning`. */
  onWarning?: (message: string) => void;
  /** The file-system seam; tests pass a fault-injecting one. */
  fileSystem?: FileSystem;
}

/** {@link SystemOptions} with every default filled in. */
export interface ResolvedOptions {
  basedir: string;
  journalMaxBytes: number;
  snapshotIntervalMs: number;
  classes: Array<[StorableClass, string]>;
  durability: Durability;
  batchIntervalMs: number;
  recover: 'refuse' | 'truncate';
  isolation: Isolation;
  strictReplay: boolean;
  pruneJournals: boolean;
  onProgress: ((progress: RestoreProgress) => void) | undefined;
  warn: (message: string) => void;
  fs: FileSystem;
}

const defaultWarn = (message: string): void => process.emitWarning(message, 'PrevalentWarning');

function invalid(message: string): PrevalenceError {
  return new PrevalenceError('INVALID_OPTION', message);
}

function oneOf<T extends string>(name: string, value: T | undefined, allowed: T[], def: T): T {
  if (value === undefined) return def;
  if (!allowed.includes(value)) {
    throw invalid(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function positive(name: string, value: number | undefined, def: number, allowZero = false): number {
  if (value === undefined) return def;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    throw invalid(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number; got ${String(value)}`,
    );
  }
  return value;
}

function classList(classes: SystemOptions['classes']): Array<[StorableClass, string]> {
  if (classes === undefined) return [];
  const entries: Array<[string, unknown]> = Array.isArray(classes)
    ? classes.map((cls) => [(cls as { name?: string })?.name ?? '', cls])
    : Object.entries(classes);
  return entries.map(([name, cls]) => {
    if (typeof cls !== 'function')
      throw invalid(`options.classes must hold classes; "${name}" is not one`);
    return [cls as StorableClass, name];
  });
}

/** Validates `options` (a basedir string or an object) and fills in defaults. */
export function resolveOptions(
  options: string | SystemOptions | undefined,
  rootClassName: string,
): ResolvedOptions {
  const o: SystemOptions = typeof options === 'string' ? { basedir: options } : (options ?? {});
  if (typeof o !== 'object' || o === null)
    throw invalid('options must be a basedir string or an options object');
  if (o.basedir !== undefined && (typeof o.basedir !== 'string' || o.basedir === '')) {
    throw invalid('basedir must be a non-empty string');
  }
  return {
    basedir: path.resolve(o.basedir ?? rootClassName.toLowerCase()),
    journalMaxBytes: positive('journalMaxBytes', o.journalMaxBytes, 64 * 1024 * 1024),
    snapshotIntervalMs: positive('snapshotIntervalMs', o.snapshotIntervalMs, 0, true),
    classes: classList(o.classes),
    durability: oneOf('durability', o.durability, ['always', 'batch', 'none'], 'always'),
    batchIntervalMs: positive('batchIntervalMs', o.batchIntervalMs, 20),
    recover: oneOf('recover', o.recover, ['refuse', 'truncate'], 'refuse'),
    isolation: oneOf('isolation', o.isolation, ['readonly', 'clone', 'none'], 'readonly'),
    strictReplay: o.strictReplay ?? true,
    pruneJournals: o.pruneJournals ?? false,
    onProgress: o.onProgress,
    warn: o.onWarning ?? defaultWarn,
    fs: o.fileSystem ?? realFs,
  };
}
