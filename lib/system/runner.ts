import { types } from 'node:util';
import type { SystemClock } from '../clock/clock';
import { PrevalenceError } from '../errors';
import { beginTracking, endTracking, tracked, UndoLog } from '../isolation/tracking';

/** A method of the domain class, as the system calls it. */
export type DomainMethod = (...args: any[]) => unknown;

/** How one run of an action ended. */
export interface ActionOutcome {
  threw: boolean;
  result: unknown;
  error: unknown;
  /** Undo records of what the run changed; `rollback()` restores the state before it. */
  undo: UndoLog;
  /** The action stored something a snapshot cannot keep: it threw NOT_SERIALIZABLE and was rolled back. */
  refused: boolean;
}

/** State the system proxy's query wrappers check on every call (shared, so the check is two loads). */
export interface RunnerFlags {
  /** An action is running (a call through the system object from inside it is refused). */
  running: boolean;
  /** The system was closed. */
  closed: boolean;
}

/** What {@link activeAction} holds. */
interface ActiveAction {
  running: boolean;
  refused: Error | undefined;
}

/**
 * Where every copy of prevalent loaded in this process finds the one
 * {@link activeAction} (two installs, in a monorepo or an npm tree that did
 * not dedupe): one copy's system object called from another copy's action
 * must be refused too.
 */
const SHARED_ACTIVE_ACTION = Symbol.for('prevalent.activeAction.v1');

/**
 * The action running in this process, of any system (actions are
 * synchronous, so there is at most one), shared by every copy of prevalent
 * loaded. A call into any system's object while it runs is refused and
 * fails the action (see PrevalentSystem), since a replay could not make it.
 */
export const activeAction: ActiveAction = sharedActiveAction();

function sharedActiveAction(): ActiveAction {
  const global = globalThis as { [SHARED_ACTIVE_ACTION]?: ActiveAction };
  return (global[SHARED_ACTIVE_ACTION] ??= { running: false, refused: undefined });
}

/**
 * The refusal of an action that returned a promise: what the promise does
 * later runs after the action ended, outside the journal, and a replay
 * could not await it in order (the reason async methods are refused). The
 * promise's own rejection is handled here, so it cannot end the process.
 */
function promiseRefused(method: { name: string }, promise: Promise<unknown>): PrevalenceError {
  promise.catch(() => undefined);
  return new PrevalenceError(
    'NONDETERMINISTIC_METHOD',
    `${method.name || 'the method'}() returned a promise: actions run synchronously, so what the promise does later would happen outside the action and never be journaled; the action was rolled back and not journaled. Return the value itself (do the I/O outside and pass its result in), or mark the method @readonly if it changes nothing`,
  );
}

/**
 * `Buffer.poolSize` while an action runs, live and in a replay: with 0, Node
 * gives every Buffer the action makes (`Buffer.from('…')`, `allocUnsafe`,
 * `concat`) memory of its own instead of a slice of its shared allocation
 * pool. A stored slice of the pool left the state's bytes in an ArrayBuffer
 * that every small Buffer made later in the process shares: code outside
 * any action reached them through its own Buffer's `.buffer` and changed the
 * state behind the journal (spec/isolation/buffer-pool-escape.spec.ts).
 */
const UNPOOLED = 0;

/**
 * Runs one action on the state: the single path shared by live calls and
 * replay, so the two cannot drift apart. The clock is bound to the action's
 * recorded time and seed, and every write is recorded for rollback.
 */
export class ActionRunner {
  readonly flags: RunnerFlags = { running: false, closed: false };
  // One log and one outcome, reused: actions do not nest, and callers are
  // done with an outcome before the next action starts.
  readonly #log: UndoLog;
  readonly #outcome: ActionOutcome;

