import { scanFunctionSource } from '../../lib/clock/scan';

// Sources written as Function.prototype.toString returns them, for forms that
// TypeScript code in this repo cannot produce (other compilers, plain JS).
describe('scanFunctionSource', () => {
  it.each([
    [
      "m() { return require('luxon').DateTime.now(); }",
      "require('luxon').DateTime.now()",
      'DateTime.now',
    ],
    ['m() { return window.performance.now(); }', 'window.performance.now()', 'performance.now'],
    [
      'm() { return self.crypto.getRandomValues(buf); }',
      'self.crypto.getRandomValues(buf)',
      'crypto.getRandomValues',
    ],
    ['m() { return new Date; }', 'new Date', 'new Date()'],
    [
      'm() { return crypto_1.default.randomUUID(); }',
      'crypto_1.default.randomUUID()',
      'randomUUID',
    ],
    ['m() { return (0, luxon_1.DateTime.utc)(); }', '(0, luxon_1.DateTime.utc)()', 'DateTime.utc'],
    ['m() { return process.hrtime.bigint(); }', 'process.hrtime.bigint()', 'process.hrtime'],
    ['m() { return Math[`random`](); }', 'Math[`random`]()', 'Math.random'],
    ['function () { return Math.random(); }', 'Math.random()', 'Math.random'],
    ['function named() { return Math.random(); }', 'Math.random()', 'Math.random'],
    ['(a) => a + Date.now()', 'Date.now()', 'Date.now'],
    ['a => Date()', 'Date()', 'Date()'],
    ['function* () { yield randomInt(6); }', 'randomInt(6)', 'randomInt'],
  ])('finds the call in %s', (source, text, target) => {
    expect(scanFunctionSource(source)).toEqual({ kind: 'call', text, target });
  });

  it.each([
    ["m() { ({ randomUUID: this.id } = require('node:crypto')); }", 'randomUUID'],
    [
      "m() { const { webcrypto: { getRandomValues } } = require('crypto'); }",
      'webcrypto.getRandomValues',
    ],
    ['m() { return { randomUUID }; }', 'randomUUID'],
    ['m() { return [now = Date.now] = []; }', 'Date.now'],
  ])('finds the reference in %s', (source, target) => {
    expect(scanFunctionSource(source)).toMatchObject({ kind: 'reference', target });
  });

  it.each([
    'm() { return 1; }',
    'm(random, now) { return random + now; }',
    'm() { const randomUUID = () => 1; return randomUUID(); }',
    'm(Math) { return Math.random(); }',
    'm() { function now() { return 1; } return now() + [].map(({ random }) => random()); }',
    'm() { try { return 1; } catch (randomBytes) { return 2; } }',
    'm() { now: for (;;) { break now; } }',
    'm() { return obj.Date.now() + this.Math.random() + Date.UTC(2020, 0); }',
    'm() { return this.#random() + this.#now; }',
    "m() { return { now: 1, 'random': 2, [`x`]: 3 }; }",
    'm() { return class { now() {} static random = 1; }; }',
    'm() { return new.target; }',
    "m() { return luxon_1.DateTime.local(2020, 1, 1).plus({ days: 1 }) + '/* Date.now() */'; }",
  ])('finds nothing in %s', (source) => {
    expect(scanFunctionSource(source)).toBeUndefined();
  });

  it('skips native code and sources it cannot parse', () => {
    expect(scanFunctionSource(Function.prototype.toString.call(Date.now))).toBeUndefined();
    expect(scanFunctionSource('function () { [native code] }')).toBeUndefined();
    expect(scanFunctionSource('m() { Date.now( }')).toBeUndefined();
  });

  it('recognizes async methods compiled for old targets', () => {
    const es2015 = 'load() { return __awaiter(this, void 0, void 0, function* () { yield 1; }); }';
    expect(scanFunctionSource(es2015)).toMatchObject({ kind: 'async', target: '__awaiter' });
    const tslib = 'stream() { return tslib_1.__asyncGenerator(this, arguments, function* () {}); }';
    expect(scanFunctionSource(tslib)).toMatchObject({ kind: 'async', target: '__asyncGenerator' });
  });

  it('shortens long calls to their callee', () => {
    const args = Array.from({ length: 30 }, (_, i) => `arg${i}`).join(', ');
    expect(scanFunctionSource(`m() { return crypto.randomBytes(${args}); }`)).toEqual({
      kind: 'call',
      text: 'crypto.randomBytes(...)',
      target: 'crypto.randomBytes',
    });
  });

  it('reports the first finding in source order', () => {
    expect(scanFunctionSource('m() { return [Math.random(), Date.now()]; }')).toMatchObject({
      target: 'Math.random',
    });
  });
});
