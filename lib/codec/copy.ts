/**
 * Deep copies with the tree encoding's rules, for 'clone' isolation: what
 * `decodeTree(encodeTree(value))` gives, at any depth, without building the
 * encoded value in between. The tree codec recurses (a journal record nests at most
 * MAX_RECORD_NESTING objects); a copy of the state may be as deep as the
 * state (a linked list of 100k nodes), so {@link Copier} walks with a stack
 * of its own, in the same depth-first order: the same reads of the source,
 * the same refusals (NOT_SERIALIZABLE naming the first one in that order),
 * the same objects made as the decoder makes them, shared references and
 * cycles kept. It is also faster than that round trip: about 0.7-0.8x its
 * time on small values (one record, a class instance with a Date, an array
 * and a Set, an array of 1000 records).
 */
import type { DateTime } from 'luxon';
import type { ClassRegistry } from './registry';
import { hasPrivateMembers } from '../clock/private-members';
import {
  builtinBase,
  builtinKind,
  copyArrayBuffer,
  copyBuffer,
  copyTypedArray,
  dateMillis,
  dateTimeParts,
  describeUnstorable,
  holeRun,
  isNativeConstructor,
  isPrototypeObject,
  makeDate,
  makeDateTime,
  unsupportedZone,
  registeredName,
  type Kind,
} from './kinds';
import { Unstorable } from './failure';
import {
  refuseBuiltinExtras,
  refuseCustomZone,
  refuseDetached,
  refuseIndexedExtras,
  refuseOverlongArray,
  refuseSymbolKeys,
  storedLastIndex,
  storedValue,
} from './extras';
import { PLAIN_UNSAFE, setOwn, unsafeKeys } from './props';
import { flagsSlot, lengthSlot, sourceSlot } from './slots';
import {
  entryIterator,
  memberIterator,
  nextEntry,
  nextMember,
  type RawIterator,
} from './raw-iteration';
import { encodingError } from './tree';

/**
 * A deep copy of `value`, as `decodeTree(encodeTree(value, ctx), ctx)` makes
 * it with `ctx = { registry }`, at any depth. Throws NOT_SERIALIZABLE
 * (naming the place, as encodeTree does) for what the tree encoding refuses.
 */
export function deepCopy(
  value: unknown,
  registry: ClassRegistry,
  /** Told every object that is not data of a built-in kind (a class instance) before it is copied; may throw to refuse it (a closed system object). */
  checkInstance?: (obj: object) => void,
  /** For copyOf: `throughProxies` gives the object to copy in place of each one met (a view's raw object), and an instance of any class of the program's is copied, registered or not (see isAnyClassInstance). */
  how?: CopyHow,
): unknown {
  try {
    return new Copier(registry, checkInstance, how).run(value);
  } catch (err) {
    throw encodingError(err, value, '', { registry });
  }
}

/** See deepCopy. */
export interface CopyHow {
  readonly throughProxies: (obj: object) => object;
}

/** A container being filled: its copy gets the copies of its children in order. */
type Frame = PropsFrame | ArrayFrame | MapFrame | SetFrame;

interface PropsFrame {
  readonly how: 'props';
  readonly src: object;
  readonly dst: object;
  readonly keys: string[];
  readonly unsafe: ReadonlySet<string>;
  next: number;
}

interface ArrayFrame {
  readonly how: 'array';
  readonly src: unknown[];
  readonly dst: unknown[];
  readonly length: number;
  /** Elements that are not holes, for refuseIndexedExtras once they are all copied. */
  present: number;
  next: number;
}

interface MapFrame {
  readonly how: 'map';
  readonly dst: Map<unknown, unknown>;
  /** The built-in iterator taken at load (see raw-iteration.ts): the source may be raw state. */
  readonly entries: RawIterator;
  /** The source value of the entry whose key is being copied. */
  value: unknown;
  /** The copy of that entry's key, once it is made. */
  key: unknown;
  keyDone: boolean;
}

interface SetFrame {
  readonly how: 'set';
  readonly dst: Set<unknown>;
  readonly members: RawIterator;
}

/**
 * Copies a value depth-first with an explicit stack. An object is copied
 * when it is first met (a container empty, a leaf whole) and put in its
 * parent's copy at once; a container's frame is then pushed, and filled
 * before its parent goes on, so objects are met, read and refused in the
 * order of the tree encoder's recursion.
 */
