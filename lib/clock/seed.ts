import { randomBytes } from 'node:crypto';
import { PrevalenceError } from '../errors';

/**
 * A data directory's seed: 128 bits from the operating system's random source,
 * written as 32 lowercase hex digits. It is drawn once, when the directory is
 * initialised, and carried in the header of every snapshot of the directory;
 * the clock mixes it into each action's seed, so two directories whose actions
 * have the same sequence number and timestamp still draw different values.
 */
export type DirectorySeed = string;

const SEED_PATTERN = /^[0-9a-f]{32}$/;
const ZERO_SEED = '0'.repeat(32);

/** True for a well-formed seed (32 lowercase hex digits). */
export function isDirectorySeed(value: unknown): value is DirectorySeed {
  return typeof value === 'string' && SEED_PATTERN.test(value);
}

/**
 * Draws a new seed. The all-zero seed would seed like a directory without
 * one, so it is drawn again (a chance of 2^-128, but free to exclude).
 */
export function newDirectorySeed(): DirectorySeed {
  for (;;) {
    const seed = randomBytes(16).toString('hex');
    if (seed !== ZERO_SEED) return seed;
  }
}

/** The seed's four 32-bit words, most significant first. */
export function seedWords(seed: DirectorySeed): [number, number, number, number] {
  if (!isDirectorySeed(seed)) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `a directory seed must be 32 lowercase hex digits, got ${JSON.stringify(seed)}`,
    );
  }
  const word = (i: number) => Number.parseInt(seed.slice(i * 8, i * 8 + 8), 16);
  return [word(0), word(1), word(2), word(3)];
}
