import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const latest = path.join(root, 'bench', 'results', 'latest.json');
// The benchmark loads the compiled build, which `npm test` makes first (pretest).
const d = fs.existsSync(path.join(root, 'dist', 'index.js')) ? describe : describe.skip;

function bench(...args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'bench', 'run.js'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

d('bench/run.js command line', () => {
  const refused = [['--bogus'], ['--only', 'wrte'], ['--only'], ['--quik']];
  it.each(refused.map((args) => [args.join(' '), args] as const))(
    'refuses "%s" with the usage, before running anything (regression: an unknown flag started a full run and overwrote the results)',
    (_shown, args) => {
      const before = fs.existsSync(latest) ? fs.statSync(latest).mtimeMs : undefined;
      const r = bench(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('usage: node bench/run.js');
      expect(r.stdout).toBe('');
      expect(fs.existsSync(latest) ? fs.statSync(latest).mtimeMs : undefined).toBe(before);
    },
  );

  it('prints the usage for --help', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('scenarios: write, read');
  });
});
