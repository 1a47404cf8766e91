import { types } from 'node:util';
import * as path from 'node:path';
import type { StorableClass } from '../codec/registry';
import { refuseBuiltinSubclass } from '../codec/builtin-classes';
import type { FileSystem } from '../fs/seam';
import { realFs } from '../fs/seam';
import {
  bool,
  byteCount,
  callback,
  describeValue,
  fileSystem,
  invalid,
  isPlainObject,
  oneOf,
  refuseUnknownKeys,
  timerMs,
} from './option-checks';

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

/**
 * Options of {@link initSystem}: a plain object, every field optional (or a
 * basedir string alone). Checked before anything is created on disk: an
 * unknown key (a typo), a value of the wrong type or out of range is refused
 * with `INVALID_OPTION` saying what is allowed.
 */
export interface SystemOptions {
  /**
   * Data directory, created when missing. Default: `./<lower-cased class name>`
   * under `process.cwd()`. A path naming a file, under a file or not writable
   * is refused with `INVALID_OPTION`.
   */
  basedir?: string | undefined;
  /** A journal file is rotated once it would grow past this many bytes: a whole number, at least 1. Default 64 MiB. */
  journalMaxBytes?: number | undefined;
  /**
   * Take a snapshot automatically this often (ms) when actions happened; at
   * most 2^31-1 (about 24.8 days, the longest delay Node's timers take).
   * Default 0: never.
   */
  snapshotIntervalMs?: number | undefined;
  /**
   * Classes whose instances may be stored, besides the root class and
   * `@persistent` ones: an array (stored under each class's name) or an object
   * from stored name to class. A class goes under one name only, and may not
   * extend a built-in type (`NOT_SERIALIZABLE`). A `@persistent('Name')` class
   * is stored under that name whatever this says; the name given here is
   * still read (data stored under it by an earlier version opens).
   */
  classes?: StorableClass[] | Record<string, StorableClass> | undefined;
  /** Default `'always'`: a call returns only once its record is on disk. */
  durability?: Durability | undefined;
  /** In `'batch'` mode (and for `@unlocked` methods), the longest a record waits for its fsync: more than 0, at most 2^31-1 ms. Default 20 ms. */
  batchIntervalMs?: number | undefined;
  /** `'truncate'` opens a damaged journal up to its last good record (after copying it aside). Default `'refuse'`. */
  recover?: 'refuse' | 'truncate' | undefined;
  /** Default `'readonly'`: callers get read-only views of the state. */
  isolation?: Isolation | undefined;
  /** Default true: stop a restore whose replayed action ends differently from the live call (`REPLAY_DIVERGED`). A boolean: `'false'` is refused. */
  strictReplay?: boolean | undefined;
  /** Delete journal files older than the second-newest good snapshot after each snapshot. A boolean; default false. */
  pruneJournals?: boolean | undefined;
  /** Delete snapshots older than the second-newest good snapshot after each snapshot, keeping two. A boolean; default false. */
  pruneSnapshots?: boolean | undefined;
  /** A function called while a restore reads the snapshot and the journal. */
  onProgress?: ((progress: RestoreProgress) => void) | undefined;
  /** A function warnings go to (a torn journal tail dropped, a damaged snapshot skipped, a rebuild from the journal alone, a stored class whose constructor reads the time, an action or constructor that writes a static field or module variable, an action that never changes the state, a slow automatic snapshot). Default: `process.emitWarning`. */
  onWarning?: ((message: string) => void) | undefined;
  /** The file-system seam; tests pass a fault-injecting one. It must have every method of {@link FileSystem}. */
  fileSystem?: FileSystem | undefined;
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
  pruneSnapshots: boolean;
  onProgress: ((progress: RestoreProgress) => void) | undefined;
  warn: (message: string) => void;
  fs: FileSystem;
}

const defaultWarn = (message: string): void => process.emitWarning(message, 'PrevalentWarning');

/**
 * The user's onWarning, made safe to call from timers and promise handlers
 * (automatic snapshots, background fdatasyncs): if it throws, the warning
 * goes to process.emitWarning with what it threw, instead of ending the
 * process as an uncaught exception or an unhandled rejection.
 */
function guardedWarn(
  onWarning: ((message: string) => void) | undefined,
): (message: string) => void {
  if (onWarning === undefined) return defaultWarn;
  return (message) => {
    try {
      notAwaited(onWarning(message), 'onWarning', defaultWarn);
    } catch (err) {
      defaultWarn(
        `${message} (onWarning threw: ${err instanceof Error ? err.message : String(err)})`,
      );
    }
  };
}

// A Record so that a field added to SystemOptions must be listed here to be accepted.
const OPTION_KEYS: Readonly<Record<keyof SystemOptions, true>> = {
  basedir: true,
  journalMaxBytes: true,
  snapshotIntervalMs: true,
  classes: true,
  durability: true,
  batchIntervalMs: true,
  recover: true,
  isolation: true,
  strictReplay: true,
  pruneJournals: true,
  pruneSnapshots: true,
  onProgress: true,
  onWarning: true,
  fileSystem: true,
};
const KNOWN = Object.keys(OPTION_KEYS);

/** [stored name, class] pairs; for an array, the name is the class's own, or where it is when it is not a class. */
const MAX_CLASSES = 100_000;

