import type { FileSystem } from '../../lib/fs/seam';
import { realFs } from '../../lib/fs/seam';
import type { JournalWriter, JournalWriterOptions } from '../../lib/journal/writer';
import { appendRange, countingFs, gatedFs, openWriter, removeTempDirs, tempDir } from './helpers';

afterAll(removeTempDirs);

/** Waits (without asserting on time) until `done()` holds, giving up after many event-loop turns. */
async function eventually(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

function dataSyncs(calls: Record<string, number>): number {
  return (calls.fdatasync ?? 0) + (calls.fdatasyncSync ?? 0);
}

describe('durability modes', () => {
  it("'always' makes every append durable before it returns, one fdatasync each", async () => {
    const spy = countingFs();
    const w = openWriter(tempDir(), { fs: spy.fs, durability: 'always' });
    appendRange(w, 1, 10);
    expect(w.stats).toEqual({ appends: 10, fsyncs: 10 });
    expect(spy.calls.fdatasyncSync).toBe(10);
    await w.sync();
    expect(w.stats.fsyncs).toBe(10);
    await w.close();
    expect(dataSyncs(spy.calls)).toBe(10);
  });

  it("'always' leaves unlocked appends to the background flusher", async () => {
    const w = openWriter(tempDir(), { durability: 'always', batchIntervalMs: 60_000 });
    w.append(1, 1, 'm', '[]', false, true);
    w.append(2, 2, 'm', '[]', false, true);
    expect(w.stats.fsyncs).toBe(0);
    await w.sync();
    expect(w.stats.fsyncs).toBe(1);
    w.append(3, 3, 'm', '[]', false);
    expect(w.stats.fsyncs).toBe(2);
    await w.close();
    expect(w.stats.fsyncs).toBe(2);
  });

  it("'none' appends without fdatasync, but sync() and close() make them durable", async () => {
    const spy = countingFs();
    const w = openWriter(tempDir(), { fs: spy.fs, durability: 'none', batchIntervalMs: 1 });
    appendRange(w, 1, 50);
    await new Promise((r) => setTimeout(r, 20));
    expect(dataSyncs(spy.calls)).toBe(0);
    await w.sync();
    expect(w.stats.fsyncs).toBe(1);
    await w.sync();
    expect(w.stats.fsyncs).toBe(1);
    appendRange(w, 51, 1);
    await w.close();
    expect(w.stats.fsyncs).toBe(2);
    expect(dataSyncs(spy.calls)).toBe(2);
  });

  it("'none' makes a rotated-away file durable before the new one exists (regression: a power cut left a seq gap)", async () => {
    const spy = countingFs();
    const w = openWriter(tempDir(), { fs: spy.fs, durability: 'none' });
    appendRange(w, 1, 3);
    w.rotate();
    expect(dataSyncs(spy.calls)).toBe(1);
    appendRange(w, 4, 1);
    expect(dataSyncs(spy.calls)).toBe(1);
    await w.sync();
    expect(w.stats.fsyncs).toBe(2);
    await w.close();
  });

  it("'batch' becomes durable through the timer without sync()", async () => {
    const w = openWriter(tempDir(), { batchIntervalMs: 5 });
    appendRange(w, 1, 10);
    expect(w.stats.fsyncs).toBe(0);
    await eventually(() => w.stats.fsyncs >= 1);
    expect(w.stats.fsyncs).toBeGreaterThanOrEqual(1);
    const after = w.stats.fsyncs;
    await w.sync();
    expect(w.stats.fsyncs).toBe(after);
    await w.close();
  });
});

describe('group commit', () => {
  it('shares a handful of fdatasyncs among 100 concurrent sync() callers', async () => {
    const spy = countingFs();
    const w = openWriter(tempDir(), { fs: spy.fs, batchIntervalMs: 60_000 });
    appendRange(w, 1, 200);
    const all = await Promise.all(Array.from({ length: 100 }, () => w.sync()));
    expect(all).toHaveLength(100);
    expect(w.stats.fsyncs).toBeLessThanOrEqual(3);
    expect(w.stats.fsyncs).toBeGreaterThanOrEqual(1);
    expect(dataSyncs(spy.calls)).toBe(w.stats.fsyncs);
    await w.close();
    expect(w.stats.fsyncs).toBeLessThanOrEqual(3);
  });

  it('needs one more fdatasync for records written during one in flight', async () => {
    const g = gatedFs();
    const w = openWriter(tempDir(), { fs: g.fs });
    appendRange(w, 1, 1);
    const first = w.sync();
    expect(g.pending()).toBe(1);
    appendRange(w, 2, 1);
    let secondDone = false;
    const second = w.sync().then(() => (secondDone = true));
    const third = w.sync();
    expect(g.pending()).toBe(1);
    g.release();
    await first;
    expect(secondDone).toBe(false);
    expect(w.stats.fsyncs).toBe(1);
    await eventually(() => g.pending() === 1);
    g.release();
    await Promise.all([second, third]);
    expect(w.stats.fsyncs).toBe(2);
    await w.close();
    expect(w.stats.fsyncs).toBe(2);
  });

  it('never closes a file while an fdatasync on it is in flight', async () => {
    const g = gatedFs();
    const w = openWriter(tempDir(), { fs: g.fs });
    appendRange(w, 1, 2);
    const syncing = w.sync();
    const fd = g.syncedFds[0] as number;
    w.rotate(); // fdatasyncs seq 1-2, which counts once the one in flight has succeeded
    expect(g.closedFds).not.toContain(fd);
    appendRange(w, 3, 1);
    g.release();
    await syncing;
    await eventually(() => g.closedFds.includes(fd));
    expect(g.closedFds).toContain(fd);
    const closing = w.close();
    await closing;
    expect(g.closedWhileInFlight).toEqual([]);
  });

  it('keeps the process alive while a batch fdatasync is pending (regression: an unref-ed timer let a process ending without close() skip it)', async () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const w = openWriter(tempDir(), { batchIntervalMs: 60_000 });
    const before = timers();
    appendRange(w, 1, 1);
    expect(timers()).toBe(before + 1);
    await w.close();
    expect(timers()).toBe(before);
  });
});

