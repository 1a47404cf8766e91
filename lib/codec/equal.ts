/**
 * Strict structural comparison of two values as the codecs see them, used to
 * check round trips and to compare a replayed state with a live one.
 */
import type { DateTime } from 'luxon';
import { builtinKind, isPlainObject, storedLocale, storedZone, unsupportedZone } from './kinds';
import { flagsSlot, sourceSlot, timeSlot, viewedBytes } from './slots';
import {
  formatValue,
  mapKeySegment,
  mapValueSegment,
  propSegment,
  renderSegments,
  setSegment,
} from './paths';

/** How a compared container names its children. */
type How = 'props' | 'array' | 'map' | 'set';

/**
 * A compared container on the path from the root. Children are pushed with
 * their parent node and slot only; segments are built when a difference is
 * reported, so deep structures cost one small object per container.
 */
class PathNode {
  constructor(
    readonly parent: PathNode | undefined,
    readonly slot: number,
    readonly container: object,
    readonly how: How,
  ) {}

  /** The step to the child at `slot`, in a form valueAt can follow on another value. */
  step(slot: number): ValueStep {
    switch (this.how) {
      case 'props':
        return { prop: Object.keys(this.container)[slot] as string };
      case 'array':
        return { index: slot };
      case 'set':
        return { member: slot };
      default: {
        const i = slot >> 1;
        if (slot % 2 === 0) return { entryKey: i };
        const key = [...(this.container as Map<unknown, unknown>).keys()][i];
        return isPrimitiveKey(key) ? { entryValue: i, key } : { entryValue: i };
      }
    }
  }

  /**
   * A plain object in a field of the root or of a class instance is read as
   * a dictionary, its keys as data: `pages["home"].history[3]`, also when
   * the page itself is a plain object. A plain object held by another plain
   * object, an array or a Map is read as a record, as class instances are.
   */
  private isDictionary(): boolean {
    const holder = this.parent;
    return (
      holder !== undefined &&
      holder.how === 'props' &&
      (holder.parent === undefined || !isPlainObject(holder.container)) &&
      isPlainObject(this.container)
    );
  }

  segment(slot: number): string {
    switch (this.how) {
      case 'props': {
        const key = Object.keys(this.container)[slot] as string;
        return this.isDictionary() ? `[${JSON.stringify(key)}]` : propSegment(key);
      }
      case 'array':
        return `[${slot}]`;
      case 'set':
        return setSegment(slot);
      default: {
        // Map children alternate: key of entry i at slot 2i, its value at 2i + 1.
        const i = slot >> 1;
        if (slot % 2 === 0) return mapKeySegment(i);
        return mapValueSegment([...(this.container as Map<unknown, unknown>).keys()][i], i);
      }
    }
  }
}

/**
 * Undefined when `a` and `b` are equal, else where they first differ (in
 * depth-first order) and why, like `pages["a"].title: "x" !== "y"` (keys of a
 * plain object in a field of the root or a class instance in brackets, others after a dot); the root
 * path is empty. Strict about key order, undefined vs absent, -0 vs 0 (NaN
 * equals NaN), prototypes, Date times, RegExps, Map/Set contents and order,
 * typed array type and bytes, DateTime millis and zone, and sharing: an object
 * reached twice in `a` must correspond to one object in `b`. An array hole
 * differs from an `undefined` element; only own enumerable string-keyed
 * properties are compared (arrays and built-ins by their contents only).
 * Iterative, so arbitrarily deep structures are fine.
 */
export function firstDifference(a: unknown, b: unknown): string | undefined {
  return firstDifferenceAt(a, b)?.description;
}

/**
 * One step from a container to a child: a property by name, an array
 * element, a Set member, or a Map entry's key or value by position (a value
 * under a primitive key also carries the key, so it is found without a scan).
 */
export type ValueStep =
  | { prop: string }
  | { index: number }
  | { member: number }
  | { entryKey: number }
  | { entryValue: number; key?: unknown };

