import { DateTime } from 'luxon';
import type { DeepReadonly } from '../../lib/isolation/types';
import type {
  AnyMethod,
  PrevalentMutable,
  PrevalenceErrorCode,
  ReadonlyObject,
  ViewOrValue,
} from '../../lib';
import { PrevalenceError, isPrevalenceError } from '../../lib';
import { rootView } from '../../lib/isolation/views';
import { expectCode } from './helpers';

/*
 * Compile-time checks: tsc (npx tsc -p tsconfig.json) type-checks spec files,
 * and every `@ts-expect-error` below fails the type check if the line after
 * it compiles. The runtime test only makes sure the same mutations also
 * throw at run time.
 *
 * Where the precise type fights common use (see DeepReadonly's doc comment):
 * a view is not assignable to the mutable type (an action parameter typed
 * `Item` will not take `DeepReadonly<Item>` when Item holds arrays, Maps,
 * Sets or Dates). `new Date(view)` compiles (an overload of prevalent's).
 */

class Item {
  tags: string[] = [];
  constructor(public name: string) {}
  rename(n: string): void {
    this.name = n;
  }
}

interface State {
  count: number;
  label: string | undefined;
  items: Item[];
  byId: Map<number, Item>;
  seen: Set<string>;
  when: Date;
  at: DateTime;
  bytes: Uint8Array;
  buf: Buffer;
  nested: { deep: { value: number }; pair: [number, string] };
  greet: (name: string) => string;
}

function mutations(s: DeepReadonly<State>): void {
  // @ts-expect-error read-only property
  s.count = 1;
  // @ts-expect-error read-only nested property
  s.nested.deep.value = 2;
  // @ts-expect-error read-only array element
  s.items[0] = new Item('x');
  // @ts-expect-error no push on ReadonlyArray
  s.items.push(new Item('x'));
  // @ts-expect-error no sort on ReadonlyArray
  s.items.sort();
  // @ts-expect-error read-only property of an array element (class instance)
  s.items[0]!.name = 'x';
  // @ts-expect-error elements of nested arrays are read-only too
  s.items[0]!.tags.push('t');
  // @ts-expect-error no set on ReadonlyMap
  s.byId.set(1, new Item('x'));
  // @ts-expect-error values of a ReadonlyMap are deeply read-only
  s.byId.get(1)!.name = 'x';
  // @ts-expect-error no add on ReadonlySet
  s.seen.add('x');
  // @ts-expect-error no delete on ReadonlySet
  s.seen.delete('x');
  // @ts-expect-error Date setters are gone
  s.when.setTime(0);
  // @ts-expect-error typed-array elements are read-only
  s.bytes[0] = 1;
  // @ts-expect-error typed-array mutators are gone
  s.bytes.fill(0);
  // @ts-expect-error Buffer write methods are gone
  s.buf.write('x');
  // @ts-expect-error tuple elements are read-only
  s.nested.pair[0] = 1;
  // @ts-expect-error a view is not assignable to the mutable type (the common-use friction)
  const item: Item = s.items[0]!;
  // @ts-expect-error a Date's view is not a mutable Date (its setters are gone)
  const date: Date = s.when;
  void item;
  void date;
}

function reads(s: DeepReadonly<State>): unknown[] {
  // Everything that only reads still compiles with precise types.
  const n: number = s.count;
  const label: string | undefined = s.label;
  const names: string[] = s.items.map((i) => i.name);
  const first = s.byId.get(1)?.name;
  const has: boolean = s.seen.has('x');
  const time: number = s.when.getTime();
  const at: DateTime = s.at; // DateTime passes through unchanged
  const year: number = s.at.year;
  const byte: number | undefined = s.bytes[0];
  const text: string = s.buf.toString('utf8');
  const greeting: string = s.greet('ann');
  s.items[0]?.rename('methods stay callable (at run time a view refuses the write)');
  return [
    n,
    label,
    names,
    first,
    has,
    time,
    at,
    year,
    byte,
    text,
    greeting,
    new Date(s.when.getTime()),
    new Date(s.when),
  ];
}

// Regressions from a typing review: tuples collapsed to arrays of the union
// of their element types, `unknown` became `{}`, and promises, generators and
// iterators handed out mutable values.
function precise(
  pair: DeepReadonly<[string, number]>,
  extra: DeepReadonly<{ extra: unknown }>,
  later: DeepReadonly<Promise<Item>>,
  each: DeepReadonly<Generator<Item, void, undefined>>,
  iter: DeepReadonly<IterableIterator<Item>>,
): void {
  const [id, count] = pair;
  const upper: string = id.toUpperCase();
  const fixed: string = count.toFixed(0);
  // @ts-expect-error tuple elements stay read-only
  pair[0] = 'x';
  // @ts-expect-error unknown stays unknown (it was {}, so this compiled)
  extra.extra.toString();
  void later.then((item) => {
    // @ts-expect-error a promised value is read-only
    item.name = 'x';
  });
  for (const item of each) {
    // @ts-expect-error generated values are read-only
    item.tags.push('t');
  }
  for (const item of iter) {
    // @ts-expect-error iterated values are read-only
    item.name = 'x';
  }
  void upper;
  void fixed;
}
void precise;

