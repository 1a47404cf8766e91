import { PrevalenceError } from '../errors';
import { CRYPTO_FUNCTIONS } from './forbidden';
import {
  findOutsideWrite,
  findOutsideWriteInConstruction,
  type OutsideWrite,
} from './outside-writes';
import { scanClassConstruction, scanFunctionSource, type Finding } from './scan';
import { calleesOf, type Callee } from './callees';

// Domain classes and their methods come in any shape; `Function` says exactly that.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type AnyFunction = Function;

/** A function-valued own data property found on a prototype of a domain class. */
interface Method {
  readonly name: string;
  readonly fn: AnyFunction;
  readonly owner: object;
  /** Keyed by a symbol: such a method always runs as a query (the journal names actions by string). */
  readonly symbolic: boolean;
}

// initSystem may run often with the same class; a class that passed once
// passes again, so only successes are remembered.
const validatedClasses = new WeakSet<AnyFunction>();
// Base-class methods are shared by every subclass; scan each source once.
const findingsByFunction = new WeakMap<AnyFunction, Finding | null>();

const ADVICE =
  'a replayed action would see a different value; use this._clock.now() ' +
  '(or this._clock.random()/uuid()) instead, or mark the method @readonly if it changes nothing ' +
  'and no action calls it (a query an action calls is part of the action: initSystem warns about it)';

/**
 * Checks that the action methods of a domain class can be replayed: none is
 * async or a generator (whose body would run when its result is iterated,
 * after the action ended), and none reads time or randomness other than through `this._clock`
 * (`Date.now()`, `new Date()`, `Math.random()`, `performance.now()`, crypto's
 * random functions, luxon's `DateTime.now()` and argument-less
 * `DateTime.local()`/`DateTime.utc()`, whether called or merely referenced).
 * luxon's, `performance`'s and crypto's functions are recognised through any
 * object (`lx.DateTime.now()` after `import * as lx from 'luxon'`,
 * `require('luxon').DateTime.now()`, `perf_hooks.performance.now()`,
 * `nc.randomBytes()`, `x.crypto.randomUUID()`); other `.now()` calls, such as
 * `this._clock.now()`, are not.
 *
 * Only the method's own source is read, so aliases are not followed: after
 * `const { DateTime: DT } = require('luxon')` (at module level or in the
 * method) `DT.now()` passes, as does `uuid()` after a module-level
 * `const uuid = crypto.randomUUID`. Crypto's random functions called by name
 * are refused on any object (`c.randomUUID()`).
 *
 * Every function-valued own data property and every setter of every
 * prototype from `cls.prototype` up to `Object.prototype` is checked, except
 * `constructor`, getters and the methods `isExempt` accepts (the `@readonly`
 * ones). Static methods, getters, the methods of other classes and plain
 * functions an action calls are not: they may serve queries, where reading
 * the time is fine (calleeWarnings warns about the ones an action names
 * itself; verifyReplay finds what slips through).
 * Sources that cannot be parsed (native code) are skipped. Throws a
 * `NONDETERMINISTIC_METHOD` {@link PrevalenceError} for the first offending
 * method, naming the class, the method and the offending code. A class that
 * passed is not checked again, even with a different `isExempt`.
 */
export function validateDomainClass(
  cls: AnyFunction,
  isExempt: (methodName: string, fn: AnyFunction) => boolean,
): void {
  if (validatedClasses.has(cls)) return;
  for (const method of methodsOf(cls)) {
    if (isExempt(method.name, method.fn)) continue;
    refuseFinding(cls, method);
  }
  validatedClasses.add(cls);
}

/**
 * Checks one action method the way validateDomainClass does: for a method
 * added to the class after the class was checked. `owner` is the prototype
 * that holds it.
 */
export function validateActionMethod(
  cls: AnyFunction,
  name: string,
  fn: AnyFunction,
  owner: object,
): void {
  refuseFinding(cls, { name, fn, owner, symbolic: false });
}