/** The real file system, but an asynchronous fdatasync that returns at once (for gatedFs under fake timers). */
const instantAsyncSync: FileSystem = { ...realFs, fdatasync: () => Promise.resolve() };

/** Lets settled promises run their reactions (no timers: they may be fake). */
async function microturns(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** How `p` has settled so far. */
function track(p: Promise<void>): () => 'pending' | 'resolved' | 'rejected' {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return () => state;
}

describe('a synchronous fdatasync that returns while a background one is in flight', () => {
  afterEach(() => jest.useRealTimers());

  const interval = 50;
  /**
   * Each way a synchronous fdatasync of the same file comes while the
   * background one that sync() started for seq 1 is in flight: it returns
   * success and covers every record written so far.
   */
  const paths: [string, Partial<JournalWriterOptions>, (w: JournalWriter) => void][] = [
    [
      "a 'batch' record's own, when an earlier one waited past batchIntervalMs",
      { durability: 'batch' },
      (w) => {
        appendRange(w, 2, 1); // written during the flush: it waits
        jest.advanceTimersByTime(interval);
        appendRange(w, 3, 1); // seq 2 waited the interval: fdatasyncs before it returns
      },
    ],
    [
      'a journal rotation',
      { durability: 'batch' },
      (w) => {
        w.rotate();
      },
    ],
    [
      "an 'always' record's, after an @unlocked one",
      { durability: 'always' },
      (w) => {
        w.append(2, 2, 'm', '[]', false);
      },
    ],
  ];

  function start(over: Partial<JournalWriterOptions>) {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const g = gatedFs(instantAsyncSync);
    const w = openWriter(tempDir(), { fs: g.fs, batchIntervalMs: interval, ...over });
    w.append(1, 1, 'm', '[]', false, true); // @unlocked in 'always' mode: no fdatasync of its own
    const synced = w.sync();
    expect(g.pending()).toBe(1); // its background fdatasync is in flight
    return { g, w, synced, state: track(synced) };
  }

  it.each(paths)(
    'does not resolve sync() on %s: the background one may fail yet (regression (review 21): sync() resolved, then the background fdatasync failed and the same records were declared of unknown durability)',
    async (_what, over, overlap) => {
      const { g, w, synced, state } = start(over);
      const syncs = w.stats.fsyncs;
      overlap(w);
      expect(w.stats.fsyncs).toBe(syncs + 1); // it did return success
      await microturns();
      expect(state()).toBe('pending');
      g.fail();
      await expect(synced).rejects.toThrow(/JOURNAL_WRITE_FAILED.*EIO/);
      await expect(w.close()).rejects.toThrow(/closed without making actions after seq 0 durable/);
    },
  );

  it.each(paths)(
    'resolves sync() for what %s covered once the background one has succeeded, with no other fdatasync',
    async (_what, over, overlap) => {
      const { g, w, synced, state } = start(over);
      overlap(w);
      await microturns();
      expect(state()).toBe('pending');
      const syncs = w.stats.fsyncs;
      g.release();
      await synced;
      const later = track(w.sync());
      await microturns();
      expect(later()).toBe('resolved'); // every record written is durable now
      expect(w.stats.fsyncs).toBe(syncs + 1);
      await w.close();
    },
  );
});

describe('the batch interval after a background fdatasync that took long', () => {
  afterEach(() => jest.useRealTimers());

  const interval = 50;
  function inFlight() {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    const g = gatedFs(instantAsyncSync);
    const w = openWriter(tempDir(), { fs: g.fs, batchIntervalMs: interval });
    appendRange(w, 1, 1);
    jest.advanceTimersByTime(interval);
    expect(g.syncedFds).toHaveLength(1); // the timer's fdatasync is in flight
    return { g, w };
  }

  it('starts the next fdatasync at once when a record written during it has waited batchIntervalMs by its end (regression (review 21): a fresh timer made it wait another interval, so it was durable only after the interval plus two fdatasyncs)', async () => {
    const { g, w } = inFlight();
    appendRange(w, 2, 1);
    jest.advanceTimersByTime(interval); // seq 2 has waited the interval; the fdatasync still runs
    expect(g.syncedFds).toHaveLength(1);
    g.release();
    await microturns();
    expect(g.syncedFds).toHaveLength(2); // without any timer
    g.release();
    await w.close();
  });

  it('flushes a record written during it when the record is batchIntervalMs old, not a whole interval after that fdatasync ended (regression (review 21): the timer started afresh)', async () => {
    const { g, w } = inFlight();
    jest.advanceTimersByTime(10);
    appendRange(w, 2, 1);
    jest.advanceTimersByTime(20); // seq 2 is 20 ms old
    g.release();
    await microturns();
    expect(g.syncedFds).toHaveLength(1);
    jest.advanceTimersByTime(interval - 20 - 1);
    expect(g.syncedFds).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(g.syncedFds).toHaveLength(2);
    g.release();
    await w.close();
  });
});
