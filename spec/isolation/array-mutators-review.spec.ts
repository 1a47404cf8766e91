import { tracked } from '../../lib/isolation/tracking';
import { inAction } from './helpers';

/** Rollbacks of the mutators' fast paths over more elements than fit in one call's arguments. */

function holey(n: number): unknown[] {
  const list: unknown[] = [];
  for (let i = 0; i < n; i++) if (i % 7 !== 3) list[i] = i % 5 === 0 ? { id: i } : i;
  list.length = n + 5;
  return list;
}

function sameArray(a: unknown[], b: unknown[]): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    if (i in a !== i in b || a[i] !== b[i]) throw new Error(`differs at ${i}`);
  }
}

describe('array mutators over many elements', () => {
  it('rolls back a splice removing 150k elements of a holey array, holes kept', () => {
    const raw = { list: holey(200_000) };
    const before = raw.list.slice();
    const log = inAction(() => {
      tracked(raw).list.splice(10, 150_000, 'a', 'b');
    });
    expect(raw.list.length).toBe(before.length - 150_000 + 2);
    log.rollback();
    sameArray(raw.list, before);
  });

  it('unshifts 100k values and rolls them back', () => {
    const raw = { list: holey(1000) };
    const before = raw.list.slice();
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    const log = inAction(() => {
      expect(tracked(raw).list.unshift(...items)).toBe(101_005);
    });
    expect(raw.list[99_999]).toBe(99_999);
    expect(4 + 100_000 in raw.list).toBe(true);
    expect(3 + 100_000 in raw.list).toBe(false);
    log.rollback();
    sameArray(raw.list, before);
  });

  it("splices 80k values at a string index ('1'), as plain JavaScript does (the proxied path overflowed the stack)", () => {
    const raw = { list: [1, 2, 3] as unknown[] };
    const items = new Array<number>(80_000).fill(7);
    const log = inAction(() => {
      tracked(raw).list.splice('1' as unknown as number, 0, ...items);
    });
    expect(raw.list).toHaveLength(80_003);
    expect(raw.list[80_001]).toBe(2);
    log.rollback();
    expect(raw.list).toEqual([1, 2, 3]);
  });

  it('converts string, boolean and null index arguments of splice and fill as plain JavaScript', () => {
    const odd = [
      null,
      true,
      false,
      '',
      '2',
      ' -2 ',
      '1e3',
      'x',
      '-0',
      'Infinity',
      undefined,
    ] as unknown[];
    for (const a of odd) {
      for (const b of odd) {
        const plain = [0, 1, 2, 3, 4, 5];
        const removed = plain.splice(a as number, b as number, 9);
        const filled = [0, 1, 2, 3, 4, 5].fill(8, a as number, b as number);
        const raw = { list: [0, 1, 2, 3, 4, 5], other: [0, 1, 2, 3, 4, 5] };
        let got: unknown[] = [];
        inAction(() => {
          got = [...tracked(raw).list.splice(a as number, b as number, 9)];
          tracked(raw).other.fill(8, a as number, b as number);
        });
        expect([got, raw.list, raw.other]).toEqual([removed, plain, filled]);
      }
    }
  });
});