function classEntries(classes: unknown): Array<[string, unknown]> {
  if (Array.isArray(classes)) {
    if (classes.length > MAX_CLASSES) {
      throw invalid(
        `options.classes is an array of length ${classes.length}; pass the classes themselves (at most ${MAX_CLASSES})`,
      );
    }
    // Array.from, not map: a hole is an entry too (undefined, refused by name below).
    return Array.from(classes, (cls: unknown, i): [string, unknown] => [
      typeof cls === 'function' ? cls.name : `options.classes[${i}]`,
      cls,
    ]);
  }
  if (isPlainObject(classes)) return Object.entries(classes);
  throw invalid(
    'options.classes must be an array of classes or an object mapping stored names to classes',
  );
}

function classList(classes: unknown): Array<[StorableClass, string]> {
  if (classes === undefined) return [];
  const nameOf = new Map<unknown, string>();
  return classEntries(classes).map(([name, cls]) => {
    if (typeof cls !== 'function') {
      const where = Array.isArray(classes) ? name : `options.classes["${name}"]`;
      throw invalid(
        `options.classes must hold classes; ${where} is ${describeValue(cls)}: pass the class itself (not an instance or its name)`,
      );
    }
    const other = nameOf.get(cls);
    if (other !== undefined && other !== name) {
      throw invalid(
        `options.classes holds class ${cls.name || '(anonymous)'} under two names, "${other}" and "${name}": a class is stored under one name; keep one of them`,
      );
    }
    nameOf.set(cls, name);
    refuseBuiltinSubclass(cls as StorableClass);
    return [cls as StorableClass, name];
  });
}

function basedirOf(value: unknown, rootClassName: string): string {
  if (value === undefined) return path.resolve(rootClassName.toLowerCase());
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw invalid('basedir must be a non-empty path string (without NUL characters)');
  }
  return path.resolve(value);
}

/**
 * Validates `options` (a basedir string or a plain options object) and fills
 * in defaults. Touches nothing on disk: every refusal comes before the
 * directory is created. The default basedir is named after the root class's
 * stored name: its `@persistent` name (`persistentName`), else the name
 * `options.classes` gives it (a renamed root class's old one), else its
 * class name.
 */
export function resolveOptions(
  options: unknown,
  rootClass: StorableClass,
  persistentName: string | undefined,
): ResolvedOptions {
  const o = typeof options === 'string' ? { basedir: options } : (options ?? {});
  if (!isPlainObject(o)) {
    throw invalid(
      'options must be a basedir string or a plain options object such as { basedir: "./data" }',
    );
  }
  refuseUnknownKeys(o, KNOWN);
  const warn = guardedWarn(callback<(message: string) => void>('onWarning', o.onWarning));
  const classes = classList(o.classes);
  const storedName =
    persistentName ?? classes.find(([cls]) => cls === rootClass)?.[1] ?? rootClass.name;
  return {
    basedir: basedirOf(o.basedir, storedName),
    journalMaxBytes: byteCount('journalMaxBytes', o.journalMaxBytes, 64 * 1024 * 1024),
    snapshotIntervalMs: timerMs('snapshotIntervalMs', o.snapshotIntervalMs, 0, true),
    classes,
    durability: oneOf('durability', o.durability, ['always', 'batch', 'none'], 'always'),
    batchIntervalMs: timerMs('batchIntervalMs', o.batchIntervalMs, 20, false),
    recover: oneOf('recover', o.recover, ['refuse', 'truncate'], 'refuse'),
    isolation: oneOf('isolation', o.isolation, ['readonly', 'clone', 'none'], 'readonly'),
    strictReplay: bool('strictReplay', o.strictReplay, true),
    pruneJournals: bool('pruneJournals', o.pruneJournals, false),
    pruneSnapshots: bool('pruneSnapshots', o.pruneSnapshots, false),
    onProgress: guardedProgress(
      callback<(progress: RestoreProgress) => void>('onProgress', o.onProgress),
      warn,
    ),
    warn,
    fs: fileSystem(o.fileSystem, realFs),
  };
}

/**
 * onProgress as given, except that a promise it returns (an async callback)
 * that rejects is reported as a warning: nothing awaits it, and its
 * rejection would end the process as unhandled. A synchronous throw still
 * fails the open.
 */
function guardedProgress(
  onProgress: ((progress: RestoreProgress) => void) | undefined,
  warn: (message: string) => void,
): ((progress: RestoreProgress) => void) | undefined {
  if (onProgress === undefined) return undefined;
  return (progress) => {
    notAwaited(onProgress(progress), 'onProgress', warn);
  };
}

/** Catches the rejection of `returned` when it is a promise, reporting it as `name`'s through `warn`. */
function notAwaited(returned: unknown, name: string, warn: (message: string) => void): void {
  if (!types.isPromise(returned)) return;
  returned.then(undefined, (err: unknown) =>
    warn(
      `${name} returned a promise that rejected (${err instanceof Error ? err.message : String(err)}); prevalent calls ${name} synchronously and does not await what it returns`,
    ),
  );
}

/** The options of verifyReplay, checked like initSystem's: classes and the warning callback. */
export interface ResolvedVerifyOptions {
  classes: Array<[StorableClass, string]>;
  warn: (message: string) => void;
}

const VERIFY_KEYS = ['classes', 'onWarning'] as const;

/** Validates verifyReplay's options (a plain object with `classes` and `onWarning`, both optional). */
export function resolveVerifyOptions(options: unknown): ResolvedVerifyOptions {
  const o = options ?? {};
  if (!isPlainObject(o)) {
    throw invalid('verifyReplay options must be a plain object such as { classes: [Page] }');
  }
  refuseUnknownKeys(o, VERIFY_KEYS);
  return {
    classes: classList(o.classes),
    warn: guardedWarn(callback<(message: string) => void>('onWarning', o.onWarning)),
  };
}
