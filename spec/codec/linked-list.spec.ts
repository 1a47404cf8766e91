import { firstDifference } from '../../lib/codec/equal';
import { encodeGraph, GraphDecoder } from '../../lib/codec/graph';
import { linkedList, ListNode, makeRegistry } from './fixtures';

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