/** Where two values first differ: the description firstDifference gives, and the steps to that place. */
export interface Difference {
  /** `path: reason`, as firstDifference gives it. */
  description: string;
  /** The place, e.g. `pages["home"].history[3]` (empty at the root). */
  path: string;
  /** Why the values there differ, e.g. `"d" !== "e"` (the first value first). */
  reason: string;
  at: ValueStep[];
}

/** firstDifference, with the place as steps that valueAt can follow in another value. */
export function firstDifferenceAt(a: unknown, b: unknown): Difference | undefined {
  const found = new Comparer().run(a, b);
  if (found === undefined) return undefined;
  const { parent, slot, reason } = found;
  const path = pathOf(parent, slot);
  return { description: path + ': ' + reason, path, reason, at: stepsOf(parent, slot) };
}

/** Marks a place that does not exist in a value (see valueAt). */
export const ABSENT: unique symbol = Symbol('absent');

/** What `steps` lead to from `root`, or ABSENT when one of them leads nowhere. */
export function valueAt(root: unknown, steps: readonly ValueStep[]): unknown {
  let value = root;
  for (const step of steps) {
    if (typeof value !== 'object' || value === null) return ABSENT;
    value = childAt(value, step);
    if (value === ABSENT) return ABSENT;
  }
  return value;
}

function childAt(obj: object, step: ValueStep): unknown {
  if ('prop' in step)
    return Object.hasOwn(obj, step.prop) ? (obj as Record<string, unknown>)[step.prop] : ABSENT;
  if ('index' in step) {
    // A hole is absent, so a hole turning into `undefined` shows as a change.
    return Array.isArray(obj) && step.index < obj.length && step.index in obj
      ? obj[step.index]
      : ABSENT;
  }
  if ('member' in step) return obj instanceof Set ? nth(obj.values(), step.member) : ABSENT;
  if (!(obj instanceof Map)) return ABSENT;
  if ('entryKey' in step) return nth(obj.keys(), step.entryKey);
  if ('key' in step) return obj.has(step.key) ? obj.get(step.key) : ABSENT;
  return nth(obj.values(), step.entryValue);
}

function nth(items: Iterator<unknown>, index: number): unknown {
  for (let i = 0, r = items.next(); !r.done; i++, r = items.next()) if (i === index) return r.value;
  return ABSENT;
}

function isPrimitiveKey(key: unknown): boolean {
  return key === null || (typeof key !== 'object' && typeof key !== 'function');
}

/** Where a comparison stopped: the container node, the slot in it, and why. */
interface Found {
  parent: PathNode | undefined;
  slot: number;
  reason: string;
}

class Comparer {
  private readonly as: unknown[] = [];
  private readonly bs: unknown[] = [];
  private readonly parents: (PathNode | undefined)[] = [];
  private readonly slots: number[] = [];
  private readonly aToB = new Map<object, object>();
  private readonly bToA = new Map<object, object>();

  run(a: unknown, b: unknown): Found | undefined {
    this.push(a, b, undefined, 0);
    while (this.as.length > 0) {
      const x = this.as.pop();
      const y = this.bs.pop();
      const parent = this.parents.pop();
      const slot = this.slots.pop() as number;
      const reason = this.compare(x, y, parent, slot);
      if (reason !== undefined) return { parent, slot, reason };
    }
    return undefined;
  }

  private push(x: unknown, y: unknown, parent: PathNode | undefined, slot: number): void {
    this.as.push(x);
    this.bs.push(y);
    this.parents.push(parent);
    this.slots.push(slot);
  }

