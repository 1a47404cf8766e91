// Child processes for the crash tests: start, talk to, wait for and SIGKILL
// spec/crash/fixtures/ledger-child.ts.
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** What a ledger child does; sent as one JSON line on its stdin. */
export interface ChildConfig {
  dir: string;
  /** 'steps': act until killed; 'hold': do maxSteps actions, then keep the system open. */
  mode: 'steps' | 'hold';
  durability: 'always' | 'batch' | 'none';
  batchIntervalMs?: number;
  journalMaxBytes?: number;
  /** Prune journals and snapshots after each snapshot. */
  prune?: boolean;
  /** Seed of the child's own random choices (when to snapshot, when to sync). */
  seed: number;
  /** Chance of a snapshot after each action. */
  snapshotChance: number;
  /** Chance of an `await sync()` after each action. */
  syncChance: number;
  /** Initial state with this much ballast, so snapshots are large. */
  ballast?: { lines: number; bytes: number };
  /** A safety net: the child closes and exits after this many actions. */
  maxSteps: number;
}

const REGISTER = path.join(__dirname, '..', '..', 'support', 'register.js');
const LEDGER_CHILD = path.join(__dirname, '..', 'fixtures', 'ledger-child.ts');
/** The child of the lock race test (spec/crash/fixtures/lock-child.ts). */
export const LOCK_CHILD = path.join(__dirname, '..', 'fixtures', 'lock-child.ts');
/** How long a child may stay silent before the test gives up on it. */
const SILENCE_LIMIT_MS = 60_000;

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** One ledger child: its stdout as lines, and its end. */
export class LedgerChild {
  readonly proc: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Complete lines printed so far (a line cut by the kill is never in here). */
  readonly lines: string[] = [];
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #stderr = '';
  #wake: Array<() => void> = [];

  /** Starts the process now; it loads everything and then waits for {@link start}. */
  constructor(script = LEDGER_CHILD) {
    this.proc = spawn(process.execPath, ['-r', REGISTER, script], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let partial = '';
    this.proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#notify();
    });
    this.proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.#stderr += chunk));
    // Writing to a child that is already dead gives EPIPE: its exit is what matters.
    this.proc.stdin.on('error', () => {});
    this.ended = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      }),
    );
  }

  /** Writes one line to the child's stdin. */
  send(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Hands the child its work. */
  start(config: ChildConfig): void {
    this.proc.stdin.write(`${JSON.stringify(config)}\n`);
  }

  /** The first line (from index `from`) that starts with `prefix`; fails if the child ends first. */
  async waitFor(prefix: string, from = 0): Promise<string> {
    let found: string | undefined;
    await this.waitUntil(`a line "${prefix}…"`, () => {
      found = this.lines.slice(from).find((l) => l.startsWith(prefix));
      return found !== undefined;
    });
    return found as string;
  }

  /** Waits until `done()` holds, re-checked on every line; fails if the child ends first. */
  async waitUntil(what: string, done: () => boolean): Promise<void> {
    const deadline = Date.now() + SILENCE_LIMIT_MS;
    while (!done()) {
      if (this.#exit !== undefined) {
        throw new Error(
          `the child ended (${JSON.stringify(this.#exit)}) before ${what}; ` +
            `last lines: ${JSON.stringify(this.lines.slice(-5))}; stderr: ${this.#stderr}`,
        );
      }
      if (Date.now() > deadline) {
        await dispose(this);
        throw new Error(`the child gave no ${what} in ${SILENCE_LIMIT_MS} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGKILLs the child (unless it already ended) and waits until its output is fully read. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.#exit === undefined) this.proc.kill('SIGKILL');
    const exit = await this.ended;
    if (exit.signal !== 'SIGKILL') {
      throw new Error(
        `the child was expected to die by SIGKILL but ended with ${JSON.stringify(exit)}; ` +
          `last lines: ${JSON.stringify(this.lines.slice(-5))}; stderr: ${this.#stderr}`,
      );
    }
    return exit;
  }

  /** The largest n of the lines `<prefix> <n>`, or undefined. */
  last(prefix: string): number | undefined {
    let max: number | undefined;
    for (const line of this.lines) {
      if (!line.startsWith(`${prefix} `)) continue;
      const n = Number(line.slice(prefix.length + 1));
      if (max === undefined || n > max) max = n;
    }
    return max;
  }

  #notify(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }
}

/** Kills a child that may still run (cleanup after a failed test); never throws. */
export async function dispose(child: LedgerChild | undefined): Promise<void> {
  if (child === undefined) return;
  child.proc.kill('SIGKILL');
  await child.ended;
}

/** Starts a child that opens `dir`, does `steps` actions in 'always' mode and keeps the system open. */
export async function holder(dir: string, steps: number): Promise<LedgerChild> {
  const child = new LedgerChild();
  try {
    child.start({
      dir,
      mode: 'hold',
      durability: 'always',
      seed: 1,
      snapshotChance: 0,
      syncChance: 0,
      maxSteps: steps,
    });
    await child.waitFor('held ');
    return child;
  } catch (err) {
    await dispose(child);
    throw err;
  }
}
