/**
 * `JSON.stringify` for the common argument list of an action (strings,
 * finite numbers, booleans, null), byte for byte, at about half the cost on
 * Node 20: a string that needs no escaping is quoted as is. Anything else
 * goes to `JSON.stringify`.
 */

/** A character JSON.stringify would escape: a control character, `"`, `\`, or a surrogate (lone ones are escaped). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

/** Exactly `JSON.stringify(values)` for an array of JSON values. */
export function stringifyArgs(values: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += ',';
    if (typeof v === 'string') out += quote(v);
    else if (typeof v === 'number' && Number.isFinite(v)) out += String(v);
    else if (typeof v === 'boolean' || v === null) out += String(v);
    else return JSON.stringify(values);
  }
  return out + ']';
}
