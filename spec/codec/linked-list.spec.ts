import { firstDifference } from '../../lib/codec/equal';
import { encodeGraph, GraphDecoder } from '../../lib/codec/graph';
import { deepCopy } from '../../lib/codec/copy';
import { linkedList, ListNode, makeRegistry, sharesNothing } from './fixtures';

const N = 1_000_000;

describe('a doubly linked list of 1,000,000 nodes', () => {
  const registry = makeRegistry();
  const head = linkedList(N);
  let back: ListNode;

  it('streams through encodeGraph and GraphDecoder without deep recursion', () => {
    const decoder = new GraphDecoder(registry);
    let lines = 0;
    let longest = 0;
    const stats = encodeGraph(head, registry, (line) => {
      lines++;
      longest = Math.max(longest, line.length);
      decoder.push(line);
    });
    expect(stats.objects).toBe(N);
    expect(lines).toBe(N);
    expect(longest).toBeLessThan(100);
    back = decoder.finish() as ListNode;
    expect(back).toBeInstanceOf(ListNode);
  });

  it('compares equal with firstDifference, both directions linked', () => {
    expect(firstDifference(head, back)).toBeUndefined();
    let tail = back;
    while (tail.next !== null) tail = tail.next;
    expect(tail.value).toBe(N - 1);
    expect(tail.prev?.next).toBe(tail);
  });
});

describe('a difference at the end of a long chain', () => {
  it('is found, and its long path is abbreviated in the middle', () => {
    const n = 20_000;
    const a = linkedList(n);
    const b = linkedList(n);
    let tail = b;
    while (tail.next !== null) tail = tail.next;
    tail.value = -1;
    const diff = firstDifference(a, b) as string;
    expect(diff).toMatch(/^next\.next\.next.*…\(19800 more\)….*\.next\.value: 19999 !== -1$/);
    expect(diff.length).toBeLessThan(2000);
  });
});

describe('deep copies (clone isolation) of deep values', () => {
  const registry = makeRegistry();

  it('copy a doubly linked list of 100,000 registered nodes, cycles kept, sharing nothing (regression: the copy went through the recursive tree codec and overflowed the stack after a few thousand nodes)', () => {
    const head = linkedList(100_000);
    const copy = deepCopy(head, registry) as ListNode;
    expect(copy).toBeInstanceOf(ListNode);
    expect(firstDifference(head, copy)).toBeUndefined();
    expect(sharesNothing(head, copy)).toBe(true);
    expect(copy.next?.prev).toBe(copy);
  });

  it('copy 30,000 levels of nested arrays (with holes), Maps, Sets and null-prototype objects', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 30_000; i++) {
      switch (i % 4) {
        case 0: {
          const holed: unknown[] = [1];
          holed[2] = deep; // a hole at 1
          deep = holed;
          break;
        }
        case 1:
          deep = new Map<unknown, unknown>([[{ k: i }, deep]]);
          break;
        case 2:
          deep = new Set([deep, -0]);
          break;
        default:
          deep = Object.assign(Object.create(null) as object, { $: i, deep });
      }
    }
    const copy = deepCopy(deep, registry);
    expect(firstDifference(deep, copy)).toBeUndefined();
    expect(sharesNothing(deep, copy)).toBe(true);
  });
});
