import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The examples are compiled by `npm test` (pretest: build + build:examples) and run here as a user would.
const built = path.join(__dirname, '..', 'examples', 'build');
const run = (file: string) =>
  execFileSync(process.execPath, [path.join(built, file)], { encoding: 'utf8' });
const d = fs.existsSync(built) ? describe : describe.skip;

d('examples', () => {
  it('the wiki restores in a second process what the first one wrote', () => {
    const out = run('run-wiki-twice.js');
    expect(out).toMatch(/run 1\] restored pages: \[\]/);
    expect(out).toMatch(/run 2\] restored pages: \["home","run-1"\]/);
    expect(out).toContain("run-1's parent is the home page itself: true");
    expect(out).toContain('getPages: run-1, undefined');
  });

  it('the todo list survives a restart', () => {
    const todo = run('todo.js');
    expect(todo).toContain("open after restart:  [ 'Write docs' ]");
    expect(todo).toContain('its description:     FORMAT.md and DURABILITY.md, and ARCHITECTURE.md');
  });

  it('the bank refuses an overdraft and keeps its books balanced across a restart', () => {
    const out = run('bank.js');
    expect(out).toContain('refused: insufficient funds in bob');
    expect(out).toContain('after restart: {"alice":70,"bob":50} total: 120');
  });
});
