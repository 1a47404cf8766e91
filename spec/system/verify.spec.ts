import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, isPrevalenceError, verifyReplay } from '../../lib';
import { freshBasedir, tmpDir } from '../support/tmp';
import { shopWithDrawnKeys } from '../fixtures/shop-with-drawn-keys';
import { prevalenceErrorOf } from '../support/errors';

let escape = 0; // a global the validator cannot see: the deliberate non-determinism

class Counter {
  values: number[] = [];
  notes: Record<string, string> = {};

  addHonest(n: number): void {
    this.values.push(n);
  }

  addSneaky(): void {
    escape += 1;
    this.values.push(escape);
  }

  note(key: string, text: string): void {
    this.notes[key] = text;
  }
}

describe('verifyReplay', () => {
  it('reports ok when replay reproduces every snapshot', async () => {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    c.addHonest(1);
    c.takeSnapshot();
    c.note('a', 'x');
    c.addHonest(2);
    c.takeSnapshot();
    c.addHonest(3);
    await c.close();
    const report = verifyReplay(dir, Counter);
    expect(report).toMatchObject({ ok: true, snapshotsChecked: 2, actionsReplayed: 4 });
  });

  it('starts from the oldest snapshot the journals still reach (regression: with pruneJournals it failed with JOURNAL_CORRUPT)', async () => {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), {
      basedir: dir,
      pruneJournals: true,
      journalMaxBytes: 200,
    });
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) c.addHonest(round * 10 + i);
      c.takeSnapshot();
    }
    c.addHonest(99);
    await c.close();
    const files = fs.readdirSync(dir);
    expect(files.filter((f) => f.startsWith('journal-')).sort()[0]).not.toBe(
      'journal-0000000000000001.jsonl',
    );
    const report = verifyReplay(dir, Counter);
    expect(report).toMatchObject({ ok: true });
    expect(report.snapshotsChecked).toBeGreaterThanOrEqual(1);
    expect(report.actionsReplayed).toBeGreaterThanOrEqual(6);
  });

  it('catches a non-deterministic action and names it and the first differing path (regression: it named only the window, ending at an innocent action)', async () => {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    c.addHonest(1);
    c.takeSnapshot();
    c.addHonest(2);
    escape = 100; // the live run sees 101, a replay in a fresh counter would too only by chance
    c.addSneaky(); // seq 3
    c.note('b', 'y');
    c.addHonest(4);
    c.takeSnapshot();
    await c.close();
    escape = 0;
    const report = verifyReplay(dir, Counter);
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({
      agreedThrough: 1,
      seq: 3,
      method: 'addSneaky',
      exact: true,
    });
    expect(report.divergence).toMatchObject({ path: 'values[2]', difference: '1 !== 101' });
  });

  it('writes the path as the issue does, pages["home"].history[0], also when the pages are plain objects (regression (outside acceptance probe): pages["home"]["history"][0])', async () => {
    class Wiki {
      pages: Record<string, { history: number[] }> = { home: { history: [] } };
      edit(): void {
        escape += 1;
        this.pages.home!.history.push(escape);
      }
    }
    const dir = freshBasedir();
    escape = 0;
    const wiki = initSystem(new Wiki(), dir);
    wiki.edit();
    wiki.takeSnapshot();
    await wiki.close();
    escape = 10;
    const report = verifyReplay(dir, Wiki);
    expect(report.divergence).toMatchObject({
      seq: 1,
      path: 'pages["home"].history[0]',
      difference: '11 !== 1',
    });
  });

  it('names the action when the difference is in a structure, not a value', async () => {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    c.takeSnapshot();
    c.note('a', 'x');
    escape = 0;
    c.addSneaky(); // values: [1]
    c.addSneaky(); // values: [1, 2]
    c.note('b', 'y');
    c.takeSnapshot();
    await c.close();
    escape = 5; // a replay pushes 6 and 7: same length, the first value differs at values[0]
    const report = verifyReplay(dir, Counter);
    expect(report.divergence).toMatchObject({ seq: 2, method: 'addSneaky', exact: true });
    expect(report.divergence?.path).toMatch(/^values\[0\]/);
  });

  it('names the non-deterministic action, not a later deterministic one that changed the same place (regression: exact named the last action that changed it)', async () => {
    class Tally {
      m = new Map<string, number>();
      ok(n: number): void {
        this.m.set(`ok${n}`, n);
      }
      bad(k: string): void {
        escape += 1;
        this.m.set(k, escape);
      }
      touch(k: string): void {
        this.m.set(k, this.m.get(k)! + 1000);
      }
    }
    const dir = freshBasedir();
    const t = initSystem(Tally, dir);
    t.ok(1);
    escape = 0;
    t.bad('x'); // seq 2
    t.touch('x');
    t.touch('x');
    t.takeSnapshot();
    await t.close();
    escape = 1000;
    const report = verifyReplay(dir, Tally);
    expect(report.divergence).toMatchObject({ seq: 2, method: 'bad', exact: true });
  });

  it('names the action where the states parted, not a deterministic one that copied the value to the place found differing (regression (verifyReplay review): exact named copy())', async () => {
    class Seeded {
      a = 0; // compared first: the place found differing
      seed = 0;
      ok(n: number): void {
        this.a += n;
      }
      draw(): void {
        escape += 1;
        this.seed = escape;
      }
      copy(): void {
        this.a = this.seed * 2;
      }
    }
    const dir = freshBasedir();
    const s = initSystem(Seeded, dir);
    s.ok(1);
    s.draw(); // seq 2: the only non-deterministic action
    for (let i = 0; i < 20; i++) s.ok(1);
    s.copy(); // seq 23: deterministic, makes `a` differ too
    s.takeSnapshot();
    await s.close();
    const report = verifyReplay(dir, Seeded);
    expect(report.divergence).toMatchObject({ seq: 2, method: 'draw', exact: true });
  });

  it('names the action behind the differing place, not an earlier one whose divergence healed (regression (review of the halving): a scratch field drawn and cleared was named)', async () => {
    class Scratch {
      seed = 0;
      tmp = 0;
      ok(): void {
        this.seed += 0;
      }
      drawTmp(): void {
        escape += 1;
        this.tmp = escape;
      }
      clearTmp(): void {
        this.tmp = 0;
      }
      drawSeed(): void {
        escape += 1;
        this.seed = escape;
      }
    }
    const dir = freshBasedir();
    const s = initSystem(Scratch, dir);
    s.drawTmp(); // seq 1: parts the states, healed by seq 50 (past the window's middle)
    for (let i = 0; i < 48; i++) s.ok();
    s.clearTmp(); // seq 50
    for (let i = 0; i < 11; i++) s.ok();
    s.drawSeed(); // seq 62: the one behind `seed`
    for (let i = 0; i < 5; i++) s.ok();
    s.takeSnapshot();
    await s.close();
    escape = 10_000;
    const report = verifyReplay(dir, Scratch);
    expect(report.divergence).toMatchObject({
      path: 'seed',
      seq: 62,
      method: 'drawSeed',
      exact: true,
    });
  });

  it('gives the window, not a guess, when a second replay cannot tell the action (exact: false)', async () => {
    let outside = 7; // read by an action, the same in every replay but not as it was live
    class Once {
      v = 0;
      ok(): void {
        this.v += 1;
      }
      read(): void {
        this.v += outside;
      }
    }
    const dir = freshBasedir();
    const o = initSystem(Once, dir);
    o.read(); // seq 1
    o.ok();
    o.takeSnapshot();
    await o.close();
    outside = 9;
    const report = verifyReplay(dir, Once);
    expect(report.divergence).toMatchObject({ agreedThrough: 0, seq: 2, exact: false });
    expect(report.divergence?.method).toBeUndefined();
  });

  it('writes nothing, even with a torn journal tail', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    c.addHonest(1);
    c.addHonest(2);
    await c.close();
    const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!;
    const file = path.join(dir, journal);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 5);
    const before = fs.readFileSync(file);
    const report = verifyReplay(dir, Counter, { onWarning: () => undefined });
    expect(report.ok).toBe(true);
    expect(report.actionsReplayed).toBe(1);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('refuses a class with #private members like initSystem does (regression: it replayed into a TypeError)', async () => {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    c.addHonest(1);
    await c.close();
    class Sealed extends Counter {
      #seal = true;
      sealed(): boolean {
        return this.#seal;
      }
    }
    expect(() => verifyReplay(dir, Sealed)).toThrow(
      /^NOT_SERIALIZABLE: class Sealed declares the #private field #seal: /,
    );
  });

  it('checks its options like initSystem (regression: a misspelt option or a non-function onWarning was taken silently)', async () => {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    await c.close();
    for (const options of [
      { onWarnings: () => undefined },
      { onWarning: 42 },
      { classes: 'Page' },
    ]) {
      let code: string | undefined;
      try {
        verifyReplay(dir, Counter, options as never);
      } catch (err) {
        code = isPrevalenceError(err) ? err.code : String(err);
      }
      expect(code).toBe('INVALID_OPTION');
    }
  });
});

