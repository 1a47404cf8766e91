import { initSystem, persistent, readonly, verifyReplay } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { prevalenceErrorOf } from '../support/errors';

// A team evolving its domain class: v1 and v2 of the same classes, defined in
// separate functions, as a deploy would give them to two processes.

/** The stored class as v1 shipped it, registered under its own name. */
class Item {
  constructor(
    public id = '',
    public name = '',
  ) {}
}

/** The same class renamed in v2: written under its new name, its old one registered for reading. */
class Product {
  constructor(
    public id = '',
    public name = '',
  ) {}
}
persistent('VerifyEvolveProduct')(Product);

function shopV1() {
  class Shop {
    items: Item[] = [];
    put(id: string, name: string) {
      this.items.push(new Item(id, name));
    }
  }
  return Shop;
}

function shopV2(upper = false) {
  class Shop {
    items: Product[] = [];
    put(id: string, name: string) {
      this.items.push(new Product(id, upper ? name.toUpperCase() : name));
    }
  }
  return Shop;
}

/** A directory v1 wrote, with pruning: the oldest snapshot left holds Items, as the newer ones do. */
async function writtenWithItems(): Promise<string> {
  const basedir = freshBasedir();
  const v1 = initSystem(shopV1(), {
    basedir,
    classes: [Item],
    pruneJournals: true,
    pruneSnapshots: true,
  });
  v1.put('a', 'Apple');
  v1.takeSnapshot();
  v1.put('b', 'Banana');
  v1.takeSnapshot();
  v1.put('c', 'Cherry');
  v1.takeSnapshot();
  await v1.close();
  return basedir;
}

describe('verifyReplay and a class renamed, its old name registered for reading', () => {
  const classes = { Item: Product };

  it("reports ok when the states are equal (regression (domain-evolution review): it warned that an intact snapshot's digest was damaged and reported a divergence with no path, comparing digests of the files written under the old name with a re-encoding under the new one)", async () => {
    const basedir = await writtenWithItems();
    const Shop = shopV2();
    const v2 = initSystem(Shop, { basedir, classes });
    expect(v2.items.map((i) => i instanceof Product)).toEqual([true, true, true]);
    await v2.close();
    const warnings: string[] = [];
    const report = verifyReplay(basedir, Shop, {
      classes,
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([]);
    expect(report).toMatchObject({ ok: true });
    expect(report.snapshotsChecked).toBeGreaterThanOrEqual(1);
    expect(report.actionsReplayed).toBeGreaterThanOrEqual(1);
  });

  it('still reports a real divergence, with its path', async () => {
    const basedir = await writtenWithItems();
    const Shop = shopV2(true); // replays put('c', 'Cherry') otherwise than the live run
    const report = verifyReplay(basedir, Shop, { classes, onWarning: () => {} });
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.divergence).toMatchObject({
      path: 'items[2].name',
      difference: '"CHERRY" !== "Cherry"',
    });
  });
});

describe('verifyReplay after a deploy that changed what an action does', () => {
  const classes = { Item: Product };

  it('says that the snapshot it differs from was written by other code, and names the first snapshot of this code (regression (deploy review): a divergence after a safe deploy came with no hint)', async () => {
    const basedir = await writtenWithItems();
    const Shop = shopV2(true);
    const v2 = initSystem(Shop, { basedir, classes });
    v2.put('d', 'Date');
    const own = v2.takeSnapshot();
    await v2.close();
    const report = verifyReplay(basedir, Shop, { classes, onWarning: () => {} });
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.divergence).toMatchObject({ path: 'items[2].name' });
    expect(report.divergence.message).toMatch(
      /was written by other code than the Shop given \(its code print differs/,
    );
    expect(report.divergence.message).toContain(
      `without the snapshots older than ${own.split('/').pop()} (the first this code wrote)`,
    );
  });

  it('says so when no snapshot of this code exists yet', async () => {
    const basedir = await writtenWithItems();
    const report = verifyReplay(basedir, shopV2(true), { classes, onWarning: () => {} });
    if (report.ok) throw new Error('expected a divergence');
    expect(report.divergence.message).toMatch(
      /No snapshot in the directory was written by this code yet/,
    );
  });

  it('adds nothing when the snapshot was written by the code given (a real divergence)', async () => {
    let calls = 0;
    class Counter {
      n = 0;
      bump() {
        this.n += ++calls; // a module variable: a replay counts on from where the live run ended
      }
    }
    const basedir = freshBasedir();
    const live = initSystem(Counter, basedir);
    live.bump();
    live.takeSnapshot();
    live.bump();
    live.takeSnapshot();
    await live.close();
    const report = verifyReplay(basedir, Counter, { onWarning: () => {} });
    if (report.ok) throw new Error('expected a divergence');
    expect(report.divergence.message).toBeUndefined();
  });
});

describe('verifyReplay after an action was renamed and deployed the documented way', () => {
  function shopRename() {
    class Shop {
      names: Record<string, string> = {};
      rename(id: string, n: string) {
        this.names[id] = n;
      }
    }
    return Shop;
  }
  function shopSetName() {
    class Shop {
      names: Record<string, string> = {};
      setName(id: string, n: string) {
        this.names[id] = n;
      }
    }
    return Shop;
  }

  /** rename by v1, its snapshot (step 1 of the deploy), then setName by v2 and a snapshot. */
  async function deployed(): Promise<string> {
    const basedir = freshBasedir();
    const v1 = initSystem(shopRename(), basedir);
    v1.rename('a', 'A');
    v1.takeSnapshot();
    await v1.close();
    const v2 = initSystem(shopSetName(), basedir);
    v2.setName('b', 'B');
    v2.takeSnapshot();
    await v2.close();
    return basedir;
  }

  it('reports the records it cannot replay as not checked, with either code, instead of throwing UNKNOWN_METHOD with deploy advice (regression (domain-evolution review))', async () => {
    const basedir = await deployed();

    const withNew = verifyReplay(basedir, shopSetName());
    expect(withNew.ok).toBe(false);
    if (withNew.ok) return;
    expect(withNew.divergence).toMatchObject({
      agreedThrough: 0,
      seq: 1,
      method: 'rename',
      exact: true,
      unknownMethod: true,
    });
    expect(withNew.divergence.path).toBeUndefined();
    expect(withNew.divergence.checkableAfter).toMatch(/snapshot-0000000000000001\.snap$/);
    expect(withNew.divergence.message).toMatch(/not checked: action 1 calls Shop\.rename/);
    expect(withNew.divergence.message).toMatch(/with the code that wrote them/);

    const withOld = verifyReplay(basedir, shopRename());
    expect(withOld.ok).toBe(false);
    if (withOld.ok) return;
    expect(withOld.snapshotsChecked).toBe(1);
    expect(withOld.divergence).toMatchObject({
      agreedThrough: 1,
      seq: 2,
      method: 'setName',
      unknownMethod: true,
    });
    expect(withOld.divergence.checkableAfter).toMatch(/snapshot-0000000000000002\.snap$/);
  });

  it('says that the open stops there too when no snapshot holds the record', async () => {
    const basedir = freshBasedir();
    const v1 = initSystem(shopRename(), basedir);
    v1.rename('a', 'A');
    await v1.close(); // deployed without the snapshot
    expect(prevalenceErrorOf(() => initSystem(shopSetName(), basedir)).code).toBe('UNKNOWN_METHOD');
    const report = verifyReplay(basedir, shopSetName());
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.divergence).toMatchObject({ seq: 1, method: 'rename', unknownMethod: true });
    expect(report.divergence.checkableAfter).toBeUndefined();
    expect(report.divergence.message).toMatch(/an open with this code stops at it too/);
  });
});