  private compare(
    x: unknown,
    y: unknown,
    parent: PathNode | undefined,
    slot: number,
  ): string | undefined {
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) {
      return Object.is(x, y) ? undefined : `${describe(x)} !== ${describe(y)}`;
    }
    // aToB and bToA always hold the same pairs, so a known x settles the question.
    const partner = this.aToB.get(x);
    if (partner === y) return undefined;
    if (partner !== undefined || this.bToA.has(y)) {
      return 'shared references differ: this object is reached elsewhere too in one value but not in the other';
    }
    this.aToB.set(x, y);
    this.bToA.set(y, x);
    // The same object on both sides has equal contents; only its sharing matters.
    return x === y ? undefined : this.compareObjects(x, y, parent, slot);
  }

  private compareObjects(
    x: object,
    y: object,
    parent: PathNode | undefined,
    slot: number,
  ): string | undefined {
    const proto = Object.getPrototypeOf(x) as object | null;
    if (proto !== Object.getPrototypeOf(y)) {
      return `different prototypes: ${formatValue(x)} vs ${formatValue(y)}`;
    }
    switch (builtinKind(x, proto)) {
      case 'a':
        return this.arrays(x as unknown[], y as unknown[], new PathNode(parent, slot, x, 'array'));
      case 'm':
        return this.maps(
          x as Map<unknown, unknown>,
          y as Map<unknown, unknown>,
          new PathNode(parent, slot, x, 'map'),
        );
      case 's':
        return this.sets(
          x as Set<unknown>,
          y as Set<unknown>,
          new PathNode(parent, slot, x, 'set'),
        );
      case 'd':
        return sameValue(timeSlot(x as Date), timeSlot(y as Date), x, y);
      case 'r': {
        const [rx, ry] = [x as RegExp, y as RegExp];
        const [px, py] = [
          `/${sourceSlot(rx)}/${flagsSlot(rx)}`,
          `/${sourceSlot(ry)}/${flagsSlot(ry)}`,
        ];
        if (px !== py) return `${px} !== ${py}`;
        const [lx, ly]: unknown[] = [rx.lastIndex, ry.lastIndex];
        return Object.is(lx, ly) ? undefined : `${px} lastIndex ${String(lx)} !== ${String(ly)}`;
      }
      case 't':
      case 'b':
        return bytes(x as ArrayBufferView, y as ArrayBufferView);
      case 'ab':
        return bytes(new Uint8Array(x as ArrayBuffer), new Uint8Array(y as ArrayBuffer));
      case 'dt':
        return dateTimes(x as DateTime, y as DateTime);
      default:
        return this.props(x, y, new PathNode(parent, slot, x, 'props'));
    }
  }

  private arrays(x: unknown[], y: unknown[], node: PathNode): string | undefined {
    if (x.length !== y.length) return `array length ${x.length} !== ${y.length}`;
    for (let i = x.length - 1; i >= 0; i--) this.push(element(x, i), element(y, i), node, i);
    return undefined;
  }

  private props(x: object, y: object, node: PathNode): string | undefined {
    const xKeys = Object.keys(x);
    const yKeys = Object.keys(y);
    const reason = keyDifference(xKeys, yKeys);
    if (reason !== undefined) return reason;
    const xr = x as Record<string, unknown>;
    const yr = y as Record<string, unknown>;
    for (let i = xKeys.length - 1; i >= 0; i--) {
      const key = xKeys[i] as string;
      this.push(xr[key], yr[key], node, i);
    }
    return undefined;
  }

  private maps(
    x: Map<unknown, unknown>,
    y: Map<unknown, unknown>,
    node: PathNode,
  ): string | undefined {
    if (x.size !== y.size) return `Map size ${x.size} !== ${y.size}`;
    const xs = [...x];
    const ys = [...y];
    for (let i = xs.length - 1; i >= 0; i--) {
      const [xk, xv] = xs[i] as [unknown, unknown];
      const [yk, yv] = ys[i] as [unknown, unknown];
      this.push(xv, yv, node, 2 * i + 1);
      this.push(xk, yk, node, 2 * i);
    }
    return undefined;
  }

  private sets(x: Set<unknown>, y: Set<unknown>, node: PathNode): string | undefined {
    if (x.size !== y.size) return `Set size ${x.size} !== ${y.size}`;
    const xs = [...x];
    const ys = [...y];
    for (let i = xs.length - 1; i >= 0; i--) {
      this.push(xs[i], ys[i], node, i);
    }
    return undefined;
  }
}

