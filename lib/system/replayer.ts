import { PrevalenceError, isPrevalenceError } from '../errors';
import { hasFlag } from '../decorators';
import { allPrimitive, decodeArgs } from '../codec/tree';
import type { JournalRecord } from '../journal/reader';
import { RECORD_VERSION } from '../journal/record';
import type { ActionOutcome, ActionRunner, DomainMethod } from './runner';
import type { Exporter } from './exporter';
import { unresolvedPathOf } from '../isolation/paths';

/**
 * Applies journal records to the state through the same {@link ActionRunner}
 * as live calls, and checks that each ends the way the live call did.
 */
export class Replayer {
  readonly #methods = new Map<string, DomainMethod>();
  /**
   * Set when the records may have been written by other code than this
   * process's (see codePrintOf): a record's promise that its action passed
   * the store-time checks was made by that code, so the replay runs them
   * (the system turns the live checks on too), and one they refuse stops the
   * restore as an action that completed live but threw in replay.
   */
  otherCode = false;

  constructor(
    private readonly root: object,
    private readonly rootClass: string,
    private readonly runner: ActionRunner,
    private readonly exporter: Exporter,
    private readonly strict: boolean,
    private readonly warn: (message: string) => void,
  ) {}

  /** Replays `rec`; true when the action completed and changed the state. */
  apply(rec: JournalRecord): boolean {
    if (!(rec.version <= RECORD_VERSION)) throw newerRecord(rec);
    const method = this.#methodNamed(rec.method);
    // Plain arguments are the record's own fresh array: nothing to decode.
    const args = allPrimitive(rec.args) ? rec.args : this.#decodeArgs(rec);
    if (args === undefined) return false;
    const checked = rec.version >= 2 && !this.otherCode;
    const out = this.runner.run(method, args, rec.seq, rec.ts, false, checked);
    try {
      this.#check(rec, out, method);
      if (out.threw && hasFlag(method, 'abortOnException')) out.undo.rollback();
      return !out.threw && out.undo.size !== 0;
    } finally {
      this.runner.release();
    }
  }

  /**
   * The arguments of `rec` as the live call got them. A state object it was
   * given by its place (a view passed back) that the replayed state does not
   * have there means that the state before it differs from the live run's:
   * REPLAY_DIVERGED, or with `strictReplay: false` a warning and undefined
   * (the action is skipped: it cannot run as it was called).
   */
  #decodeArgs(rec: JournalRecord): unknown[] | undefined {
    try {
      return decodeArgs(rec.args as never[], this.exporter.replayContext);
    } catch (err) {
      if (isPrevalenceError(err, 'JOURNAL_CORRUPT')) throw namingRecord(rec, err);
      const where = unresolvedPathOf(err);
      if (where === undefined) throw err;
      const message = `action ${rec.seq} (${rec.method}) was given the state object at ${where} in the live run, and in replay nothing is there: the state before it differs from the live run's. An earlier action is not deterministic (it drew the place's key from something outside this._clock, say), or the code changed since the record was written: open the directory with the code that wrote it, call takeSnapshot(), and deploy the change after that (README, "Changing the domain code"). strictReplay: false opens anyway, without this action`;
      if (this.strict) throw new PrevalenceError('REPLAY_DIVERGED', message, { cause: err });
      this.warn(message);
      return undefined;
    }
  }

  /** REPLAY_DIVERGED (or a warning) when the replayed run ended otherwise than the live one. */
  #check(rec: JournalRecord, out: ActionOutcome, method: DomainMethod): void {
    if (rec.threw && out.threw && hasFlag(method, 'abortOnException')) {
      // A live call of an @abortOnException method that throws is rolled back
      // and never journaled: code where the method was a plain action wrote
      // this record, and kept the changes it made before throwing.
      const message = `action ${rec.seq} (${rec.method}) threw in the live run and kept the changes it made before throwing, but ${rec.method} is @abortOnException now, so its replay undoes them: code where it was not @abortOnException wrote the record. Open the directory with the code that wrote it, call takeSnapshot(), and deploy the change after that (README, "Changing the domain code"). strictReplay: false opens anyway, with this action undone as the current code runs it, which differs from the live run`;
      if (this.strict) throw new PrevalenceError('REPLAY_DIVERGED', message, { cause: out.error });
      this.warn(message);
      return;
    }
    if (out.threw !== rec.threw) {
      const how = rec.threw
        ? 'threw in the live run but completed in replay'
        : `completed in the live run but threw in replay (${thrownText(out.error)})`;
      const message = `action ${rec.seq} (${rec.method}) ${how}: the method is not deterministic, or its code changed since the record was written. If you changed the code, open the directory with the code that wrote it, call takeSnapshot(), and deploy the change after that (README, "Changing the domain code"); otherwise run verifyReplay() to find where. strictReplay: false opens anyway, with this action as the current code runs it, which differs from the live run`;
      if (this.strict) throw new PrevalenceError('REPLAY_DIVERGED', message, { cause: out.error });
      this.warn(message);
    }
  }

  #methodNamed(name: string): DomainMethod {
    let method = this.#methods.get(name);
    if (method === undefined) {
      const value = prototypeMethod(this.root, name);
      if (typeof value !== 'function' || hasFlag(value, 'readonly')) {
        throw new PrevalenceError(
          'UNKNOWN_METHOD',
          `the journal holds a call of ${this.rootClass}.${name}, which is no longer an action method of the class${typeof value === 'function' ? ' (it is @readonly now)' : ''}; open the directory with the code that wrote the journal, call takeSnapshot() and close it, then deploy the new code (or restore the method)`,
        );
      }
      method = value as DomainMethod;
      this.#methods.set(name, method);
    }
    return method;
  }
}

