// Journal records whose checksums pass but whose arguments no version of
// prevalent writes (a hand edit that recomputed the CRC, or another writer):
// the replay refuses them with JOURNAL_CORRUPT naming the record, before the
// action runs, instead of a raw TypeError or RangeError, or of replaying a
// prototype into the state.
import { initSystem, isPrevalenceError, verifyReplay } from '../../lib';
import { appendJournaled, freshBasedir } from '../support/tmp';

class Store {
  items: Record<string, unknown> = {};
  add(key: string, value: unknown): void {
    this.items[key] = value;
  }
}

/** A closed directory with one action, then the forged record `add("x", <argJson>)` as seq 2. */
async function withForgedArgument(argJson: string): Promise<string> {
  const dir = freshBasedir();
  const sys = initSystem(Store, { basedir: dir, durability: 'always' });
  sys.add('a', 1);
  await sys.close();
  appendJournaled(dir, [['add', `["x",${argJson}]`]], 2);
  return dir;
}

/** The error initSystem throws on `dir` (none: it opened, then closed). */
async function openError(dir: string): Promise<unknown> {
  let sys;
  try {
    sys = initSystem(Store, { basedir: dir, durability: 'always' });
  } catch (err) {
    return err;
  }
  await sys.close();
  return undefined;
}

function expectRecordRefused(err: unknown, detail: RegExp): void {
  expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
  expect((err as Error).message).toMatch(/journal record 2 \(add\)/);
  expect((err as Error).message).toMatch(detail);
}

describe('forged journal records', () => {
  it('refuses a path that is not an array of steps (regression: TypeError: path is not iterable)', async () => {
    for (const argJson of [
      '{"$":"path","p":5}',
      '{"$":"path"}',
      '{"$":"path","p":[7]}',
      '{"$":"path","p":[{"setMember":-1}]}',
      '{"$":"path","p":[{"mapKey":"a","setMember":0}]}',
    ]) {
      expectRecordRefused(
        await openError(await withForgedArgument(argJson)),
        /malformed value \(bad path/,
      );
    }
  });

  it('refuses arguments nested beyond the stack (regression: RangeError: Maximum call stack size exceeded)', async () => {
    const depth = 200_000;
    const dir = await withForgedArgument('['.repeat(depth) + ']'.repeat(depth));
    expectRecordRefused(await openError(dir), /nested more deeply than the call stack/);
    // Regression (review): the open ran out of stack on a record this version wrote when called
    // from deep recursion, and was told the journal was damaged: the message says both now.
    expect(String(await openError(dir))).toMatch(
      /Nothing was changed: open the system from a shallower call .* larger --stack-size/,
    );
    expect(() => verifyReplay(dir, Store)).toThrow(/JOURNAL_CORRUPT: journal record 2 \(add\)/);
  });

  it('refuses a path through "__proto__" to a prototype (regression: Store.prototype was replayed into the state and every snapshot failed)', async () => {
    for (const path of ['["__proto__"]', '["items","__proto__"]']) {
      const dir = await withForgedArgument(`{"$":"path","p":${path}}`);
      expectRecordRefused(
        await openError(dir),
        /refers to root(\.items)?\.__proto__, which is a prototype/,
      );
    }
  });

  it('still follows a path to an object held under an own "__proto__" key', async () => {
    const dir = freshBasedir();
    const sys = initSystem(Store, { basedir: dir, durability: 'always' });
    sys.add('holder', JSON.parse('{"__proto__":{"n":1}}'));
    await sys.close();
    appendJournaled(dir, [['add', '["copy",{"$":"path","p":["items","holder","__proto__"]}]']], 2);
    const reopened = initSystem(Store, { basedir: dir, durability: 'always' });
    expect(reopened.items['copy']).toEqual({ n: 1 });
    await reopened.close();
  });
});
