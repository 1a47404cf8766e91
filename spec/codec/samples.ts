import { DateTime, FixedOffsetZone } from 'luxon';
import { Page } from './fixtures';

/** One value of every kind the codecs store, as [description, factory]. */
export function kindSamples(): [string, () => unknown][] {
  return [
    ['string', () => 'héllo "quoted" \n \u2028 \ud800'],
    ['empty string', () => ''],
    ['true', () => true],
    ['false', () => false],
    ['null', () => null],
    ['integer', () => 42],
    ['float', () => -3.25e-300],
    ['MAX_VALUE', () => Number.MAX_VALUE],
    ['undefined', () => undefined],
    ['NaN', () => NaN],
    ['Infinity', () => Infinity],
    ['-Infinity', () => -Infinity],
    ['-0', () => -0],
    ['+0', () => 0],
    ['BigInt', () => 123456789012345678901234567890n],
    ['negative BigInt', () => -5n],
    ['Date', () => new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 123))],
    ['invalid Date', () => new Date(NaN)],
    ['RegExp', () => /a(b)+\/c/giu],
    ['RegExp without flags', () => new RegExp('x')],
    [
      'Map',
      () =>
        new Map<unknown, unknown>([
          ['a', 1],
          [2, { b: 2 }],
          [{ k: 1 }, [3]],
        ]),
    ],
    ['Set', () => new Set<unknown>([1, 'a', { c: 3 }, -0])],
    ['array', () => [1, 'two', [3], { four: 4 }]],
    // holes at 0, 2-3 and 6-7 (the end), an undefined element at 4; came back as undefined (regression)
    ['sparse array', () => sparse(8, [1, 1], [4, undefined], [5, 'x'])],
    ['plain object', () => ({ b: 1, a: 2, 10: 'int key', 'with space': 3 })],
    ['null-prototype object', () => Object.assign(Object.create(null) as object, { x: 1, y: [2] })],
    ['Int8Array', () => new Int8Array([-128, 0, 127])],
    ['Uint8Array', () => new Uint8Array([0, 255])],
    ['Uint8ClampedArray', () => new Uint8ClampedArray([0, 300])],
    ['Int16Array', () => new Int16Array([-1, 2])],
    ['Uint16Array', () => new Uint16Array([65535])],
    ['Int32Array', () => new Int32Array([-(2 ** 31)])],
    ['Uint32Array', () => new Uint32Array([2 ** 32 - 1])],
    ['Float32Array', () => new Float32Array([1.5, NaN, -0])],
    ['Float64Array', () => new Float64Array([Math.PI, -0, NaN, Infinity])],
    ['BigInt64Array', () => new BigInt64Array([-(2n ** 63n), 5n])],
    ['BigUint64Array', () => new BigUint64Array([2n ** 64n - 1n])],
    ['typed array over part of a buffer', () => new Int16Array(new ArrayBuffer(16), 4, 2)],
    ['Buffer', () => Buffer.from('buffer bytes')],
    ['ArrayBuffer', () => new Uint8Array([9, 8, 7]).buffer],
    [
      'DateTime in a named zone',
      () => DateTime.fromMillis(1_700_000_000_123, { zone: 'Asia/Tokyo' }),
    ],
    ['DateTime in UTC', () => DateTime.fromMillis(0, { zone: 'utc' })],
    // what the clock's now() gives: restored as a UTC or named zone, it printed differently (regression)
    ['DateTime in the system zone', () => DateTime.fromMillis(1_700_000_000_123)],
    [
      'DateTime at a fixed offset',
      () => DateTime.fromMillis(5, { zone: FixedOffsetZone.instance(90) }),
    ],
    [
      'DateTime with a locale, numbering system and calendar',
      () =>
        DateTime.fromMillis(7, { zone: 'utc' })
          .setLocale('fr-FR')
          .reconfigure({ numberingSystem: 'arab', outputCalendar: 'hebrew' }),
    ],
    [
      'DateTime with a calendar only',
      () => DateTime.fromMillis(7).reconfigure({ outputCalendar: 'islamic' }),
    ],
    ['invalid DateTime', () => DateTime.invalid('broken', 'for a test')],
    ['registered class instance', () => new Page('home')],
    ['keys starting with $', () => ({ $: 1, $$: 2, $ref: { $: 'ref', i: 0 }, a$: 3 })],
    ['__proto__ as own key', () => JSON.parse('{"a":1,"__proto__":{"b":2}}') as unknown],
    ['undefined property', () => ({ a: undefined })],
  ];
}

/** An array of `length` holes but for the [index, value] elements given. */
export function sparse(length: number, ...elements: [number, unknown][]): unknown[] {
  const arr: unknown[] = [];
  for (const [i, value] of elements) arr[i] = value;
  arr.length = length;
  return arr;
}