describe('verifyReplay and systems opened later in the same process', () => {
  it("leaves no replay owning objects outside the state, so a later system reads them (regression (review): an object a class prototype holds, reached by verifyReplay, was refused as another system's)", async () => {
    class Board {
      n = 0;
      get limits(): { max: number } {
        return (this as unknown as { defaults: { limits: { max: number } } }).defaults.limits;
      }
      apply(): void {
        this.n += this.limits.max;
      }
    }
    (Board.prototype as unknown as Record<string, unknown>)['defaults'] = { limits: { max: 3 } };
    const dir = freshBasedir();
    const s = initSystem(new Board(), { basedir: dir });
    s.apply();
    s.takeSnapshot();
    s.apply();
    await s.close();
    // As a new process has it: an object no system reached yet.
    (Board.prototype as unknown as Record<string, unknown>)['defaults'] = { limits: { max: 3 } };
    expect(verifyReplay(dir, Board).ok).toBe(true);
    const again = initSystem(Board, { basedir: dir });
    again.apply();
    expect(again.n).toBe(9);
    await again.close();
  });
});

describe('verifyReplay over a damaged journal', () => {
  /** Snapshots at seq 5 and 10, a journal file per stretch; returns the directory. */
  async function history(): Promise<string> {
    const dir = freshBasedir();
    const c = initSystem(new Counter(), dir);
    for (let i = 1; i <= 5; i++) c.addHonest(i);
    c.takeSnapshot();
    for (let i = 6; i <= 10; i++) c.addHonest(i);
    c.takeSnapshot();
    c.addHonest(11);
    await c.close();
    return dir;
  }

  function damageRecord(dir: string, file: string, text: string): void {
    const at = path.join(dir, file);
    const bytes = fs.readFileSync(at);
    const i = bytes.indexOf(text);
    expect(i).toBeGreaterThan(0);
    bytes[i] = bytes[i] === 0x39 ? 0x38 : 0x39;
    fs.writeFileSync(at, bytes);
  }

  it('refuses damage among actions a later snapshot holds, saying that the directory opens and how to check the rest (regression: its message advised a truncating reopen, which changes nothing there)', async () => {
    const dir = await history();
    damageRecord(dir, 'journal-0000000000000001.jsonl', '[3]');
    let message = '';
    try {
      verifyReplay(dir, Counter);
    } catch (err) {
      expect(isPrevalenceError(err, 'JOURNAL_CORRUPT')).toBe(true);
      message = (err as Error).message;
    }
    expect(message).toMatch(/journal-0000000000000001\.jsonl is damaged .*expected seq 3/);
    expect(message).toMatch(
      /while it can load .*snapshot-0000000000000005\.snap, which holds them, or a newer snapshot \(then the directory opens as it is\), but verifyReplay cannot check actions 1 to 5\. .*without the snapshots older than snapshot-0000000000000005\.snap/,
    );
    expect(message).not.toMatch(/truncate/);
    const again = initSystem(Counter, dir);
    expect(again.values).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    await again.close();
    // As the message says: without the older snapshots, the rest is checked.
    fs.renameSync(
      path.join(dir, 'snapshot-0000000000000000.snap'),
      path.join(tmpDir(), 'snapshot-0000000000000000.snap'),
    );
    expect(verifyReplay(dir, Counter)).toEqual({
      ok: true,
      snapshotsChecked: 1,
      actionsReplayed: 6,
    });
  });

  it('refuses damage no later snapshot holds, as the open does', async () => {
    const dir = await history();
    damageRecord(dir, 'journal-0000000000000006.jsonl', '[8]');
    const newest = path.join(dir, 'snapshot-0000000000000010.snap');
    fs.renameSync(newest, path.join(dir, 'moved-away.snap'));
    expect(() => verifyReplay(dir, Counter, { onWarning: () => undefined })).toThrow(
      /JOURNAL_CORRUPT.*expected seq 8/,
    );
    expect(() => initSystem(Counter, dir)).toThrow(/JOURNAL_CORRUPT.*expected seq 8/);
  });
});

