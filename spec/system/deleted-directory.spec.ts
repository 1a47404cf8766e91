// A data directory deleted while its system runs (a cleanup script, an
// `rm -rf` on the wrong host): the system told it as moved, that "the
// records this system wrote are in the directory it opened", to move the
// directories back or open the one it wrote in, and at close that it
// "closed with every record durable in the directory it opened". That
// directory is gone with its records; what is left is the state in memory,
// which only takeSnapshot({ into }) before the close can save.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem } from '../../lib';
import { prevalenceErrorOf } from '../support/errors';
import { tmpDir } from '../support/tmp';

class Tally {
  items: string[] = [];
  add(item: string): number {
    this.items.push(item);
    return this.items.length;
  }
}

describe('a data directory deleted while its system runs', () => {
  it('is told as deleted, with the records lost and the state saved by takeSnapshot({ into }), not as moved', async () => {
    const base = tmpDir();
    const live = path.join(base, 'live');
    const warnings: string[] = [];
    const tally = initSystem(Tally, { basedir: live, onWarning: (w) => warnings.push(w) });
    for (let i = 0; i < 5; i++) tally.add(`a${i}`);
    fs.rmSync(live, { recursive: true });

    const refused = prevalenceErrorOf(() => tally.takeSnapshot());
    expect(refused.code).toBe('SNAPSHOT_WRITE_FAILED');
    expect(refused.message).toMatch(/live was deleted while this system had it open/);
    expect(refused.message).toMatch(/takeSnapshot\(\{ into: <a new directory> \}\)/);
    expect(refused.message).not.toMatch(/records this system wrote are in the directory it opened/);
    expect(prevalenceErrorOf(() => tally.add('late')).message).toMatch(/was deleted/);

    // What the message says to do works: the state in memory is saved.
    const saved = path.join(base, 'saved');
    tally.takeSnapshot({ into: saved });
    await tally.close();
    const closing = warnings.at(-1) ?? '';
    expect(closing).toMatch(/live was deleted while this system had it open/);
    expect(closing).not.toMatch(/durable in the directory it opened/);
    expect(fs.existsSync(live)).toBe(false);
    const restored = initSystem(Tally, saved);
    expect(restored.items).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    await restored.close();
  });
});
