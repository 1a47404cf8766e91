import type { DateTime } from 'luxon';

// Without luxon's type declarations DateTime is an unresolved `any`, which
// every type would extend, making every view mutable: a type that any object
// with toMillis() extends is taken as never, so the rest still holds. (The
// usual `0 extends 1 & T` test for any does not see an unresolved import.)
type Millis = { toMillis(): number };
export type LuxonDateTime = [DateTime] extends [Millis]
  ? Millis extends DateTime
    ? never
    : DateTime
  : never;

type Primitive = string | number | boolean | bigint | symbol | undefined | null;
type AnyFunction = (...args: any[]) => unknown;

type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayMutator =
  'fill' | 'set' | 'copyWithin' | 'reverse' | 'sort' | `write${string}` | `swap${string}`;

/** A Date without its setters (what a read-only view of a Date allows). */
export type ReadonlyDate = Omit<Date, `set${string}`>;

declare global {
  interface DateConstructor {
    /**
     * A copy of a read-only view of a Date: a view is a Date of its own at
     * run time, so the copy keeps the milliseconds (prevalent's overload:
     * ReadonlyDate, having no setters, is not a Date to the other ones).
     */
    new (value: ReadonlyDate): Date;
  }
}

/** A typed array (or Buffer) without its mutators and with read-only elements. */
export type ReadonlyTypedArray<T extends TypedArray> = Omit<T, TypedArrayMutator | number> & {
  readonly [index: number]: T extends BigInt64Array | BigUint64Array ? bigint : number;
};

/**
 * The type of a read-only view of a `T`, in the manner of immer's
 * `Immutable<T>`: primitives, functions, `unknown` and luxon DateTimes as
 * they are; arrays (tuples keep their element types), Maps and Sets become
 * their read-only interfaces; Dates and typed arrays lose their mutators;
 * promises, generators and iterators give read-only values; every other
 * object gets read-only properties, all the way down.
 *
 * Where it fights common use:
 * - a view is not assignable to the mutable type: passing a view to a
 *   function of your own declared `(item: Item)` needs the parameter typed
 *   `DeepReadonly<Item>` (or a cast) when Item holds arrays, Maps, Sets or
 *   Dates, or has private members (mapped types drop those); the system
 *   object's methods and a view's own methods take views (ReadonlyMethod);
 * - typed-array methods such as `subarray` are still typed as returning a
 *   mutable array (at run time the result is a view and writes throw).
 */
export type DeepReadonly<T> = unknown extends T
  ? T
  : T extends Primitive | AnyFunction
    ? T
    : T extends LuxonDateTime
      ? T
      : T extends ReadonlyMap<infer K, infer V>
        ? ReadonlyMap<DeepReadonly<K>, DeepReadonly<V>>
        : T extends ReadonlySet<infer E>
          ? ReadonlySet<DeepReadonly<E>>
          : T extends ReadonlyArray<unknown>
            ? ReadonlyElements<T>
            : T extends Date
              ? ReadonlyDate
              : T extends TypedArray
                ? ReadonlyTypedArray<T>
                : T extends Promise<infer U>
                  ? OnlyMembersOf<T, Promise<U>, Promise<DeepReadonly<U>>>
                  : T extends Generator<infer Y, infer R, infer N>
                    ? OnlyMembersOf<
                        T,
                        Generator<Y, R, N>,
                        Generator<DeepReadonly<Y>, DeepReadonly<R>, N>
                      >
                    : T extends IterableIterator<infer Y>
                      ? OnlyMembersOf<T, IterableIterator<Y>, IterableIterator<DeepReadonly<Y>>>
                      : ReadonlyObject<T>;

/**
 * An array's or tuple's elements read-only, each a DeepReadonly (not through
 * ReadonlyObject's method test, which TypeScript cannot resolve for an element
 * of a type parameter's type: `DeepReadonly<T[]>` held no `DeepReadonly<T>`).
 */
export type ReadonlyElements<T extends ReadonlyArray<unknown>> = {
  readonly [K in keyof T]: DeepReadonly<T[K]>;
};

/**
 * An object's members read-only; its methods (a class instance's, an
 * iterable's `[Symbol.iterator]`) return read-only views too and accept
 * views, as the system object's own methods do (see ReadonlyMethod).
 */
export type ReadonlyObject<T> = {
  readonly [K in keyof T]: T[K] extends AnyMethod ? ReadonlyMethod<T[K]> : DeepReadonly<T[K]>;
};

export type AnyMethod = (...args: any[]) => any;

/** An argument may be the plain type the method declares, or a read-only view of one. */
export type ViewOrValue<A> = A | DeepReadonly<A>;

/**
 * A method as callers see it through a view: views accepted, a read-only view
 * returned. Declared in method syntax (`{ m(...): R }['m']`), whose parameters
 * TypeScript compares both ways, as it does for the class's own methods: with
 * a function type, widening the parameters to accept views made a plain
 * instance no longer assignable to its own view type (`const v:
 * DeepReadonly<Page> = new Page(…)`, a helper typed `DeepReadonly<Page>`
 * called with a plain page, an array mixing views and new instances).
 */
export type ReadonlyMethod<F> = F extends (...args: infer A) => infer R
  ? { method(...args: { [I in keyof A]: ViewOrValue<A[I]> }): DeepReadonly<R> }['method']
  : never;

/**
 * `Deep` when T has no members beyond those of the interface `Shape` it
 * matches (a promise, a generator): a class of the domain that also happens
 * to be iterable keeps its own members, read-only.
 */
type OnlyMembersOf<T, Shape, Deep> = [Exclude<keyof T, keyof Shape>] extends [never]
  ? Deep
  : ReadonlyObject<T>;