describe('verifyReplay and an action made @readonly since', () => {
  it('reports its records as not checked, saying the method is @readonly now', async () => {
    function v1() {
      class Notes {
        text = '';
        touch(t: string) {
          this.text = t;
        }
      }
      return Notes;
    }
    function v2() {
      class Notes {
        text = '';
        touch(t: string) {
          return this.text + t;
        }
      }
      readonly(Notes.prototype.touch);
      return Notes;
    }
    const basedir = freshBasedir();
    const a = initSystem(v1(), basedir);
    a.touch('x');
    a.takeSnapshot();
    await a.close();
    const report = verifyReplay(basedir, v2());
    expect(report.ok).toBe(false);
    if (report.ok) return;
    expect(report.divergence).toMatchObject({ seq: 1, method: 'touch', unknownMethod: true });
    expect(report.divergence.message).toMatch(
      /Notes\.touch, which is no action method of the Notes given \(it is @readonly in it\)/,
    );
  });
});

describe('verifyReplay and a stored class no longer registered', () => {
  class Thing {
    constructor(public id = '') {}
  }
  function bag() {
    class Bag {
      things: Thing[] = [];
      add(id: string) {
        this.things.push(new Thing(id));
      }
    }
    return Bag;
  }

  it('refuses with UNKNOWN_CLASS, as the open does, when a replayed action made an instance of it (regression (domain-evolution review): NOT_SERIALIZABLE)', async () => {
    const basedir = freshBasedir();
    const Bag = bag();
    const v1 = initSystem(Bag, { basedir, classes: [Thing] });
    v1.add('a');
    v1.takeSnapshot();
    await v1.close();
    expect(prevalenceErrorOf(() => initSystem(Bag, basedir)).code).toBe('UNKNOWN_CLASS');
    const err = prevalenceErrorOf(() => verifyReplay(basedir, Bag));
    expect(err.code).toBe('UNKNOWN_CLASS');
    expect(err.message).toMatch(/class "Thing" is not registered.*at things\[0\]/);
    expect(verifyReplay(basedir, Bag, { classes: [Thing] })).toMatchObject({ ok: true });
  });

  it('refuses with UNKNOWN_CLASS, as the open does, also when no snapshot follows the action (regression: ok)', async () => {
    const basedir = freshBasedir();
    const Bag = bag();
    const v1 = initSystem(Bag, { basedir, classes: [Thing] });
    v1.add('a');
    await v1.close();
    expect(prevalenceErrorOf(() => initSystem(Bag, basedir)).code).toBe('UNKNOWN_CLASS');
    expect(prevalenceErrorOf(() => verifyReplay(basedir, Bag)).code).toBe('UNKNOWN_CLASS');
    expect(verifyReplay(basedir, Bag, { classes: [Thing] })).toMatchObject({ ok: true });
  });
});
