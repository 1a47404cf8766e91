import type { AnyMethod, DeepReadonly, ReadonlyMethod } from '../isolation/types';

/** Options of {@link SystemControls.takeSnapshot}. */
export interface SnapshotOptions {
  /** A new or empty directory to write the snapshot into, as a data directory of its own (a backup). */
  into?: string | undefined;
}

/** The controls every system proxy adds to the domain object's own members. */
export interface SystemControls {
  /**
   * Writes a snapshot of the whole state now and returns its file path.
   *
   * With `{ into: dir }` it writes the snapshot into `dir` instead, as a data
   * directory of its own (a consistent online backup: open it with
   * `initSystem` to get the state as of this call) and leaves the system's
   * own directory as it is. `dir` must not exist yet or be empty.
   */
  takeSnapshot(options?: SnapshotOptions): string;
  /** Makes everything durable, stops timers and releases the directory; later calls fail with `CLOSED`. */
  close(): Promise<void>;
  /** Resolves when every action so far is durable (many callers share one fsync). */
  sync(): Promise<void>;
  /** The absolute path of the data directory. */
  basedirAbspath(): string;
}

/**
 * The domain object as `initSystem` returns it with the default isolation
 * (`'readonly'`): every property is a deep read-only view, every method
 * returns one and accepts views where it takes state objects, plus
 * {@link SystemControls}. Mutating what you get back is a compile error here
 * and `READONLY_VIOLATION` at run time. Methods not marked `@readonly` are
 * journaled actions.
 */
export type Prevalent<T> = {
  readonly [K in keyof T]: T[K] extends AnyMethod ? ReadonlyMethod<T[K]> : DeepReadonly<T[K]>;
} & SystemControls;

/**
 * The domain object as `initSystem` returns it with `isolation: 'clone'` or
 * `'none'`: the plain domain type (results are copies, or live references
 * you promise not to change) plus {@link SystemControls}. Its own fields are
 * read-only: the system object refuses an assignment in every mode
 * (`DIRECT_MUTATION`).
 */
export type PrevalentMutable<T> = Readonly<T> & SystemControls;