/** Throws NONDETERMINISTIC_METHOD when `method` is a generator (string-keyed) or reads time or randomness. */
function refuseFinding(cls: AnyFunction, method: Method): void {
  const finding = (method.symbolic ? undefined : generatorOf(method.fn)) ?? findingOf(method.fn);
  if (finding !== undefined) throw nondeterministic(cls, method, finding);
}

function methodsOf(cls: AnyFunction): Method[] {
  const prototype: unknown = cls.prototype;
  if (typeof prototype !== 'object' || prototype === null) {
    throw new PrevalenceError(
      'INVALID_OPTION',
      `${cls.name || 'the given function'} has no prototype object, so it is not a class; ` +
        'pass the domain class itself',
    );
  }
  const methods: Method[] = [];
  let owner: object | null = prototype;
  while (owner !== null && owner !== Object.prototype) {
    methods.push(...ownMethods(owner));
    owner = Object.getPrototypeOf(owner) as object | null;
  }
  return methods;
}

function ownMethods(owner: object): Method[] {
  const methods: Method[] = [];
  for (const key of Reflect.ownKeys(owner)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(owner, key);
    const value: unknown = descriptor?.value;
    if (typeof value === 'function') {
      methods.push({ name: keyName(key), fn: value, owner, symbolic: typeof key === 'symbol' });
    }
    // A setter runs only when an action assigns the property (views refuse
    // writes), so it is part of that action; a getter may serve queries too.
    const setter: unknown = descriptor?.set;
    if (typeof setter === 'function') {
      methods.push({ name: `${keyName(key)} (setter)`, fn: setter, owner, symbolic: false });
    }
  }
  return methods;
}

function keyName(key: string | symbol): string {
  return typeof key === 'string' ? key : `[${key.description ?? ''}]`;
}

