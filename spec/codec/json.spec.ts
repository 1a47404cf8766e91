import fc from 'fast-check';
import { stringifyArgs } from '../../lib/codec/json';

describe('stringifyArgs', () => {
  it('is byte for byte JSON.stringify for arrays of primitives, any unicode included', () => {
    const primitive = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({ unit: 'grapheme' }),
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(primitive, { maxLength: 6 }), (values) => {
        expect(stringifyArgs(values)).toBe(JSON.stringify(values));
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes quotes, backslashes, control characters and lone surrogates as JSON.stringify does', () => {
    const values = ['a"b', 'c\\d', '\n\t\u0000\u001f', '\ud800', 'x\udfffy', '😀', 'é', ''];
    expect(stringifyArgs(values)).toBe(JSON.stringify(values));
  });

  it('hands anything else (objects, -0, NaN, Infinity) to JSON.stringify', () => {
    const values = [{ a: [1, 'x'] }, -0, NaN, Infinity, [null]];
    expect(stringifyArgs(values)).toBe(JSON.stringify(values));
  });
});
