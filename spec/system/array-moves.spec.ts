import fc from 'fast-check';
import { abortOnException, initSystem, persistent, readonly, verifyReplay } from '../../lib';
import type { Clock } from '../../lib';
import { firstDifference } from '../../lib/codec/equal';
import { mutatorStats } from '../../lib/isolation/array-mutators';
import { locateStats } from '../../lib/isolation/views';
import { freshBasedir } from '../support/tmp';

/**
 * A queue of jobs changed by the array methods that move elements, which
 * actions run on the raw array (array-mutators.ts): journaled, rolled back,
 * replayed and passed back as views exactly as element-by-element writes
 * through the proxy were.
 */

@persistent('MovesJob')
class Job {
  notes: string[] = [];
  constructor(public id: number) {}
}

@persistent('MovesDesk')
class Desk {
  jobs: Job[] = [];
  next = 0;
  declare readonly _clock: Clock;

  add(count: number): void {
    for (let i = 0; i < count; i++) this.jobs.push(new Job(this.next++));
  }

  take(): number | undefined {
    return this.jobs.shift()?.id;
  }

  urgent(): void {
    this.jobs.unshift(new Job(this.next++));
  }

  cut(start: number, count: number, fresh: number): number[] {
    const added = Array.from({ length: fresh }, () => new Job(this.next++));
    return this.jobs.splice(start, count, ...added).map((j) => j.id);
  }

  sortById(): void {
    this.jobs.sort((a, b) => a.id - b.id);
  }

  shuffle(): void {
    this.jobs.sort(() => (this._clock.random() < 0.5 ? -1 : 1));
  }

  reverse(): void {
    this.jobs.reverse();
  }

  note(job: Job, text: string): void {
    job.notes.push(text);
  }

  moveToFront(job: Job): void {
    const at = this.jobs.indexOf(job);
    if (at < 0) throw new Error('not queued');
    this.jobs.splice(at, 1);
    this.jobs.unshift(job);
  }

  @abortOnException
  takeThenFail(): void {
    this.jobs.shift();
    this.jobs.reverse();
    this.jobs.unshift(new Job(-1));
    throw new Error('fails after moving');
  }

  @readonly
  at(i: number): Job | undefined {
    return this.jobs[i];
  }
}

type DeskSystem = Desk & { takeSnapshot(): string; close(): Promise<void> };

const command = fc.oneof(
  fc.record({ op: fc.constant('add' as const), n: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ op: fc.constant('take' as const) }),
  fc.record({ op: fc.constant('urgent' as const) }),
  fc.record({
    op: fc.constant('cut' as const),
    start: fc.integer({ min: -6, max: 8 }),
    count: fc.integer({ min: 0, max: 3 }),
    fresh: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({ op: fc.constant('sortById' as const) }),
  fc.record({ op: fc.constant('shuffle' as const) }),
  fc.record({ op: fc.constant('reverse' as const) }),
  fc.record({ op: fc.constant('read' as const), i: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ op: fc.constant('note' as const), v: fc.nat(), text: fc.string({ maxLength: 3 }) }),
  fc.record({ op: fc.constant('front' as const), v: fc.nat() }),
  fc.record({ op: fc.constant('takeThenFail' as const) }),
  fc.record({ op: fc.constant('snapshot' as const) }),
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

function apply(desk: DeskSystem, cmd: Command, views: Job[]): void {
  try {
    switch (cmd.op) {
      case 'add':
        return desk.add(cmd.n);
      case 'take':
        return void desk.take();
      case 'urgent':
        return desk.urgent();
      case 'cut':
        return void desk.cut(cmd.start, cmd.count, cmd.fresh);
      case 'sortById':
        return desk.sortById();
      case 'shuffle':
        return desk.shuffle();
      case 'reverse':
        return desk.reverse();
      case 'read': {
        const job = desk.at(cmd.i);
        if (job !== undefined) views.push(job);
        return;
      }
      case 'note':
        if (views.length > 0) desk.note(views[cmd.v % views.length]!, cmd.text);
        return;
      case 'front':
        if (views.length > 0) desk.moveToFront(views[cmd.v % views.length]!);
        return;
      case 'takeThenFail':
        return desk.takeThenFail();
      case 'snapshot':
        void desk.takeSnapshot();
    }
  } catch {
    // Failing calls (a stale view, a failing action) must fail the same way in the replay.
  }
}

const stateOf = (d: Desk) => ({ jobs: d.jobs, next: d.next });

describe('array methods that move elements, in a system', () => {
  it('random queue work restores to the live state, from the journal and from snapshots (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        const dir = freshBasedir();
        const desk = initSystem(new Desk(), {
          basedir: dir,
          durability: 'none',
        }) as unknown as DeskSystem;
        const views: Job[] = [];
        for (const cmd of commands) apply(desk, cmd, views);
        const live = JSON.parse(JSON.stringify(stateOf(desk))) as unknown;
        await desk.close();
        const again = initSystem(new Desk(), { basedir: dir, isolation: 'none' });
        const diff = firstDifference(JSON.parse(JSON.stringify(stateOf(again))), live);
        await (again as unknown as DeskSystem).close();
        expect(diff).toBeUndefined();
        expect((await verifyReplay(dir, Desk)).ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('a queue drained with shift() takes the fast path live and in the replay', async () => {
    const dir = freshBasedir();
    const desk = initSystem(new Desk(), { basedir: dir }) as unknown as DeskSystem;
    desk.add(2000);
    const live = mutatorStats.fast;
    for (let i = 0; i < 100; i++) desk.take();
    expect(mutatorStats.fast - live).toBe(100);
    await desk.close();
    const replay = mutatorStats.fast;
    const again = initSystem(new Desk(), { basedir: dir }) as unknown as DeskSystem;
    expect(mutatorStats.fast - replay).toBe(100);
    expect(again.jobs).toHaveLength(1900);
    expect(again.jobs[0]!.id).toBe(100);
    await again.close();
  });

  it('a view read before its job moved is passed back without searching the state', async () => {
    const dir = freshBasedir();
    const desk = initSystem(new Desk(), { basedir: dir }) as unknown as DeskSystem;
    desk.add(500);
    const job = desk.at(300)!;
    desk.take();
    desk.cut(10, 5, 2);
    desk.reverse();
    const searches = locateStats.searches;
    desk.note(job, 'moved');
    desk.moveToFront(job);
    desk.note(job, 'front');
    expect(locateStats.searches).toBe(searches);
    expect(desk.jobs[0]!.notes).toEqual(['moved', 'front']);
    await desk.close();
  });
});