function findingOf(fn: AnyFunction): Finding | undefined {
  let finding = findingsByFunction.get(fn);
  if (finding === undefined) {
    const source = Function.prototype.toString.call(fn);
    // A class kept on the prototype cannot be called as an action (it needs `new`): its methods are its own.
    finding = /^class[\s{]/.test(source)
      ? null
      : (nativeAsync(fn) ?? scanFunctionSource(source) ?? null);
    findingsByFunction.set(fn, finding);
  }
  return finding ?? undefined;
}

/** A generator action method (async generators are refused as async). */
function generatorOf(fn: AnyFunction): Finding | undefined {
  if (Object.prototype.toString.call(fn) !== '[object GeneratorFunction]') return undefined;
  return { kind: 'generator', text: 'function*', target: 'function*' };
}

function nativeAsync(fn: AnyFunction): Finding | undefined {
  const tag = Object.prototype.toString.call(fn);
  if (tag !== '[object AsyncFunction]' && tag !== '[object AsyncGeneratorFunction]') {
    return undefined;
  }
  return { kind: 'async', text: 'async', target: 'async' };
}

function nondeterministic(cls: AnyFunction, method: Method, finding: Finding): PrevalenceError {
  return new PrevalenceError(
    'NONDETERMINISTIC_METHOD',
    `${methodLabel(cls, method)} ${problem(finding)}`,
  );
}

function methodLabel(cls: AnyFunction, method: Method): string {
  const className = cls.name || '(anonymous class)';
  if (method.owner === cls.prototype) return `${className}.${method.name}`;
  const ownerName = ownerClassName(method.owner) ?? '(base class)';
  const override = overriding(cls, method);
  if (override !== undefined) {
    const by = ownerClassName(override) ?? '(a subclass)';
    return `${ownerName}.${method.name} (overridden in ${by}, but still code an action can run, as super.${method.name}() in ${by}'s methods; fix or remove the base class's method)`;
  }
  return `${ownerName}.${method.name} (inherited by ${className})`;
}

/**
 * The prototype nearest the owner of `method`, between it and `cls`, that
 * defines a member of the same name (whose methods reach the owner's as
 * `super`), or undefined.
 */
function overriding(cls: AnyFunction, method: Method): object | undefined {
  let nearest: object | undefined;
  for (
    let proto = cls.prototype as object | null;
    proto !== null && proto !== method.owner;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    if (Object.prototype.hasOwnProperty.call(proto, method.name)) nearest = proto;
  }
  return nearest;
}

function ownerClassName(owner: object): string | undefined {
  const ctor: unknown = Object.getOwnPropertyDescriptor(owner, 'constructor')?.value;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : undefined;
}

const BY_NAME: ReadonlySet<string> = new Set([...CRYPTO_FUNCTIONS, 'hrtime']);

/**
 * For a function called by one of crypto's or process's names without its
 * module in sight (`randomInt(…)`, `(0, rng_1.randomInt)(…)`): the check
 * goes by the name, so a deterministic function of the program's own that
 * is named so is refused too.
 */
function byNameOnly(finding: Finding): string {
  const last = finding.target.split('.').at(-1) ?? '';
  if (!BY_NAME.has(last) || /crypto|process/i.test(finding.text)) return '';
  return ` (the check goes by the name: if ${last} is a deterministic function of your own, rename it)`;
}

/** Forbidden names that are values, not functions: reading them is the problem. */
const TIME_PROPERTIES = new Set(['performance.timeOrigin']);

function problem(finding: Finding): string {
  const resolved = finding.text.includes(finding.target) ? '' : ` (${finding.target})`;
  switch (finding.kind) {
    case 'async':
      return (
        `is async${finding.text === 'async' ? '' : ` (compiled to ${finding.text})`}: ` +
        'replay runs actions ' +
        'synchronously, so whatever runs after an await would happen outside the action and ' +
        'never be journaled; make it synchronous or mark it @readonly if it changes nothing'
      );
    case 'generator':
      return (
        'is a generator: its body runs only as the result is iterated, after the action has ' +
        'ended, where its changes could not be journaled; return an array instead, or mark it ' +
        '@readonly if it changes nothing'
      );
    case 'call':
      return `calls ${finding.text}${resolved}: ${ADVICE}${byNameOnly(finding)}`;
    case 'reference':
      if (TIME_PROPERTIES.has(finding.target)) {
        return `reads ${finding.text}${resolved}, the time this process started: ${ADVICE}`;
      }
      return (
        `refers to ${finding.text}${resolved} without calling it, so an alias could call it ` +
        `out of sight: ${ADVICE}`
      );
  }
}

// What scanClassConstruction found in each class's own source (a base class is scanned once for all its subclasses).
const constructionFindings = new WeakMap<AnyFunction, Finding | null>();

/**
 * The warning for a stored class whose constructor or instance field
 * initialisers (its own or a base class's) read time or randomness, else
 * undefined. Not a refusal: such a class is fine when it is constructed
 * outside actions and passed in as an argument (arguments are stored as
 * copies, whose constructor does not run), but an action that constructs it
 * gets a different value when a restart replays it.
 */
export function constructionWarning(cls: AnyFunction): string | undefined {
  const found = inClassChain(cls, constructionFindings, scanClassConstruction);
  return found && constructionMessage(cls, found.owner, found.finding);
}

/**
 * What `scan` finds in the source of `cls` or of the nearest base class
 * (constructor function) where it finds anything, with that class; each
 * class's own source is scanned once, its answer kept in `found`.
 */
function inClassChain<T>(
  cls: AnyFunction,
  found: WeakMap<AnyFunction, T | null>,
  scan: (source: string) => T | undefined,
): { owner: AnyFunction; finding: T } | undefined {
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype;) {
    let finding = found.get(c);
    if (finding === undefined) {
      finding = scan(Function.prototype.toString.call(c)) ?? null;
      found.set(c, finding);
    }
    if (finding !== null) return { owner: c, finding };
    c = Object.getPrototypeOf(c);
  }
  return undefined;
}

function constructionMessage(cls: AnyFunction, owner: AnyFunction, finding: Finding): string {
  const name = cls.name || '(anonymous class)';
  const where = owner === cls ? '' : ` (through its base class ${owner.name || '(anonymous)'})`;
  const resolved = finding.text.includes(finding.target) ? '' : ` (${finding.target})`;
  const verb = finding.kind === 'call' ? 'call' : 'refer to';
  const instance = cls.name ? `${/^[aeiou]/i.test(cls.name) ? 'an' : 'a'} ${cls.name}` : 'one';
  return (
    `class ${name}'s constructor or field initialisers${where} ${verb} ${finding.text}${resolved}: ` +
    `an action that constructs ${instance} gets a different value when a restart replays it; ` +
    `pass the value in from the action (this._clock.now(), this._clock.uuid()), or construct ` +
    `it outside actions and pass it as an argument`
  );
}

