import { PrevalenceError } from '../errors';
import type { FileSystem } from '../fs/seam';
import { missingSeamMethods } from '../fs/seam';

/** The longest delay Node's timers take (2^31-1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** An `INVALID_OPTION` error with `message`. */
export function invalid(message: string): PrevalenceError {
  return new PrevalenceError('INVALID_OPTION', message);
}

export { isPlainObject } from '../codec/kinds';

/** A short description of a wrong option value, for messages: a string quoted, an object by its class. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
      ?.constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return String(value);
}

/** `value`, or `def` when undefined; refuses a value outside `allowed`. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: T[], def: T): T {
  if (value === undefined) return def;
  if (!allowed.includes(value as T)) {
    const list = allowed.map((a) => `'${a}'`).join(', ');
    throw invalid(`${name} must be one of ${list}; got ${describeValue(value)}`);
  }
  return value as T;
}

/** `value`, or `def` when undefined; refuses anything but true and false (a string 'false' is truthy). */
export function bool(name: string, value: unknown, def: boolean): boolean {
  if (value === undefined) return def;
  if (typeof value !== 'boolean') {
    throw invalid(`${name} must be true or false; got ${describeValue(value)}`);
  }
  return value;
}

/** A delay in ms for setTimeout/setInterval: at most {@link MAX_TIMER_MS}; 0 only when `allowZero`. */
export function timerMs(name: string, value: unknown, def: number, allowZero: boolean): number {
  if (value === undefined) return def;
  const low = allowZero ? 0 : Number.MIN_VALUE;
  if (typeof value !== 'number' || !(value >= low && value <= MAX_TIMER_MS)) {
    const range = allowZero ? 'from 0 (off)' : 'greater than 0 and';
    throw invalid(
      `${name} must be a number of milliseconds ${range} up to ${MAX_TIMER_MS} (about 24.8 days, the longest delay Node's timers support; a longer one would fire after 1 ms); got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A size in bytes: a whole number from 1 to Number.MAX_SAFE_INTEGER. */
export function byteCount(name: string, value: unknown, def: number): number {
  if (value === undefined) return def;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(
      `${name} must be a whole number of bytes, at least 1 (1 puts every record in a file of its own); got ${describeValue(value)}`,
    );
  }
  return value;
}

/** `value` when it is a function or undefined. */
export function callback<F>(name: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw invalid(`${name} must be a function; got ${describeValue(value)}`);
  }
  return value as F | undefined;
}

/** `value` when it implements every method of the {@link FileSystem} seam, or `def` when undefined. */
export function fileSystem(value: unknown, def: FileSystem): FileSystem {
  if (value === undefined) return def;
  if (typeof value !== 'object' || value === null) {
    throw invalid(
      `fileSystem must be an object implementing the FileSystem seam (see realFs in lib/fs/seam.ts); got ${describeValue(value)}`,
    );
  }
  const missing = missingSeamMethods(value);
  if (missing.length > 0) {
    throw invalid(
      `fileSystem lacks the FileSystem method${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: implement every method of the seam (spread realFs, exported by prevalent, and override the ones to change)`,
    );
  }
  return value as FileSystem;
}

/** Refuses keys of `options` not in `known`, suggesting the closest known one for a typo. */
export function refuseUnknownKeys(options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
    throw invalid(
      `unknown option "${key}"${hint}; the options are ${known.join(', ')}: fix the name or remove it`,
    );
  }
}

/** The name in `names` within a small edit distance of `word` (case ignored), if any. */
export function closest(word: string, names: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const name of names) {
    const d = editDistance(lower, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
