// An action that throws a value the library cannot look at (a revoked
// Proxy) gave its caller the library's own TypeError ("Cannot perform
// 'getPrototypeOf' on a proxy that has been revoked") instead of what the
// action threw, though its record was journaled: the caller took the call
// for failed inside the library, and a retry made the action twice. A
// result the library cannot hand out is told as "ran and was journaled";
// a throw it cannot look at passes as the method threw it, as documented
// for the views it would swap in ("the action's own error stands").
import { abortOnException, initSystem, isPrevalenceError, readonly } from '../../lib';
import { freshBasedir } from '../support/tmp';
import { closedAfterEach } from '../support/opened';
import { thrownBy } from '../support/errors';

const revoked = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};

class Orders {
  orders: string[] = [];
  place(id: string): never {
    this.orders.push(id);
    throw revoked();
  }
  @abortOnException
  placeOrUndo(id: string): never {
    this.orders.push(id);
    throw revoked();
  }
  @readonly
  check(): never {
    throw revoked();
  }
}

/** Whether `value` is a revoked Proxy (looking at it throws). */
function isRevoked(value: unknown): boolean {
  try {
    Object.getPrototypeOf(value);
    return false;
  } catch (err) {
    return err instanceof TypeError && /revoked/.test(err.message);
  }
}

describe('an action that throws a value the library cannot look at', () => {
  const opened = closedAfterEach();
  it.each(['readonly', 'clone', 'none'] as const)(
    'reaches the caller as the method threw it, journaled or rolled back as any throw (isolation %s)',
    async (isolation) => {
      const dir = freshBasedir();
      const sys = opened(initSystem(Orders, { basedir: dir, isolation }));
      expect(isRevoked(thrownBy(() => sys.place('o1')))).toBe(true);
      expect(isRevoked(thrownBy(() => sys.placeOrUndo('o2')))).toBe(true);
      expect(isRevoked(thrownBy(() => sys.check()))).toBe(true);
      expect([...sys.orders]).toEqual(['o1']);
      // The program's own catch asks the same: no error of ours, not a TypeError.
      expect(isPrevalenceError(revoked())).toBe(false);
      await sys.close();
      const again = opened(initSystem(Orders, { basedir: dir, isolation }));
      expect([...again.orders]).toEqual(['o1']);
    },
  );
});