/**
 * What `scan` gives for the source of method `fn`, worked out once per
 * function (base-class methods are shared) and kept in `cache`; `none` for
 * a class kept on the prototype, which cannot be called as a method.
 */
function scannedOnce<T>(
  cache: WeakMap<AnyFunction, T>,
  fn: AnyFunction,
  scan: (source: string) => T,
  none: T,
): T {
  if (cache.has(fn)) return cache.get(fn) as T;
  const source = Function.prototype.toString.call(fn);
  const found = /^class[\s{]/.test(source) ? none : scan(source);
  cache.set(fn, found);
  return found;
}

/** The string-keyed methods and setters of `cls` that run as actions (`isExempt` skips the @readonly ones). */
function actionMethodsOf(
  cls: AnyFunction,
  isExempt: (methodName: string, fn: AnyFunction) => boolean,
): Method[] {
  return methodsOf(cls).filter((m) => !m.symbolic && !isExempt(m.name, m.fn));
}

// What findOutsideWrite found in each function's source (base-class methods are shared).
const outsideWritesByFunction = new WeakMap<AnyFunction, OutsideWrite | null>();

/**
 * One warning per action method or setter of `cls` (as validateDomainClass
 * lists them; `isExempt` skips the @readonly ones) that writes outside the
 * state (see findOutsideWrite): a module variable, a static field, a
 * property of a global. Advice, not a refusal: a count kept for logging is
 * fine, but what the program takes for state there goes back to its initial
 * value after a restart from a snapshot.
 */
export function outsideWriteWarnings(
  cls: AnyFunction,
  isExempt: (methodName: string, fn: AnyFunction) => boolean,
): string[] {
  const warnings: string[] = [];
  for (const method of actionMethodsOf(cls, isExempt)) {
    const write = scannedOnce(
      outsideWritesByFunction,
      method.fn,
      (source) => findOutsideWrite(source) ?? null,
      null,
    );
    if (write !== null) {
      warnings.push(`${methodLabel(cls, method)} ${outsideWriteProblem(write, 'writes')}`);
    }
  }
  return warnings;
}

// What findOutsideWriteInConstruction found in each class's own source.
const constructionOutsideWrites = new WeakMap<AnyFunction, OutsideWrite | null>();

/**
 * The warning for a stored class whose construction (its own or a base
 * class's constructor and instance field initialisers) writes outside the
 * state, as `id = ++Page.lastId` does; else undefined.
 */
export function constructionOutsideWriteWarning(cls: AnyFunction): string | undefined {
  const found = inClassChain(cls, constructionOutsideWrites, findOutsideWriteInConstruction);
  if (found === undefined) return undefined;
  const name = cls.name || '(anonymous class)';
  const where =
    found.owner === cls ? '' : ` (through its base class ${found.owner.name || '(anonymous)'})`;
  return `class ${name}'s constructor or field initialisers${where} ${outsideWriteProblem(found.finding, 'write')}`;
}

function outsideWriteProblem(write: OutsideWrite, verb: 'write' | 'writes'): string {
  const target = write.text === write.target ? '' : ` (in ${write.text})`;
  const construction = verb === 'write';
  return (
    `${verb} ${write.target}${target}, which is not part of the state: ` +
    (construction
      ? 'a snapshot does not keep it (nor does the journal for an instance passed in as an ' +
        'argument, whose constructor a replay does not run), so after a restart it '
      : 'a replay of the journal repeats the write, but a snapshot does not keep it, so after a ' +
        'restart from a snapshot it ') +
    `has its initial value again while the state has moved on (a counter handing out ids ` +
    `hands the same ids out again). ` +
    (construction
      ? 'Keep it in the state instead (a field of the root object, say) and pass the ' +
        'value to the constructor from the action'
      : 'Keep it in a field of the state (this.…)') +
    `, or ignore this warning if it is not state (a count kept for logging)`
  );
}

// What calleesOf found in each function's source (base-class methods are shared).
const calleesByFunction = new WeakMap<AnyFunction, Callee[]>();

/**
 * One warning per action method or setter of `cls` and per member it reaches
 * that the determinism check does not read as an action (see calleesOf) and
 * that reads time or randomness: a `@readonly` method or a getter through
 * `this`, a static method or getter of the class or a base class (by its name
 * or through `this.constructor`). Called from an action, such code is part of
 * it, and a replay gets other values. Advice, not a refusal: the same code
 * may serve queries, where reading the time is fine, and an action may reach
 * it on a branch that never reads it. Only members the action names itself,
 * one call deep.
 */
export function calleeWarnings(
  cls: AnyFunction,
  isExempt: (methodName: string, fn: AnyFunction) => boolean,
): string[] {
  const warnings: string[] = [];
  for (const method of actionMethodsOf(cls, isExempt)) {
    for (const callee of scannedOnce(calleesByFunction, method.fn, calleesOf, [])) {
      const target = resolveCallee(cls, callee, isExempt);
      if (target === undefined) continue;
      const finding = findingOf(target.fn);
      if (finding === undefined || finding.kind === 'async' || finding.kind === 'generator')
        continue;
      warnings.push(
        `${methodLabel(cls, method)} reaches ${callee.text} (${target.what}), which ${problem(finding).replace(ADVICE, CALLEE_ADVICE)}`,
      );
    }
  }
  return warnings;
}

const CALLEE_ADVICE =
  'called from an action it is part of the action, and a replay would see a different value; ' +
  'read this._clock in the action and pass the value in (the determinism check reads the ' +
  "action's own source, and warns about what it reaches)";

/**
 * The function `callee` runs when `cls`'s action reaches it, and what it is;
 * undefined when it is an action (checked on its own), no function, or not
 * found on the class.
 */
function resolveCallee(
  cls: AnyFunction,
  callee: Callee,
  isExempt: (methodName: string, fn: AnyFunction) => boolean,
): { fn: AnyFunction; what: string } | undefined {
  if (callee.kind === 'this') {
    const desc = onChain(cls.prototype as object, callee.name, Object.prototype);
    if (desc === undefined) return undefined;
    if (typeof desc.get === 'function') return { fn: desc.get, what: 'a getter' };
    const fn: unknown = desc.value;
    if (typeof fn !== 'function' || !isExempt(callee.name, fn)) return undefined;
    return { fn, what: 'a @readonly method' };
  }
  const owner = staticOwner(cls, callee.className);
  if (owner === undefined) return undefined;
  const desc = onChain(owner, callee.name, Function.prototype);
  if (desc === undefined) return undefined;
  if (typeof desc.get === 'function') return { fn: desc.get, what: 'a static getter' };
  const fn: unknown = desc.value;
  return typeof fn === 'function' && !/^class[\s{]/.test(Function.prototype.toString.call(fn))
    ? { fn, what: 'a static method' }
    : undefined;
}

/** `cls`, or the base class of it named `className` (`cls` itself for `this.constructor`). */
function staticOwner(cls: AnyFunction, className: string | undefined): AnyFunction | undefined {
  if (className === undefined) return cls;
  for (let c: unknown = cls; typeof c === 'function' && c !== Function.prototype;) {
    if ((c as AnyFunction).name === className) return c as AnyFunction;
    c = Object.getPrototypeOf(c);
  }
  return undefined;
}

/** The descriptor of `key` on `start`'s prototype chain, stopping before `end`. */
function onChain(start: object, key: string, end: object): PropertyDescriptor | undefined {
  for (
    let o: object | null = start;
    o !== null && o !== end;
    o = Object.getPrototypeOf(o) as object | null
  ) {
    const desc = Object.getOwnPropertyDescriptor(o, key);
    if (desc !== undefined) return desc;
  }
  return undefined;
}
