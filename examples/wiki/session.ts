// One run of the wiki: restore whatever the directory holds, add a page, exit.
// Run it twice (run-wiki-twice.ts does) and the second run finds the first's page.
import { initSystem } from 'prevalent';
import { Wiki } from './wiki';

const basedir = process.argv[2] ?? 'wiki-data';
const run = process.argv[3] ?? '1';

const wiki = initSystem(new Wiki(), {
  basedir,
  onProgress: ({ phase, done, total }) => {
    if (total > 1_000_000)
      process.stdout.write(`  restoring ${phase}: ${Math.round((100 * done) / total)}%\r`);
  },
});

console.log(
  `[process ${process.pid}, run ${run}] restored pages: ${JSON.stringify(wiki.titles())}`,
);
const home = wiki.getPage('home') ?? wiki.createPage('home', 'Welcome to the wiki');
const page = wiki.createPage(`run-${run}`, `written by process ${process.pid}`, home);
console.log(
  `[process ${process.pid}, run ${run}] created "${page.id}" under "${page.parent?.id}" at ${page.lastModify.toISO()}`,
);
if (run === '2') {
  wiki.updatePage('home', 'Welcome back');
  console.log(`  home history: ${JSON.stringify(wiki.getPage('home')?.history)}`);
  console.log(
    `  run-1's parent is the home page itself: ${wiki.getPage('run-1')?.parent === wiki.getPage('home')}`,
  );
  const [first, missing] = wiki.getPages(['run-1', 'nope']);
  console.log(`  getPages: ${first?.id}, ${String(missing)}`);
}
void wiki.close();
