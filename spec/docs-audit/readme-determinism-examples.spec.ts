import { initSystem, isPrevalenceError } from '../../lib';
import { freshBasedir } from '../support/tmp';

// README, "Things to know" and "Determinism": examples of what the
// determinism check refuses and lets pass that no other spec quotes.

/** What initSystem says about a class whose action `act(v, list)` has `body`. */
function verdict(body: string): string {
  const cls = new Function(
    `return class Det { n = 0; act(v, list) { ${body} } };`,
  )() as new () => object;
  try {
    void initSystem(cls, freshBasedir()).close();
    return 'passes';
  } catch (err) {
    return isPrevalenceError(err) ? err.code : String(err);
  }
}

it.each([
  "this.n = Math['rand' + 'om']();",
  'const { Date: D } = globalThis; this.n = new D();',
  'this.n = performance.timeOrigin;',
  'this.n = hrtime();',
])('refuses %s', (body) => {
  expect(verdict(body)).toBe('NONDETERMINISTIC_METHOD');
});

it.each([
  'this.n = uptime();',
  'const { floor } = Math; this.n = floor(v);',
  'this.n = [Date][0];',
  "this.n = Reflect.get(globalThis, 'Date');",
  'this.n = list.map((crypto) => crypto.symbol);',
])('lets %s pass', (body) => {
  expect(verdict(body)).toBe('passes');
});
