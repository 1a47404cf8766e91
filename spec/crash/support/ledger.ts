// The domain of the crash tests, shared by the test files and their child
// processes, and the reference model its state is checked against.
//
// Action n is always `step(n, textFor(n))`, so the state after actions
// 1..n is a pure function of n: `modelAfter(n)`. A restored state that
// equals `modelAfter(counter)` therefore proves that it holds exactly the
// actions 1..counter, each once, in order (nothing missing in the middle,
// nothing repeated), with their arguments intact.

/** The text stored by action n: varied lengths and multi-byte UTF-8 (2, 3 and 4 bytes). */
export function textFor(n: number): string {
  return `${n}:${'aé✓𝄞'.repeat(n % 13)}${'z'.repeat((n * 7) % 41)}`;
}

/** Deterministic filler that makes every snapshot of a ledger large. */
export function makeBallast(lines: number, bytesPerLine: number): string[] {
  return Array.from({ length: lines }, (_, i) => `${i}:`.padEnd(bytesPerLine, '~'));
}

export class Ledger {
  counter = 0;
  sum = 0;
  /** 37 keys, overwritten again and again. */
  entries = new Map<string, string>();
  /** Every applied n, in order. */
  order: number[] = [];
  /** Only set through the initial object (snapshot 0): makes snapshots big. */
  ballast: string[] = [];

  step(n: number, text: string): number {
    this.counter += 1;
    this.sum += n;
    this.entries.set(`k${n % 37}`, text);
    this.order.push(n);
    return this.counter;
  }
}

/** A ledger whose initial state carries `lines` lines of ballast. */
export function ledgerWithBallast(lines: number, bytesPerLine: number): Ledger {
  const ledger = new Ledger();
  ledger.ballast = makeBallast(lines, bytesPerLine);
  return ledger;
}

/** The comparable content of a ledger (Map order included). */
export interface LedgerDump {
  counter: number;
  sum: number;
  entries: Array<[string, string]>;
  order: number[];
  ballast: string[];
}

/** What {@link dumpLedger} reads: a Ledger, or the read-only view of one that the system gives. */
export interface LedgerView {
  readonly counter: number;
  readonly sum: number;
  readonly entries: ReadonlyMap<string, string>;
  readonly order: readonly number[];
  readonly ballast: readonly string[];
}

/** Copies the state of a ledger (raw, or a read-only view of one) into plain data. */
export function dumpLedger(ledger: LedgerView): LedgerDump {
  return {
    counter: ledger.counter,
    sum: ledger.sum,
    entries: [...ledger.entries.entries()],
    order: [...ledger.order],
    ballast: [...ledger.ballast],
  };
}

/** The reference model: the state after actions 1..n applied to a fresh ledger. */
export function modelAfter(n: number, ballast: string[] = []): LedgerDump {
  const model = new Ledger();
  model.ballast = ballast;
  for (let i = 1; i <= n; i++) model.step(i, textFor(i));
  return dumpLedger(model);
}

/** A small seeded PRNG (mulberry32), so the random choices of a run can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