describe('verifyReplay and a passed-back object the replay does not find', () => {
  it('reports the divergence at that action (regression: it threw STALE_REFERENCE with advice for live calls)', async () => {
    const Shop = shopWithDrawnKeys();
    const dir = freshBasedir();
    const shop = initSystem(new Shop(), dir);
    shop.addItem(shop.newCart(), 'apple');
    shop.takeSnapshot();
    await shop.close();
    const report = verifyReplay(dir, Shop);
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({ seq: 2, method: 'addItem', exact: true });
    expect(report.divergence!.message).toMatch(/in replay nothing is there/);
  });
});

describe('verifyReplay given another class than the directory holds', () => {
  it('says whose state it is, as initSystem does (regression: UNKNOWN_CLASS advising @persistent for the stored class)', async () => {
    class Bank {
      balance = 0;
      deposit(n: number): void {
        this.balance += n;
      }
    }
    class Wiki {
      pages: string[] = [];
    }
    const dir = freshBasedir();
    const bank = initSystem(new Bank(), dir);
    bank.deposit(5);
    bank.takeSnapshot();
    await bank.close();
    let message = '';
    try {
      verifyReplay(dir, Wiki);
    } catch (err) {
      expect(isPrevalenceError(err, 'INVALID_OPTION')).toBe(true);
      message = (err as Error).message;
    }
    expect(message).toMatch(
      /holds the state of class Bank, not of Wiki; verify it with that class/,
    );
    expect(verifyReplay(dir, Bank).ok).toBe(true);
  });
});

