import type { SystemClock } from '../clock/clock';
import { beginTracking, endTracking, tracked } from '../isolation/tracking';
import type { UndoLog } from '../isolation/tracking';

/** A method of the domain class, as the system calls it. */
export type DomainMethod = (...args: any[]) => unknown;

/** How one run of an action ended. */
export interface ActionOutcome {
  threw: boolean;
  result: unknown;
  error: unknown;
  /** Undo records of what the run changed; `rollback()` restores the state before it. */
  undo: UndoLog;
}

/**
 * Runs one action on the state: the single path shared by live calls and
 * replay, so the two cannot drift apart. The clock is bound to the action's
 * recorded time and seed, and every write is recorded for rollback.
 */
export class ActionRunner {
  #running = false;

  constructor(
    private readonly root: object,
    private readonly clock: SystemClock,
  ) {}

  /** True while an action runs (a call through the system proxy from inside it joins it). */
  get running(): boolean {
    return this.#running;
  }

  run(
    method: (...args: unknown[]) => unknown,
    args: unknown[],
    seq: number,
    ts: number,
  ): ActionOutcome {
    this.#running = true;
    this.clock.enter(ts, seq);
    const undo = beginTracking();
    try {
      const result = Reflect.apply(method, tracked(this.root), args);
      return { threw: false, result, error: undefined, undo };
    } catch (error) {
      return { threw: true, result: undefined, error, undo };
    } finally {
      endTracking();
      this.clock.exit();
      this.#running = false;
    }
  }
}
