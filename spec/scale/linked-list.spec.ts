import * as fs from 'node:fs';
import * as path from 'node:path';
import { initSystem, readonly } from '../../lib';
import type { Prevalent } from '../../lib';
import { makeTempDir, recordFigures, removeTempDir, secondsSince } from './figures';

const d = process.env.PREVALENT_SCALE ? describe : describe.skip;

const N = 100_000;

/** One node of a singly linked list: 100k of them nest 100k levels deep. */
export class ScaleListNode {
  constructor(
    public value: number,
    public next: ScaleListNode | null,
  ) {}
}

export class ScaleList {
  head: ScaleListNode | null = null;
  length = 0;

  /** Prepends nodes n-1 … 0 in one action, so the list reads 0, 1, …, n-1. */
  build(n: number): void {
    let head = this.head;
    for (let i = n - 1; i >= 0; i--) head = new ScaleListNode(i, head);
    this.head = head;
    this.length += n;
  }

  /** Walks the whole list: [nodes, sum of values, 1 when the values are 0, 1, 2, … in order]. */
  @readonly
  walk(): [number, number, number] {
    let nodes = 0;
    let sum = 0;
    let ordered = 1;
    for (let node = this.head; node !== null; node = node.next) {
      if (node.value !== nodes) ordered = 0;
      sum += node.value;
      nodes++;
    }
    return [nodes, sum, ordered];
  }
}

const expected: [number, number, number] = [N, (N * (N - 1)) / 2, 1];

d(`a linked list of ${N} nodes`, () => {
  let dir: string | undefined;

  afterAll(() => removeTempDir(dir));

  it(
    'replays, snapshots and restores without a stack overflow',
    async () => {
      dir = makeTempDir('list');
      const basedir = path.join(dir, 'list');
      const open = (): Prevalent<ScaleList> =>
        initSystem(ScaleList, { basedir, durability: 'none', classes: [ScaleListNode] });

      let start = process.hrtime.bigint();
      let sys = open();
      sys.build(N);
      const buildSeconds = secondsSince(start);
      expect(sys.walk()).toEqual(expected);
      await sys.close();

      // From the journal: the action is replayed.
      start = process.hrtime.bigint();
      sys = open();
      const replaySeconds = secondsSince(start);
      expect(sys.length).toBe(N);
      expect(sys.walk()).toEqual(expected);

      start = process.hrtime.bigint();
      const file = sys.takeSnapshot();
      const snapshotSeconds = secondsSince(start);
      await sys.close();

      // From the snapshot: 100k nested objects decoded.
      start = process.hrtime.bigint();
      sys = open();
      const restoreSeconds = secondsSince(start);
      try {
        expect(sys.length).toBe(N);
        expect(sys.walk()).toEqual(expected);
        // And once more through a second snapshot of the restored state.
        sys.build(1);
        expect(sys.walk()[0]).toBe(N + 1);
        sys.takeSnapshot();
      } finally {
        await sys.close();
      }
      recordFigures(`linked list of ${N} nodes`, {
        nodes: N,
        buildActionSeconds: buildSeconds,
        journalReplaySeconds: replaySeconds,
        snapshotWriteSeconds: snapshotSeconds,
        snapshotBytes: fs.statSync(file).size,
        snapshotRestoreSeconds: restoreSeconds,
      });
    },
    10 * 60 * 1000,
  );
});
