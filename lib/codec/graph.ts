/**
 * Graph encoding: a whole object graph as a stream of lines, one per container
 * object, for snapshots and state digests. Iterative and streaming: no
 * recursion, and no string ever holds more than one object's line.
 *
 * Objects get ids in breadth-first discovery order, the root being 0. Each
 * container (plain object, null-prototype object, array, Map, Set, registered
 * class instance) has one line, emitted in id order, holding its contents as
 * a JSON array: `["o",k,v,…]`, `["n",k,v,…]`, `["c","Page",k,v,…]`,
 * `["a",v,…]`, `["m",k,v,…]`, `["s",v,…]`.
 * A root that is not a container is the single line `["v",value]`.
 *
 * Values inside a line: strings, booleans, null and finite numbers other than
 * -0 as themselves; `["u"]` undefined, `["N"]` NaN, `["I"]` / `["-I"]` ±Infinity,
 * `["-0"]`, `["B","12"]` BigInt; `[id]` an object seen before. The first
 * reference to an object carries what the decoder needs to allocate it:
 * `[id,"o"]`, `[id,"c","Page"]`, … for containers (filled when their line
 * arrives), and the whole content for leaves, which have no line of their
 * own: `[id,"d",ms]`, `[id,"r",source,flags]`, `[id,"t","Float64Array",base64]`,
 * `[id,"b",base64]` (Buffer), `[id,"ab",base64]`, `[id,"dt",ms,zone]`.
 * Inside an array's line, `["h"]` is one hole and `["h",k]` a run of k > 1.
 *
 * Symbol-keyed properties, and enumerable named properties of arrays and
 * built-ins, throw NOT_SERIALIZABLE like accessors: a snapshot without them
 * would restore a state other than the live one.
 */
import type { DateTime } from 'luxon';
import type { ClassRegistry } from './registry';
import {
  arrayBufferToBase64,
  builtinKind,
  dateMillis,
  dateTimeParts,
  unsupportedZone,
  describeUnstorable,
  holeRun,
  refuseOwnWeekSettings,
  registeredName,
  typedArrayName,
  viewToBase64,
  type AnyTypedArray,
  type ContainerKind,
  type LeafKind,
} from './kinds';
import { Unstorable, failureError } from './failure';
import { flagsSlot, lengthSlot, sourceSlot } from './slots';
import { eachEntry, eachMember } from './raw-iteration';
import {
  refuseBuiltinExtras,
  refuseIndexedExtras,
  refuseCustomZone,
  refuseUnkeptBuffer,
  refuseSymbolKeys,
  storedLastIndex,
  storedValue,
} from './extras';

export { GraphDecoder } from './graph-decode';

/** What {@link encodeGraph} reports. */
export interface GraphStats {
  /** Distinct objects in the graph (containers and leaves); lines = containers, or 1. */
  objects: number;
}

/**
 * Streams the graph reachable from `root` to `emit`, one line (a JSON text
 * without newline) per container object, root first. Throws NOT_SERIALIZABLE
 * naming the path (from the root) of the first value that cannot be stored.
 */
export function encodeGraph(
  root: unknown,
  registry: ClassRegistry,
  emit: (line: string) => void,
): GraphStats {
  const encoder = new GraphEncoder(registry);
  try {
    encoder.run(root, emit);
  } catch (err) {
    throw err instanceof Unstorable ? failureError(err, root, '') : err;
  }
  return { objects: encoder.ids.size };
}

const UNDEFINED = ['u'];
const NAN = ['N'];
const INFINITY = ['I'];
const NEG_INFINITY = ['-I'];
const NEG_ZERO = ['-0'];
const HOLE = ['h'];

type Value = unknown;

function dateTime(id: number, dt: DateTime): Value {
  refuseCustomZone(dt);
  refuseOwnWeekSettings(dt);
  const [ms, zoneOrReason, explanation, locale] = dateTimeParts(dt);
  if (ms === null) {
    const zone = unsupportedZone(dt);
    return zone === null
      ? [id, 'dt', null, zoneOrReason, explanation]
      : [id, 'dt', null, zoneOrReason, explanation, zone];
  }
  return locale === undefined
    ? [id, 'dt', ms, zoneOrReason]
    : [id, 'dt', ms, zoneOrReason, ...locale];
}

/** A RegExp's leaf: `[id,"r",source,flags]`, and its lastIndex after them unless it is 0. */
function regExpLeaf(id: number, re: RegExp): Value {
  const line: Value[] = [id, 'r', sourceSlot(re), flagsSlot(re)];
  const at = storedLastIndex(re);
  if (!Object.is(at, 0)) line.push(encodeNumber(at));
  return line;
}

/** A number as a line holds it: itself when finite and not -0, else its marker. */
function encodeNumber(v: number): Value {
  // v - v is 0 only for finite numbers; 1 / -0 is -Infinity.
  if (v - v === 0) return v !== 0 || 1 / v > 0 ? v : NEG_ZERO;
  return v !== v ? NAN : v > 0 ? INFINITY : NEG_INFINITY;
}