/** What a replayed action threw, in a few words for the message that says it diverged. */
function thrownText(err: unknown): string {
  try {
    const text = err instanceof Error ? String(err.message) : String(err);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    // The program's own thrown value (a revoked Proxy, a throwing getter) need not be printable.
    return 'a value that cannot be shown';
  }
}

/** A malformed-value JOURNAL_CORRUPT from decoding the arguments of `rec`, saying which record it is. */
function namingRecord(rec: JournalRecord, err: PrevalenceError): PrevalenceError {
  const detail = err.message.replace(/^JOURNAL_CORRUPT: /, '');
  const said = /^a journal record /.test(detail)
    ? detail.replace(/^a journal record /, ' ')
    : `: ${detail}`;
  return new PrevalenceError(
    'JOURNAL_CORRUPT',
    `journal record ${rec.seq} (${rec.method})${said}`,
    {
      cause: err,
    },
  );
}

/**
 * The refusal of a record a newer prevalent wrote: what its version changed
 * is unknown here, so replaying it could diverge. Not damage: nothing is cut.
 */
function newerRecord(rec: JournalRecord): PrevalenceError {
  return new PrevalenceError(
    'JOURNAL_CORRUPT',
    `journal record ${rec.seq} (${rec.method}) has ${Number.isNaN(rec.version) ? 'a record version that is not a positive integer' : `record version ${rec.version}`}, which this prevalent does not know (it reads versions 1 to ${RECORD_VERSION}): a newer prevalent wrote it, or the record was changed by hand; open the directory with the version that wrote it. Nothing was changed`,
  );
}

/**
 * The method `name` of `root`'s class, found on its prototype chain past any
 * own property of that name: the system object calls the class's method, so
 * a property an action wrote under the name of an action (`this[key] = v`
 * with a key from a request) does not hide it from a replay either.
 */
function prototypeMethod(root: object, name: string): unknown {
  // Not Object.prototype's: `isPrototypeOf` is no action of the class, as the system object says
  // (a record of a removed action of that name replayed the built-in, and dropped the action).
  for (
    let o = Object.getPrototypeOf(root) as object | null;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    const desc = Reflect.getOwnPropertyDescriptor(o, name);
    if (desc !== undefined) return desc.value;
  }
  return undefined;
}
