import type { NameChain } from './names';

/** How a matched name is nondeterministic. */
export type Rule =
  /** However it is called (`Date.now`, `Math.random`). */
  | 'always'
  /** Only when called without date parts (`DateTime.local()`, not `DateTime.local(2020)`). */
  | 'withoutDateParts';

/** A forbidden name found in a chain, as reported in the error message. */
export interface Match {
  readonly target: string;
  readonly rule: Rule;
}

/** crypto's random functions, caught by name (see forbiddenMatch). */
export const CRYPTO_FUNCTIONS: ReadonlySet<string> = new Set([
  'randomUUID',
  'randomBytes',
  'getRandomValues',
  'randomInt',
  'randomFill',
  'randomFillSync',
]);

/** Globals: forbidden only when the chain starts at the global itself. */
const GLOBAL_NAMES = new Set([
  'Date.now',
  'Math.random',
  'process.hrtime',
  'process.uptime',
  // Date called as a function returns the time now whatever its arguments.
  'Date.call',
  'Date.apply',
]);

// Module exports, forbidden whatever object they are read from: a namespace
// import under any name (`lx.DateTime.now`), `require('luxon')`, a local, `this.lib`.
const MEMBER_SUFFIXES: ReadonlyArray<readonly [readonly string[], Rule]> = [
  [['DateTime', 'now'], 'always'],
  [['DateTime', 'local'], 'withoutDateParts'],
  [['DateTime', 'utc'], 'withoutDateParts'],
  [['performance', 'now'], 'always'],
  [['performance', 'timeOrigin'], 'always'],
  ...[...CRYPTO_FUNCTIONS].flatMap((name) => [
    [['crypto', name], 'always'] as const,
    [['webcrypto', name], 'always'] as const,
  ]),
];

/**
 * The forbidden name `chain` reads as a whole, or `undefined`. A chain from a
 * global or imported name (`rooted`) is also forbidden when it ends in one of
 * crypto's random functions, so that `nc.randomBytes` from
 * `import * as nc from 'node:crypto'` is caught; a chain from `this` or a local
 * is not (`this.ids.randomUUID()` is the domain's own method).
 */
export function forbiddenMatch(chain: NameChain): Match | undefined {
  const { segments, rooted } = chain;
  if (segments.length === 0) return undefined;
  const target = segments.join('.');
  if (rooted && GLOBAL_NAMES.has(target)) return { target, rule: 'always' };
  for (const [suffix, rule] of MEMBER_SUFFIXES) {
    if (endsWith(segments, suffix)) return { target, rule };
  }
  if (rooted && CRYPTO_FUNCTIONS.has(segments.at(-1) ?? '')) return { target, rule: 'always' };
  // process's hrtime imported by name or through the module (`import { hrtime } from 'node:process'`,
  // `require('process').hrtime`, and its `.bigint` by prefix); a bare `uptime` may well be the domain's own.
  if (rooted && segments.at(-1) === 'hrtime') return { target, rule: 'always' };
  return undefined;
}

/** `chain` itself or its longest prefix that is forbidden `always` (`Date.now.call` → `Date.now`). */
export function alwaysForbiddenPrefix(chain: NameChain): Match | undefined {
  for (let end = chain.segments.length; end > 0; end--) {
    const match = forbiddenMatch({ ...chain, segments: chain.segments.slice(0, end) });
    if (match?.rule === 'always') return match;
  }
  return undefined;
}

function endsWith(segments: readonly string[], suffix: readonly string[]): boolean {
  const offset = segments.length - suffix.length;
  return offset >= 0 && suffix.every((name, i) => segments[offset + i] === name);
}
