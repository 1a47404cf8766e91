// The README's main example: the wiki runs in two processes one after the
// other; the second restores the state the first one left on disk.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const basedir = path.resolve(__dirname, '..', '.data', 'wiki');
fs.rmSync(basedir, { recursive: true, force: true });
console.log(`data directory: ${basedir}\n`);
for (const run of ['1', '2']) {
  const session = path.join(__dirname, 'wiki', 'session.js');
  process.stdout.write(
    execFileSync(process.execPath, [session, basedir, run], { encoding: 'utf8' }),
  );
}
console.log(`\nfiles: ${fs.readdirSync(basedir).sort().join(', ')}`);
