import { initSystem } from '../../lib';
import type { Prevalent } from '../../lib';
import { freshBasedir } from '../support/tmp';

// Not fixed (reported): a new directory's state starts with the very objects the domain
// instance held (README: "same class, same fields, the objects they hold shared"), and only the
// instance itself is emptied. Code that kept one of those objects, or a module-level default the
// constructor stored (`settings = DEFAULTS`), changes the live state through it outside any
// action: nothing is journaled, snapshot 0 holds the old value, and a restart parts from the live
// state. The same goes for a small Buffer the constructor made from Node's shared pool (see
// buffer-pool-escape.spec.ts). Copying the initial state once snapshot 0 is written (or restoring
// it from snapshot 0) would close this, at the price of the identities the README promises.

const DEFAULTS = { currency: 'EUR' };

class Shop {
  settings = DEFAULTS;
  catalog = { items: ['a'] };
}

const open: Array<Prevalent<Shop>> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  DEFAULTS.currency = 'EUR';
});
function openShop(shop: Shop, dir = freshBasedir()): Prevalent<Shop> {
  const s = initSystem(shop, { basedir: dir });
  open.push(s);
  return s;
}

describe("a new directory's initial state", () => {
  it.failing('is not changed by code that kept an object the instance held', async () => {
    const shop = new Shop();
    const catalog = shop.catalog;
    const s = openShop(shop);
    catalog.items.push('b');
    expect(s.catalog.items).toEqual(['a']);
  });

  it.failing('is not changed through a module-level default the constructor stored', async () => {
    const s = openShop(new Shop());
    DEFAULTS.currency = 'USD';
    expect(s.settings.currency).toBe('EUR');
  });

  it('(the difference a restart shows)', async () => {
    const dir = freshBasedir();
    const shop = new Shop();
    const catalog = shop.catalog;
    const s = openShop(shop, dir);
    catalog.items.push('b');
    const live = [...s.catalog.items];
    await s.close();
    open.splice(0);
    const restarted = [...openShop(new Shop(), dir).catalog.items];
    expect({ live, restarted }).toEqual({ live: ['a', 'b'], restarted: ['a'] });
  });
});