/** The first reference to leaf `obj`: its whole content (extra own properties refused). */
function leaf(id: number, obj: object, kind: LeafKind): Value {
  switch (kind) {
    case 'd':
      refuseBuiltinExtras(obj, kind);
      return [id, 'd', dateMillis(obj as Date)];
    case 'r':
      refuseBuiltinExtras(obj, kind);
      return regExpLeaf(id, obj as RegExp);
    case 'ab':
      refuseBuiltinExtras(obj, kind);
      refuseUnkeptBuffer(obj, kind);
      return [id, 'ab', arrayBufferToBase64(obj as ArrayBuffer)];
    case 't':
      refuseIndexedExtras(obj as AnyTypedArray, lengthSlot(obj as AnyTypedArray), kind);
      refuseUnkeptBuffer(obj, kind);
      return [id, 't', typedArrayName(obj), viewToBase64(obj as ArrayBufferView)];
    default:
      refuseIndexedExtras(obj as Buffer, lengthSlot(obj as Buffer), kind);
      refuseUnkeptBuffer(obj, kind);
      return [id, 'b', viewToBase64(obj as Buffer)];
  }
}

class GraphEncoder {
  readonly ids = new Map<object, number>();
  private readonly queue: object[] = [];
  private readonly kinds: ContainerKind[] = [];
  private readonly names: string[] = [];
  private readonly classNames = new Map<object, string | null>();
  private readonly line: Value[] = [];

  constructor(private readonly registry: ClassRegistry) {}

  run(root: unknown, emit: (line: string) => void): void {
    const head = this.value(root);
    if (this.queue.length === 0) {
      emit(JSON.stringify(['v', head]));
      return;
    }
    const { queue, kinds, names, line } = this;
    for (let i = 0; i < queue.length; i++) {
      const obj = queue[i] as object;
      const kind = kinds[i] as ContainerKind;
      line.length = 0;
      line.push(kind);
      if (kind === 'c') line.push(names[i]);
      this.contents(obj, kind);
      emit(JSON.stringify(line));
    }
  }

  private contents(obj: object, kind: ContainerKind): void {
    switch (kind) {
      case 'a':
        this.items(obj as unknown[]);
        break;
      case 'm':
        refuseBuiltinExtras(obj, kind);
        this.entries(obj as Map<unknown, unknown>);
        break;
      case 's':
        refuseBuiltinExtras(obj, kind);
        this.members(obj as Set<unknown>);
        break;
      default:
        this.props(obj);
    }
  }

  private props(obj: object): void {
    refuseSymbolKeys(obj);
    const line = this.line;
    const keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      line.push(key, this.value(storedValue(obj, key)));
    }
  }

  private items(arr: unknown[]): void {
    const line = this.line;
    const length = arr.length;
    let present = length;
    for (let i = 0; i < length; i++) {
      const v = arr[i];
      // Only an undefined element can be a hole, so dense arrays never ask `in`.
      if (v !== undefined || i in arr) line.push(this.value(v));
      else {
        const run = holeRun(arr, i);
        line.push(run === 1 ? HOLE : ['h', run]);
        present -= run;
        i += run - 1;
      }
    }
    refuseIndexedExtras(arr, present, 'a');
  }

  // By the built-in forEach taken at load (see raw-iteration.ts): the state's raw Maps and
  // Sets must not go to a Map iterator's next() the program replaced; as fast as for…of.
  private entries(map: Map<unknown, unknown>): void {
    const line = this.line;
    eachEntry(map, (value, key) => {
      line.push(this.value(key));
      line.push(this.value(value));
    });
  }

  private members(set: Set<unknown>): void {
    const line = this.line;
    eachMember(set, (member) => {
      line.push(this.value(member));
    });
  }

  private value(v: unknown): Value {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return encodeNumber(v);
      case 'undefined':
        return UNDEFINED;
      case 'bigint':
        return ['B', v.toString()];
      case 'object':
        return v === null ? null : this.reference(v);
      default:
        throw new Unstorable(v, describeUnstorable(v, this.registry));
    }
  }

  private reference(obj: object): Value {
    const known = this.ids.get(obj);
    if (known !== undefined) return [known];
    const id = this.ids.size;
    this.ids.set(obj, id);
    const proto = Object.getPrototypeOf(obj) as object | null;
    const kind = builtinKind(obj, proto);
    switch (kind) {
      case 'o':
      case 'a':
      case 'n':
      case 'm':
      case 's':
        this.enqueue(obj, kind, '');
        return [id, kind];
      case 'dt':
        return dateTime(id, obj as DateTime);
      case 'c':
      case undefined:
        break;
      default:
        return leaf(id, obj, kind);
    }
    const name = this.className(obj, proto);
    this.enqueue(obj, 'c', name);
    return [id, 'c', name];
  }

  private enqueue(obj: object, kind: ContainerKind, name: string): void {
    this.queue.push(obj);
    this.kinds.push(kind);
    this.names.push(name);
  }

  private className(obj: object, proto: object | null): string {
    let name = proto === null ? null : this.classNames.get(proto);
    if (name === undefined) {
      name = registeredName(proto as object, this.registry) ?? null;
      this.classNames.set(proto as object, name);
    }
    if (name === null) throw new Unstorable(obj, describeUnstorable(obj, this.registry));
    return name;
  }
}