describe('verifyReplay reports from outside review', () => {
  it('reports a divergence in a null-prototype dictionary and never calls a domain toString (regression (verifyReplay review): TypeError "Cannot convert object to primitive value")', async () => {
    let toStringCalls = 0;
    class Entry {
      constructor(public name: string) {}
      toString(): string {
        toStringCalls++;
        throw new Error('not for verifyReplay');
      }
    }
    class Dir {
      byName: Record<string, Entry> = Object.create(null) as Record<string, Entry>;
      add(name: string): void {
        escape += 1;
        this.byName[escape > 1000 ? `${name}-dup` : name] = new Entry(name);
      }
    }
    const dir = freshBasedir();
    const d = initSystem(Dir, { basedir: dir, classes: [Entry] });
    escape = 0;
    d.add('ann');
    d.takeSnapshot();
    await d.close();
    escape = 5000;
    const report = verifyReplay(dir, Dir, { classes: [Entry] });
    expect(report.ok).toBe(false);
    expect(report.divergence).toMatchObject({ seq: 1, path: 'byName' });
    expect(toStringCalls).toBe(0);
  });

  it('passes over a snapshot whose body is damaged, with a warning, as an open does (regression (verifyReplay review): counted as checked, no word)', async () => {
    const dir = freshBasedir();
    const c = initSystem(Counter, dir);
    c.addHonest(1);
    c.takeSnapshot();
    c.addHonest(2);
    c.takeSnapshot();
    await c.close();
    const middle = path.join(dir, 'snapshot-0000000000000001.snap');
    const bytes = fs.readFileSync(middle);
    const at = bytes.indexOf('[', bytes.indexOf('\n')) + 1; // inside the first body line
    bytes[at] = bytes[at] === 0x22 ? 0x27 : 0x22;
    fs.writeFileSync(middle, bytes);
    const warnings: string[] = [];
    const report = verifyReplay(dir, Counter, { onWarning: (m) => warnings.push(m) });
    expect(report).toMatchObject({ ok: true, snapshotsChecked: 1, actionsReplayed: 2 });
    expect(warnings.join('\n')).toMatch(
      /snapshot-0000000000000001\.snap is damaged.*verifyReplay passed over it too/,
    );
  });

  it.each([
    [null, /not null/],
    [42, /not a number/],
    [new Counter(), /not an instance of it \(Counter\) or a system object: pass Counter itself/],
  ])(
    'refuses %p as the domain class with INVALID_OPTION saying what to pass (regression (verifyReplay review): a TypeError, or "an anonymous class cannot be registered")',
    (given, message) => {
      const dir = freshBasedir();
      let error: unknown;
      try {
        verifyReplay(dir, given as never);
      } catch (err) {
        error = err;
      }
      expect(isPrevalenceError(error, 'INVALID_OPTION')).toBe(true);
      expect((error as Error).message).toMatch(message);
    },
  );
});