class Copier {
  private readonly copies = new Map<object, object>();
  private readonly stack: Frame[] = [];

  constructor(
    private readonly registry: ClassRegistry,
    private readonly checkInstance?: (obj: object) => void,
    private readonly how?: CopyHow,
  ) {}

  run(value: unknown): unknown {
    const copy = this.value(value);
    const stack = this.stack;
    while (stack.length !== 0) {
      if (this.fill(stack[stack.length - 1] as Frame)) stack.pop();
    }
    return copy;
  }

  /**
   * Copies children of `frame` until one is a container, whose frame is then
   * on top (false), or none is left (true: the frame is done).
   */
  private fill(frame: Frame): boolean {
    switch (frame.how) {
      case 'props':
        return this.props(frame);
      case 'array':
        return this.items(frame);
      case 'map':
        return this.entries(frame);
      default:
        return this.members(frame);
    }
  }

  private props(frame: PropsFrame): boolean {
    const { src, dst, keys, unsafe } = frame;
    const depth = this.stack.length;
    while (frame.next < keys.length) {
      const key = keys[frame.next++] as string;
      setOwn(dst, key, this.value(storedValue(src, key)), unsafe);
      if (this.stack.length !== depth) return false;
    }
    return true;
  }

  private items(frame: ArrayFrame): boolean {
    const { src, dst, length } = frame;
    const depth = this.stack.length;
    while (frame.next < length) {
      const i = frame.next;
      const v = src[i];
      // Only an undefined element can be a hole, so dense arrays never ask `in`.
      if (v !== undefined || i in src) {
        frame.next++;
        dst.push(this.value(v));
        if (this.stack.length !== depth) return false;
      } else {
        const run = holeRun(src, i);
        dst.length += run;
        frame.present -= run;
        frame.next += run;
      }
    }
    refuseIndexedExtras(src, frame.present, 'a');
    return true;
  }

  private entries(frame: MapFrame): boolean {
    const depth = this.stack.length;
    for (;;) {
      if (!frame.keyDone) {
        const step = nextEntry(frame.entries);
        if (step.done === true) return true;
        frame.value = step.value[1];
        frame.keyDone = true;
        frame.key = this.value(step.value[0]);
        if (this.stack.length !== depth) return false;
      }
      frame.keyDone = false;
      const value = frame.value;
      frame.value = undefined;
      frame.dst.set(frame.key, this.value(value));
      if (this.stack.length !== depth) return false;
    }
  }

  private members(frame: SetFrame): boolean {
    const depth = this.stack.length;
    for (;;) {
      const step = nextMember(frame.members);
      if (step.done === true) return true;
      frame.dst.add(this.value(step.value));
      if (this.stack.length !== depth) return false;
    }
  }

  /** The copy of `v`: itself for a primitive; for an object, its copy (a container's frame pushed). */
  private value(v: unknown): unknown {
    switch (typeof v) {
      case 'object':
        return v === null ? null : this.object(v);
      case 'function':
      case 'symbol':
        throw new Unstorable(v, describeUnstorable(v, this.registry));
      default:
        return v;
    }
  }

  private object(met: object): object {
    const obj = this.how === undefined ? met : this.how.throughProxies(met);
    const known = this.copies.get(obj);
    if (known !== undefined) return known;
    const proto = Object.getPrototypeOf(obj) as object | null;
    const kind = builtinKind(obj, proto);
    switch (kind) {
      case 'o':
        return this.withProps(obj, {}, PLAIN_UNSAFE);
      case 'n':
        return this.withProps(obj, Object.create(null) as object, unsafeKeys(null));
      case 'a': {
        const src = obj as unknown[];
        // Before the walk: a sparse array of length 2 ** 32 - 1 would take minutes (copyOf's own values).
        refuseOverlongArray(src);
        const dst = this.made(obj, [] as unknown[]);
        const length = src.length;
        this.stack.push({ how: 'array', src, dst, length, present: length, next: 0 });
        return dst;
      }
      case 'm': {
        const dst = this.made(obj, new Map<unknown, unknown>());
        refuseBuiltinExtras(obj, kind);
        const entries = entryIterator(obj as Map<unknown, unknown>);
        this.stack.push({
          how: 'map',
          dst,
          entries,
          value: undefined,
          key: undefined,
          keyDone: false,
        });
        return dst;
      }
      case 's': {
        const dst = this.made(obj, new Set<unknown>());
        refuseBuiltinExtras(obj, kind);
        const members = memberIterator(obj as Set<unknown>);
        this.stack.push({ how: 'set', dst, members });
        return dst;
      }
      default:
        return this.other(obj, kind, proto);
    }
  }