/** Stands for a hole where array elements are compared. */
const HOLE: unique symbol = Symbol('hole');

/** `arr[i]`, or HOLE when it is missing (only an undefined element can be). */
function element(arr: unknown[], i: number): unknown {
  const value = arr[i];
  return value === undefined && !(i in arr) ? HOLE : value;
}

function describe(value: unknown): string {
  return value === HOLE ? 'a hole' : formatValue(value);
}

function keyDifference(xKeys: string[], yKeys: string[]): string | undefined {
  const n = Math.min(xKeys.length, yKeys.length);
  for (let i = 0; i < n; i++) {
    if (xKeys[i] !== yKeys[i]) {
      return `property #${i} is ${JSON.stringify(xKeys[i])} vs ${JSON.stringify(yKeys[i])}`;
    }
  }
  if (xKeys.length > n) return `property ${JSON.stringify(xKeys[n])} is absent in the second value`;
  if (yKeys.length > n) return `property ${JSON.stringify(yKeys[n])} is absent in the first value`;
  return undefined;
}

function sameValue(x: number, y: number, xObj: unknown, yObj: unknown): string | undefined {
  return Object.is(x, y) ? undefined : `${formatValue(xObj)} !== ${formatValue(yObj)}`;
}

function bytes(x: ArrayBufferView, y: ArrayBufferView): string | undefined {
  const xb = Buffer.from(viewedBytes(x));
  const yb = Buffer.from(viewedBytes(y));
  if (xb.length !== yb.length) return `byte length ${xb.length} !== ${yb.length}`;
  if (xb.equals(yb)) return undefined;
  let i = 0;
  while (xb[i] === yb[i]) i++;
  return `bytes differ from byte ${i}`;
}

/** A DateTime's stored locale settings for a message: `fr-FR, numbering arab, calendar hebrew`, or `(defaults)`. */
function localeText(dt: DateTime): string {
  const settings = dt.isValid ? storedLocale(dt) : undefined;
  if (settings === undefined) return '(defaults)';
  const [locale, numbering, calendar] = settings;
  const parts = [locale ?? 'default locale'];
  if (numbering !== null) parts.push(`numbering ${numbering}`);
  if (calendar !== null) parts.push(`calendar ${calendar}`);
  return parts.join(', ');
}

function dateTimes(x: DateTime, y: DateTime): string | undefined {
  if (x.isValid !== y.isValid || x.invalidReason !== y.invalidReason) {
    return `DateTime validity differs: ${x.invalidReason ?? 'valid'} vs ${y.invalidReason ?? 'valid'}`;
  }
  const [ux, uy] = [unsupportedZone(x), unsupportedZone(y)];
  if (ux !== uy) return `DateTime unsupported zone ${ux ?? '(none)'} !== ${uy ?? '(none)'}`;
  if (!Object.is(x.toMillis(), y.toMillis())) return `DateTime ${x.toISO()} !== ${y.toISO()}`;
  const [zx, zy] = [storedZone(x), storedZone(y)];
  if (zx !== zy) return `DateTime zone ${zx} !== ${zy}`;
  const [lx, ly] = [localeText(x), localeText(y)];
  if (lx !== ly) return `DateTime locale settings ${lx} !== ${ly}`;
  return undefined;
}

function stepsOf(parent: PathNode | undefined, slot: number): ValueStep[] {
  const steps: ValueStep[] = [];
  for (let node = parent, s = slot; node !== undefined; s = node.slot, node = node.parent) {
    steps.push(node.step(s));
  }
  return steps.reverse();
}

function pathOf(parent: PathNode | undefined, slot: number): string {
  const segments: string[] = [];
  for (let node = parent, s = slot; node !== undefined; s = node.slot, node = node.parent) {
    segments.push(node.segment(s));
  }
  return renderSegments(segments.reverse());
}
