/**
 * Every failure that prevalent reports on purpose is a {@link PrevalenceError}
 * with a stable string `code`, so callers can branch on `err.code` instead of
 * parsing messages.
 */
export type PrevalenceErrorCode =
  /** A property of the system proxy was assigned, deleted or defined directly. */
  | 'DIRECT_MUTATION'
  /** An argument (or a part of the state) cannot be stored. */
  | 'NOT_SERIALIZABLE'
  /** Stored data names a class that is not registered. */
  | 'UNKNOWN_CLASS'
  /** A non-readonly method uses a source of time or randomness, or is async; or an action called the system object itself, which a replay cannot. */
  | 'NONDETERMINISTIC_METHOD'
  /** A journal file is damaged somewhere other than a torn last record. */
  | 'JOURNAL_CORRUPT'
  /** A snapshot file is damaged and no older snapshot can replace it. */
  | 'SNAPSHOT_CORRUPT'
  /** The data directory is held by another live system. */
  | 'LOCKED'
  /** The system was closed. */
  | 'CLOSED'
  /** Writing the journal failed; the system refuses further actions until reopened. */
  | 'JOURNAL_WRITE_FAILED'
  /** Writing a snapshot failed; nothing already stored was touched. */
  | 'SNAPSHOT_WRITE_FAILED'
  /** State was about to change outside an action. */
  | 'READONLY_VIOLATION'
  /** A view passed back as an argument refers to an object that left the state. */
  | 'STALE_REFERENCE'
  /** Replaying an action did not end the way the live call did. */
  | 'REPLAY_DIVERGED'
  /** An option or argument of prevalent's own API is invalid, or the data directory it names (or a file in it) is one this process may not use. */
  | 'INVALID_OPTION'
  /** A journal record names a method the domain class does not have. */
  | 'UNKNOWN_METHOD';

/** The error class for every failure prevalent reports on purpose. */
export class PrevalenceError extends Error {
  /** A stable, machine-readable reason; see {@link PrevalenceErrorCode}. */
  readonly code: PrevalenceErrorCode;

  constructor(code: PrevalenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'PrevalenceError';
    this.code = code;
  }
}

/**
 * True when `err` is a {@link PrevalenceError}, optionally with the given
 * code (to which it then narrows `err.code`).
 */
export function isPrevalenceError<C extends PrevalenceErrorCode = PrevalenceErrorCode>(
  err: unknown,
  code?: C,
): err is PrevalenceError & { readonly code: C } {
  try {
    return err instanceof PrevalenceError && (code === undefined || err.code === code);
  } catch {
    // `instanceof` asks a revoked Proxy (a thrown one) for its prototype, and throws: no error of ours.
    return false;
  }
}