  /** Notes `copy` as the copy of `obj` (met again, it is not copied again). */
  private made<T extends object>(obj: object, copy: T): T {
    this.copies.set(obj, copy);
    return copy;
  }

  /** Copies a plain object, null-prototype object or class instance into `dst`: its frame. */
  private withProps(obj: object, dst: object, unsafe: ReadonlySet<string>): object {
    this.made(obj, dst);
    refuseSymbolKeys(obj);
    this.stack.push({ how: 'props', src: obj, dst, keys: Object.keys(obj), unsafe, next: 0 });
    return dst;
  }

  /** A leaf's copy, or a registered class instance's (its frame pushed); else refused. */
  private other(obj: object, kind: Kind | undefined, proto: object | null): object {
    if (kind === 't' || kind === 'b') {
      // The length from its slot: an own `length` getter would run with the raw array as `this`.
      refuseIndexedExtras(obj as ArrayLike<unknown>, lengthSlot(obj as ArrayBufferView), kind);
    } else if (kind !== undefined && kind !== 'dt') refuseBuiltinExtras(obj, kind);
    if (kind === 't' || kind === 'b' || kind === 'ab') refuseDetached(obj, kind);
    switch (kind) {
      case 'd':
        return this.made(obj, makeDate(dateMillis(obj as Date)));
      case 'r':
        return this.made(obj, copyRegExp(obj as RegExp));
      case 't':
        return this.made(obj, copyTypedArray(obj as ArrayBufferView));
      case 'b':
        return this.made(obj, copyBuffer(obj as Buffer));
      case 'ab':
        return this.made(obj, copyArrayBuffer(obj as ArrayBuffer));
      case 'dt': {
        refuseCustomZone(obj as DateTime);
        const [ms, zoneOrReason, explanation, locale] = dateTimeParts(obj as DateTime);
        const zone = ms === null ? unsupportedZone(obj as DateTime) : null;
        return this.made(obj, makeDateTime(ms, zoneOrReason, explanation, locale, zone));
      }
    }
    this.checkInstance?.(obj);
    if (this.how !== undefined && kind === undefined && isAnyClassInstance(obj, proto)) {
      return this.withProps(obj, Object.create(proto) as object, unsafeKeys(proto));
    }
    const name =
      proto === null || isPrototypeObject(obj) ? undefined : registeredName(proto, this.registry);
    if (name === undefined) throw new Unstorable(obj, describeUnstorable(obj, this.registry));
    const cls = this.registry.require(name);
    const dst = Object.create(cls.prototype as object) as object;
    return this.withProps(obj, dst, unsafeKeys(Object.getPrototypeOf(dst) as object));
  }
}

// Prototype → whether copyOf copies its instances with it (see isAnyClassInstance).
const anyClassProtos = new WeakMap<object, boolean>();

/**
 * For copyOf: true when `obj` is an instance of a class of the program's,
 * registered or not, which a copy of its own properties on its prototype
 * makes whole. Not a built-in object or an instance of a class extending a
 * built-in type (their contents are internal slots: an Error's message, a
 * Map subclass's entries), nor of a class with #private members (the copy
 * would lack them, its methods would throw), nor a prototype or an object
 * made with Object.create() (the copy would share what it inherits).
 */
function isAnyClassInstance(obj: object, proto: object | null): boolean {
  if (proto === null || isPrototypeObject(obj)) return false;
  let ok = anyClassProtos.get(proto);
  if (ok === undefined) {
    const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
    ok =
      typeof ctor === 'function' &&
      (ctor as { prototype?: unknown }).prototype === proto &&
      builtinBase(proto) === undefined &&
      !isNativeConstructor(ctor) &&
      !hasPrivateMembers(ctor);
    anyClassProtos.set(proto, ok);
  }
  return ok;
}

/** A RegExp with the pattern, flags and lastIndex of `re`. */
function copyRegExp(re: RegExp): RegExp {
  const copy = new RegExp(sourceSlot(re), flagsSlot(re));
  copy.lastIndex = storedLastIndex(re);
  return copy;
}
