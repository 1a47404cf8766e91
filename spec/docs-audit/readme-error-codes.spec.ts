import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PrevalenceErrorCode } from '../../lib';

// README's table of error codes names every code of PrevalenceErrorCode,
// once, and no other. The list below is checked by the type checker (npm run
// typecheck covers spec/): a code added to the union and missing here fails
// to compile, one here that the union lacks too.
const CODES: Record<PrevalenceErrorCode, true> = {
  DIRECT_MUTATION: true,
  NOT_SERIALIZABLE: true,
  UNKNOWN_CLASS: true,
  NONDETERMINISTIC_METHOD: true,
  JOURNAL_CORRUPT: true,
  SNAPSHOT_CORRUPT: true,
  LOCKED: true,
  CLOSED: true,
  JOURNAL_WRITE_FAILED: true,
  SNAPSHOT_WRITE_FAILED: true,
  READONLY_VIOLATION: true,
  STALE_REFERENCE: true,
  REPLAY_DIVERGED: true,
  INVALID_OPTION: true,
  UNKNOWN_METHOD: true,
};

function codesInReadme(): string[] {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  return [...readme.matchAll(/^\| `([A-Z0-9_]+)` +\|/gm)].map((m) => m[1] as string);
}

describe("README's table of error codes", () => {
  it('lists every code PrevalenceError can carry, once', () => {
    expect([...codesInReadme()].sort()).toEqual(Object.keys(CODES).sort());
  });
});
