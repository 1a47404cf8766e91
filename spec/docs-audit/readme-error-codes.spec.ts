import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// README's table of error codes names every code of PrevalenceErrorCode
// (lib/errors.ts), once, and no other.

const root = join(__dirname, '../..');

function codesInSource(): string[] {
  const source = readFileSync(join(root, 'lib/errors.ts'), 'utf8');
  const union = source.slice(source.indexOf('export type PrevalenceErrorCode'));
  return [...union.slice(0, union.indexOf('\n\n')).matchAll(/\| '([A-Z_]+)'/g)].map(
    (m) => m[1] as string,
  );
}

function codesInReadme(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return [...readme.matchAll(/^\| `([A-Z_]+)` +\|/gm)].map((m) => m[1] as string);
}

describe("README's table of error codes", () => {
  it('lists every code PrevalenceError can carry, once', () => {
    const source = codesInSource();
    expect(source.length).toBeGreaterThan(10);
    expect([...codesInReadme()].sort()).toEqual([...source].sort());
  });
});
