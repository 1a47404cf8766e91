// Deployment environments (found by the deployment review). Node's permission model:
// Node 20 refuses fsync and fdatasync under it, so the first open failed with advice about
// the disk (a new directory) or the journal (an existing one).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initSystem, realFs, type FileSystem } from '../../lib';
import { freshBasedir, tmpDir } from '../support/tmp';
import { prevalenceErrorOf } from '../support/errors';

const REGISTER = path.join(__dirname, '..', 'support', 'register.js');
const LIB = path.join(__dirname, '..', '..', 'lib');

describe("Node's permission model", () => {
  it('refuses the open with INVALID_OPTION when this Node refuses fdatasync under it, creating nothing (regression: SNAPSHOT_WRITE_FAILED advising to free disk space)', () => {
    const dir = tmpDir();
    const child = path.join(dir, 'child.ts');
    const basedir = path.join(dir, 'data');
    fs.writeFileSync(
      child,
      `import * as fs from 'node:fs';
import { initSystem, realFs } from ${JSON.stringify(LIB)};
class Counter { n = 0; inc(): void { this.n++; } }
let refused = false;
try { fs.fdatasyncSync(0x7fffffff); } catch (err) { refused = (err as { code?: string }).code === 'ERR_ACCESS_DENIED'; }
// With the default seam, and with one spread from realFs (which syncs through node:fs).
for (const fileSystem of [undefined, { ...realFs }]) {
  try {
    const c = initSystem(Counter, { basedir: ${JSON.stringify(basedir)}, fileSystem });
    c.inc();
    void c.close().then(() => console.log(JSON.stringify({ refused, opened: true })));
  } catch (err) {
    console.log(JSON.stringify({ refused, opened: false, message: (err as Error).message }));
  }
}
`,
    );
    const cache =
      process.env['PREVALENT_TS_CACHE'] ??
      path.join(os.tmpdir(), `prevalent-ts-cache-${process.getuid ? process.getuid() : 'user'}`);
    fs.mkdirSync(cache, { recursive: true });
    const run = spawnSync(
      process.execPath,
      [
        '--experimental-permission',
        '--allow-fs-read=*',
        `--allow-fs-write=${dir}/*`,
        `--allow-fs-write=${cache}/*`,
        '--no-warnings',
        '-r',
        REGISTER,
        child,
      ],
      { encoding: 'utf8', env: { ...process.env, PREVALENT_TS_CACHE: cache } },
    );
    expect(run.stderr).toBe('');
    const outs = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { refused: boolean; opened: boolean; message?: string });
    expect(outs).toHaveLength(2);
    for (const out of outs) {
      if (out.refused) {
        expect(out.opened).toBe(false);
        expect(out.message).toMatch(
          /^INVALID_OPTION: Node's permission model is on .*Run the process without the permission model$/,
        );
        expect(fs.existsSync(basedir)).toBe(false);
      } else {
        // A Node that allows fdatasync under the model: prevalent works there.
        expect(out.opened).toBe(true);
      }
    }
  });
});

describe('the first snapshot of a new directory, when it cannot be written', () => {
  const failing = (code: string): FileSystem => ({
    ...realFs,
    openSync: (file, flags) => {
      if (file.endsWith('.snap.tmp')) {
        throw Object.assign(new Error(`${code}: injected, open '${file}'`), { code });
      }
      return realFs.openSync(file, flags);
    },
  });

  it("says the open failed and nothing is stored, not to take the snapshot again (regression (deployment review): the running system's advice)", () => {
    const basedir = freshBasedir();
    expect(
      prevalenceErrorOf(() => initSystem(Tally, { basedir, fileSystem: failing('ENOSPC') })),
    ).toMatchObject({
      code: 'SNAPSHOT_WRITE_FAILED',
      message: expect.stringMatching(
        /^SNAPSHOT_WRITE_FAILED: the new data directory .* could not be set up: its first snapshot could not be written \(ENOSPC: injected.*nothing is stored and the open failed\. Fix the cause .* and open again$/,
      ),
    });
  });

  it('refuses a basedir too long for the names of its files with INVALID_OPTION (regression (deployment review): "free disk space")', () => {
    const basedir = freshBasedir();
    expect(
      prevalenceErrorOf(() => initSystem(Tally, { basedir, fileSystem: failing('ENAMETOOLONG') })),
    ).toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('is too long for the names of its data files'),
    });
  });
});

class Tally {
  n = 0;
  inc(): void {
    this.n++;
  }
}