describe('verifyReplay report type', () => {
  it('tells ok from a divergence by `ok` alone (regression (verifyReplay review): `if (!r.ok) r.divergence.seq` did not compile under strict)', async () => {
    const dir = freshBasedir();
    const c = initSystem(Counter, dir);
    escape = 0;
    c.addSneaky();
    c.takeSnapshot();
    await c.close();
    escape = 100;
    const report = verifyReplay(dir, Counter);
    const seq: number | undefined = report.ok ? undefined : report.divergence.seq;
    expect(seq).toBe(1);
    if (report.ok) {
      // @ts-expect-error an ok report has no divergence to read
      void report.divergence.seq;
    }
  });
});

describe('verifyReplay and a snapshot whose recorded digest alone is damaged', () => {
  it('starts from it with a warning, as a restore loads it (regression (review): SNAPSHOT_CORRUPT for good once pruning had removed the older snapshots)', async () => {
    const dir = freshBasedir();
    const c = initSystem(Counter, { basedir: dir, pruneSnapshots: true, pruneJournals: true });
    c.addHonest(1);
    c.takeSnapshot();
    c.addHonest(2);
    c.takeSnapshot();
    await c.close();
    const snaps = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.snap'))
      .sort();
    const oldest = path.join(dir, snaps[0]!);
    const raw = fs.readFileSync(oldest, 'utf8');
    const at = raw.lastIndexOf('"digest":"') + '"digest":"'.length;
    fs.writeFileSync(oldest, raw.slice(0, at) + (raw[at] === 'a' ? 'b' : 'a') + raw.slice(at + 1));
    const again = initSystem(Counter, dir);
    expect(again.values).toEqual(snaps.length === 1 ? [1, 2] : again.values);
    await again.close();
    const warnings: string[] = [];
    const report = verifyReplay(dir, Counter, { onWarning: (m) => warnings.push(m) });
    expect(report.ok).toBe(true);
    expect(warnings.join('\n')).toContain('its recorded SHA-256 digest does not match its content');
  });
});

describe('verifyReplay and a damaged oldest snapshot', () => {
  /** A closed directory with snapshots 0, 2 and 4 and actions 1 to 5. */
  async function history(): Promise<string> {
    const dir = freshBasedir();
    const c = initSystem(Counter, dir);
    for (let n = 1; n <= 5; n++) {
      c.addHonest(n);
      if (n % 2 === 0) c.takeSnapshot();
    }
    await c.close();
    return dir;
  }
  const snap = (dir: string, seq: number) =>
    path.join(dir, `snapshot-${String(seq).padStart(16, '0')}.snap`);

  it('starts from the oldest intact snapshot, with a warning, as an open passes over it (regression (operator review): it refused, advising an older snapshot there was none of)', async () => {
    const dir = await history();
    fs.truncateSync(snap(dir, 0), 100);
    const opened = initSystem(Counter, { basedir: dir, onWarning: () => {} });
    expect(opened.values).toEqual([1, 2, 3, 4, 5]);
    await opened.close();
    const warnings: string[] = [];
    const report = verifyReplay(dir, Counter, { onWarning: (m) => warnings.push(m) });
    expect(report).toEqual({ ok: true, snapshotsChecked: 1, actionsReplayed: 3 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`snapshot ${snap(dir, 0)} cannot be used (`);
    expect(warnings[0]).toContain(
      `verifyReplay passed over it, as an open does, and starts from ${snap(dir, 2)}`,
    );
  });

  it('says no snapshot is intact, with the advice an open gives, when none is (regression (operator review): it named snapshot 0 alone and advised an older snapshot)', async () => {
    const dir = await history();
    for (const seq of [0, 2, 4]) fs.truncateSync(snap(dir, seq), 100);
    const open = prevalenceErrorOf(() =>
      initSystem(Counter, { basedir: dir, onWarning: () => {} }),
    );
    const verified = prevalenceErrorOf(() => verifyReplay(dir, Counter, { onWarning: () => {} }));
    expect(verified.code).toBe('SNAPSHOT_CORRUPT');
    expect(verified.message).toBe(open.message);
    expect(open.message).toMatch(/none of the 3 snapshots .* is valid/);
    expect(open.message).not.toMatch(/older snapshot/);
  });
});