// Regression from a review: any class shaped like an iterator or a promise
// became IterableIterator<…> or Promise<…> and lost its own members.
class Cursor implements IterableIterator<number> {
  pos = 0;
  next(): IteratorResult<number> {
    return { done: true, value: undefined };
  }
  [Symbol.iterator](): this {
    return this;
  }
}
class Job {
  then = 1;
  catch = 2;
  finally = 3;
  owner = 'ann';
}
function shapes(
  c: DeepReadonly<Cursor>,
  j: DeepReadonly<Job>,
  d: DeepReadonly<DateTime<true>>,
): number {
  // @ts-expect-error the cursor's own fields stay read-only
  c.pos = 1;
  const valid: DateTime<true> = d;
  void valid;
  return c.pos + j.then + j.owner.length;
}
void shapes;

class User {
  roles: string[] = [];
  constructor(public id: string) {}
  sameAs(o: User): boolean {
    return o.id === this.id;
  }
}

class Repo {
  items = new Map<string, User>();
  get(id: string): User | undefined {
    return this.items.get(id);
  }
  all(): Iterable<User> {
    return this.items.values();
  }
}

// Regression (typing review): a nested object's methods kept their plain signatures, so what
// they returned was typed mutable, and a view's own method refused a view argument.
function nestedMethods(r: DeepReadonly<{ users: Repo }>): number {
  const a = r.users.get('a')!;
  // @ts-expect-error what a nested object's method returns is read-only too
  a.roles.push('admin');
  for (const u of r.users.all()) {
    // @ts-expect-error so is what an iterable such a method returns yields
    u.id = 'x';
  }
  const v = r.users.items.get('a')!;
  return v.sameAs(v) ? 1 : 0; // a view's own method takes a view
}
void nestedMethods;

// Regression (typing review): a method through a view accepts views, and its parameters were
// compared one way only, so a plain instance was not assignable to its own view type: a helper
// typed DeepReadonly<User> (what the README advises) refused a new User, and an array mixing
// views and new instances matched no argument type.
function plainAsView(view: DeepReadonly<User>, takesBoth: (us: readonly User[]) => void): void {
  const fresh = new User('b');
  const asView: DeepReadonly<User> = fresh;
  const mixed: ReadonlyArray<DeepReadonly<User>> = [view, fresh];
  const repo: DeepReadonly<Repo> = new Repo();
  void (asView.sameAs(view) && mixed.length && repo);
  const callThroughView = view.sameAs;
  // @ts-expect-error the widened parameters still check what a call passes
  callThroughView(42);
  // @ts-expect-error and a view is still not a plain instance
  takesBoth([view]);
}
void plainAsView;

// Regression (typing review): with 'clone' or 'none' an assignment to the system object's own
// field compiled, and DIRECT_MUTATION refused it at run time.
function mutableTop(c: PrevalentMutable<{ n: number; list: number[] }>): void {
  // @ts-expect-error the system object refuses assignments in every isolation mode
  c.n = 5;
  c.list.push(1); // 'none' hands out live references: the type says so
}
void mutableTop;

describe('DeepReadonly', () => {
  it('matches what views refuse at run time', () => {
    const raw: State = {
      count: 0,
      label: undefined,
      items: [new Item('a')],
      byId: new Map([[1, new Item('b')]]),
      seen: new Set(['s']),
      when: new Date(1234),
      at: DateTime.fromMillis(0),
      bytes: new Uint8Array(2),
      buf: Buffer.from('ab'),
      nested: { deep: { value: 1 }, pair: [1, 'one'] },
      greet: (name) => `hi ${name}`,
    };
    const view = rootView(raw) as DeepReadonly<State>;
    expectCode(() => mutations(view), 'READONLY_VIOLATION');
    expectCode(() => reads(view), 'READONLY_VIOLATION'); // the final rename() call
    const read = reads(rootView({ ...raw, items: [] }) as DeepReadonly<State>);
    expect(read).toHaveLength(13);
    // new Date(view), which compiles through prevalent's DateConstructor overload, keeps the milliseconds.
    expect((read[12] as Date).getTime()).toBe(1234);
  });
});

describe('the public type names', () => {
  it('exports AnyMethod, which a generic field of a view is typed with (regression (types review): a package emitting declarations for `<T>(b: Prevalent<Box<T>>) => b.value` failed with TS2742, the inferred type naming a module the package exports do not reach)', () => {
    const method: AnyMethod = (n: number) => n + 1;
    expect(method(1)).toBe(2);
  });

  it('exports the names hovers and errors show, and narrows a PrevalenceError to its code (regression (types review): ReadonlyObject and ViewOrValue could not be imported; isPrevalenceError left code a union)', () => {
    const page: ReadonlyObject<Item> = rootView(new Item('p')) as ReadonlyObject<Item>;
    const arg: ViewOrValue<Item> = page as DeepReadonly<Item>;
    expect(arg).toBe(page);
    const err: unknown = new PrevalenceError('CLOSED', 'closed');
    if (isPrevalenceError(err, 'CLOSED')) {
      const code: 'CLOSED' = err.code;
      expect(code).toBe('CLOSED');
      // @ts-expect-error narrowed to the code asked for
      const other: 'LOCKED' = err.code;
      expect(other).toBe('CLOSED');
    }
    if (isPrevalenceError(err)) {
      const code: PrevalenceErrorCode = err.code;
      expect(code).toBe('CLOSED');
    }
  });
});
