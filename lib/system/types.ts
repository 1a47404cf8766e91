/** The controls every system proxy adds to the domain object's own members. */
export interface SystemControls {
  /** Writes a snapshot of the whole state now and returns its file path. */
  takeSnapshot(): string;
  /** Makes everything durable, stops timers and releases the directory; later calls fail with `CLOSED`. */
  close(): Promise<void>;
  /** Resolves when every action so far is durable (many callers share one fsync). */
  sync(): Promise<void>;
  /** The absolute path of the data directory. */
  basedirAbspath(): string;
}

/**
 * The domain object as `initSystem` returns it: its methods and properties,
 * plus {@link SystemControls}. Methods not marked `@readonly` are journaled
 * actions.
 */
export type Prevalent<T> = T & SystemControls;
