import { refusePrivateMembers } from '../../lib/clock/private-members';
import { PrevalenceError } from '../../lib/errors';

type AnyClass = abstract new (...args: never[]) => unknown;

const ADVICE =
  "#private members are not stored by snapshots and do not work on the proxy that `this` is inside actions and queries; use TypeScript's `private` modifier or a module-level function instead";

function errorOf(cls: AnyClass): PrevalenceError {
  try {
    refusePrivateMembers(cls);
  } catch (err) {
    if (err instanceof PrevalenceError) return err;
    throw err;
  }
  throw new Error(`${cls.name} passed`);
}

/** A class made from source text, as another compiler would have emitted it. */
function compiled(source: string): AnyClass {
  return new Function(`return ${source}`)() as AnyClass;
}

// Regression: a class with #private members opened fine and then failed with a
// bare "TypeError: Receiver must be an instance of class ..." inside actions,
// and lost the members on restore.
describe('refusePrivateMembers: classes with #private members', () => {
  it('names the class and the #private field, with the code NOT_SERIALIZABLE', () => {
    class Wallet {
      #balance = 0;
      deposit(n: number) {
        this.#balance += n;
        return this.#balance;
      }
    }
    const err = errorOf(Wallet);
    expect(err.code).toBe('NOT_SERIALIZABLE');
    expect(err.message).toBe(
      `NOT_SERIALIZABLE: class Wallet declares the #private field #balance: ${ADVICE}`,
    );
  });

  it('names an auto-accessor by what was written, not by the field TypeScript compiles it to (regression: the message named #title_accessor_storage)', () => {
    // What tsc emits for `accessor title = ''` at an ES2022 target.
    class Page {
      #title_accessor_storage = '';
      get title() {
        return this.#title_accessor_storage;
      }
      set title(value: string) {
        this.#title_accessor_storage = value;
      }
    }
    expect(errorOf(Page).message).toBe(
      `NOT_SERIALIZABLE: class Page declares the auto-accessor \`accessor title\` (compiled to the #private field #title_accessor_storage; declare a plain field \`title\` instead): ${ADVICE}`,
    );
  });

  it.each([
    [
      'a #private method',
      class Method {
        n = 0;
        #bump() {
          this.n++;
        }
        run() {
          this.#bump();
        }
      },
      'class Method declares the #private method #bump',
    ],
    [
      'a #private getter',
      class Getter {
        n = 0;
        get #double() {
          return this.n * 2;
        }
        read() {
          return this.#double;
        }
      },
      'class Getter declares the #private getter #double',
    ],
    [
      'a static #private field',
      class Counter {
        static #made = 0;
        n = ++Counter.#made;
      },
      'class Counter declares the static #private field #made',
    ],
    [
      'a #private member used before it is declared',
      class Late {
        read() {
          return this.#n;
        }
        #n = 1;
      },
      'class Late uses the #private member #n (in this.#n)',
    ],
  ])('refuses %s', (_what, cls, expected) => {
    expect(errorOf(cls).message).toContain(`NOT_SERIALIZABLE: ${expected}: ${ADVICE}`);
  });

  it('refuses a brand check `#x in o`', () => {
    class Branded {
      static is(o: object) {
        return #tag in o;
      }
      #tag = 1;
    }
    expect(errorOf(Branded).message).toContain(
      'class Branded uses the #private member #tag (in #tag in o)',
    );
  });

  it('refuses #private members of a superclass, naming both classes', () => {
    class Base {
      #id = 1;
      id() {
        return this.#id;
      }
    }
    class Middle extends Base {}
    class Leaf extends Middle {
      name = 'leaf';
    }
    expect(errorOf(Leaf).message).toContain(
      'NOT_SERIALIZABLE: class Leaf extends Base, which declares the #private field #id:',
    );
  });

  it.each([
    [
      'TypeScript',
      'class Old { get() { return __classPrivateFieldGet(this, _Old_n, "f"); } }',
      'class Old uses a #private member, compiled to __classPrivateFieldGet(this, _Old_n, "f")',
    ],
    [
      'TypeScript with tslib',
      'class Lib { has(o) { return tslib_1.__classPrivateFieldIn(_Lib_n, o); } }',
      'class Lib uses a #private member, compiled to tslib_1.__classPrivateFieldIn(_Lib_n, o)',
    ],
    [
      'esbuild',
      'class Es { constructor() { __privateAdd(this, _n, 0); } }',
      'class Es uses a #private member, compiled to __privateAdd(this, _n, 0)',
    ],
    [
      'Babel with its runtime',
      'class Bab { get() { return (0, _classPrivateFieldGet2.default)(_n, this); } }',
      'class Bab uses a #private member, compiled to (0, _classPrivateFieldGet2.default)(_n, this)',
    ],
  ])('refuses #private members compiled by %s', (_compiler, source, expected) => {
    expect(errorOf(compiled(source)).message).toContain(`NOT_SERIALIZABLE: ${expected}: `);
  });
});

describe('refusePrivateMembers: classes without #private members', () => {
  it('accepts ordinary classes, TypeScript `private`, and # in strings and comments', () => {
    class Plain {
      private count = 0;
      tag = '#not-private';
      // this.#count would be refused
      bump() {
        this.count++;
        return `#${this.count}`;
      }
    }
    class Derived extends Plain {}
    expect(() => refusePrivateMembers(Plain)).not.toThrow();
    expect(() => refusePrivateMembers(Derived)).not.toThrow();
  });

  it('accepts native and built-in superclasses and ignores nested classes', () => {
    class Named extends Map<string, number> {
      helper() {
        return class Inner {
          #own = 1;
          own() {
            return this.#own;
          }
        };
      }
    }
    expect(() => refusePrivateMembers(Named)).not.toThrow();
    expect(() => refusePrivateMembers(Date)).not.toThrow();
  });
});
