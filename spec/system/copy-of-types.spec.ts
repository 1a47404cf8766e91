import { DateTime } from 'luxon';
import { copyOf, initSystem, persistent, type DeepMutable, type DeepReadonly } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';

/*
 * Compile-time checks (npm run typecheck) of copyOf's result type: a copy of a
 * view of a `T` must be usable where a `T` is expected. Regression (copyOf
 * review): typed arrays and Buffers came back as plain object types lacking
 * their mutators, tuples as arrays of the union of their element types,
 * methods still returning read-only views, and a copy of the system object
 * kept close(), sync(), takeSnapshot() and basedirAbspath(), which it does
 * not have. The run checks the same at run time.
 */

@persistent('CopyTypes.Address')
class Address {
  street = '';
  zip?: string;
}

@persistent('CopyTypes.Order')
class Order {
  lines: string[] = ['a'];
  byId = new Map<string, Address>([['x', new Address()]]);
  tags = new Set<string>(['t']);
  at = new Date(1);
  when = DateTime.fromMillis(2, { zone: 'utc' });
  bytes = new Uint8Array([1]);
  wide = new Float64Array([1.5]);
  big = new BigUint64Array([1n]);
  raw = Buffer.from('b');
  addr = new Address();
  maybe?: Address;
  pair: readonly [number, string] = [1, 'a'];
  nested: { a: { b: number[] } } = { a: { b: [1] } };

  names(): string[] {
    return this.lines;
  }
}

class Shop {
  orders: Order[] = [new Order()];

  add(order: Order): void {
    this.orders.push(order);
  }
}

const opened = closedAfterEach();

function takesOrder(order: Order): number {
  order.lines.push('more');
  order.bytes.fill(7);
  order.raw.writeUInt8(1, 0);
  order.at.setTime(0);
  return order.names().length;
}

describe('copyOf (types)', () => {
  it('gives a copy of a view usable where the plain type is expected', () => {
    const shop = opened(initSystem(Shop, { basedir: freshBasedir() }));
    const view: DeepReadonly<Order> = shop.orders[0]!;
    const copy = copyOf(view);
    const order: Order = copy;
    const bytes: Uint8Array = copy.bytes;
    const wide: Float64Array = copy.wide;
    const big: BigUint64Array = copy.big;
    const raw: Buffer = copy.raw;
    const pair: [number, string] = copy.pair;
    const when: DateTime = copy.when;
    const names: string[] = copy.names();
    const maybe: Address | undefined = copy.maybe;
    expect(takesOrder(order)).toBe(2);
    expect([bytes[0], wide[0], big[0], raw[0], pair[1], when.toMillis(), names.length]).toEqual([
      7,
      1.5,
      1n,
      1,
      'a',
      2,
      2,
    ]);
    expect(maybe).toBeUndefined();
    const orders: Order[] = copyOf(shop.orders);
    expect(orders).toHaveLength(1);
    shop.add(copy);
    expect(shop.orders).toHaveLength(2);
    expect(() => {
      // @ts-expect-error the view itself is still read-only
      view.lines.push('x');
    }).toThrow(/READONLY_VIOLATION/);
  });

  it('gives a copy of the system object without the system controls', () => {
    const shop = opened(initSystem(Shop, { basedir: freshBasedir() }));
    const state = copyOf(shop);
    const plain: Shop = state;
    expect(plain.orders).toHaveLength(1);
    // @ts-expect-error the copy is the state, not a system
    expect(state.takeSnapshot).toBeUndefined();
    // @ts-expect-error the copy is the state, not a system
    expect(state.close).toBeUndefined();
  });

  it('leaves unknown, primitives and mutable types as they are', () => {
    const u: DeepMutable<unknown> = 1 as unknown;
    const n: DeepMutable<number> = 1;
    const same: DeepMutable<Address> = new Address();
    expect([u, n, same.street]).toEqual([1, 1, '']);
  });
});