  constructor(
    private readonly root: object,
    private readonly clock: SystemClock,
    /** The system's undo log, which its tracking proxies know as their owner. */
    log = new UndoLog(),
  ) {
    this.#log = log;
    this.#outcome = {
      threw: false,
      result: undefined,
      error: undefined,
      undo: log,
      refused: false,
    };
  }

  /**
   * Drops what the last outcome holds (its result, error and undo records),
   * so the reused objects keep nothing of the state alive between actions.
   */
  release(): void {
    const out = this.#outcome;
    out.result = undefined;
    out.error = undefined;
    this.#log.reset();
  }

  /** True while an action runs (a call through the system object from inside it is refused). */
  get running(): boolean {
    return this.flags.running;
  }

  /**
   * Runs `method` as action `seq`; the outcome (and its undo log) is valid
   * until the next run. When the values the action stored cannot be kept
   * (the end-of-action check throws NOT_SERIALIZABLE), the whole action is
   * rolled back and the outcome is `refused`.
   */
  run(
    method: (...args: unknown[]) => unknown,
    args: unknown[],
    seq: number,
    ts: number,
    abortOnException = false,
    /** A replay of a version-2 record: its stores passed the live check (see UndoLog.storesChecked). */
    storesChecked = false,
  ): ActionOutcome {
    // First, while nothing is changed: it refuses a run nested in another action's.
    beginTracking(this.#log);
    try {
      this.clock.enter(ts, seq);
    } catch (err) {
      // Nothing ran: no action may be left running (every later call would be refused).
      endTracking();
      throw err;
    }
    this.#log.storesChecked = storesChecked;
    this.flags.running = true;
    activeAction.running = true;
    activeAction.refused = undefined;
    const out = this.#outcome;
    out.refused = false;
    // Buffers the action makes get memory of their own (see UNPOOLED).
    const poolSize = Buffer.poolSize;
    Reflect.set(Buffer, 'poolSize', UNPOOLED);
    try {
      out.result = Reflect.apply(method, tracked(this.root, this.#log), args);
      out.threw = false;
      out.error = undefined;
    } catch (error) {
      out.threw = true;
      out.result = undefined;
      out.error = error;
    } finally {
      Reflect.set(Buffer, 'poolSize', poolSize);
    }
    try {
      endTracking();
      // It used another system's state: refused whatever it did next (see refuseForeignUse).
      if (this.#log.refusal !== undefined) throw this.#log.refusal;
      const result = out.result;
      // Most actions return nothing: test for an object first, then ask V8.
      if (!out.threw && typeof result === 'object' && result !== null && types.isPromise(result)) {
        throw promiseRefused(method, result);
      }
    } catch (error) {
      this.#log.rollback();
      // An @abortOnException method that threw is undone whatever it
      // stored, so its own exception, not the check's, reaches the caller.
      const refusal = this.#log.refusal;
      if (refusal !== undefined) out.error = refusal;
      else if (!(abortOnException && out.threw)) out.error = error;
      out.threw = true;
      out.refused = true;
      out.result = undefined;
    } finally {
      this.#log.storesChecked = false;
      this.clock.exit();
      this.flags.running = false;
      activeAction.running = false;
    }
    return out;
  }
}

/**
 * Refuses a call into a system object while an action runs (of this system
 * or another): a replay runs the action before the system object exists, or
 * while an outside variable names a closed one, so it could not make the
 * call. The running action is failed too, rolled back and not journaled,
 * even if it catches this error, since what it would do next differs in a
 * replay.
 */
export function refuseInsideAction(what: string, throughSystemObject = true): void {
  if (!activeAction.running) return;
  const through = throughSystemObject ? ' through a system object' : '';
  const error = new PrevalenceError(
    'NONDETERMINISTIC_METHOD',
    `${what}${through} from inside an action: a replay runs the action before the system object exists, so it could not make this call and the restart would diverge; inside an action, reach the state through \`this\` (this.method(...), this.property), and call other systems outside actions`,
  );
  activeAction.refused ??= error;
  throw error;
}
