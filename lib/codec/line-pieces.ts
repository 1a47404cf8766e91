/**
 * When a line of the graph encoding (a snapshot body line) is written or read
 * in pieces instead of as one string. A single container can hold more than
 * V8's largest string (about 512 MiB in Node 20): an array of a thousand
 * strings of 1 MiB, a Map of them, a Buffer of 450 MiB whose base64 is 600
 * MiB. Such a line is written and read in pieces of about these sizes; the
 * bytes on disk are those of the line written whole (see docs/FORMAT.md).
 */

const MiB = 1024 * 1024;

/** The defaults of {@link linePieces}. */
export const LINE_PIECE_DEFAULTS = Object.freeze({ write: 8 * MiB, read: 8 * MiB });

/**
 * The writer writes a line whose text may exceed `write` characters in pieces
 * of at most about `write` characters (counting the 6 characters an escape
 * can take per character of a string); the reader parses a body line longer
 * than `read` bytes from its bytes, in parts of about `read` bytes, and never
 * decodes it into one string. Read-only outside tests: see
 * {@link setLinePiecesForTests}.
 */
export const linePieces: { write: number; read: number } = { ...LINE_PIECE_DEFAULTS };

/**
 * For tests: sets the sizes (tiny ones run the piecewise writer and reader on
 * small states); called without an argument, restores the defaults.
 */
export function setLinePiecesForTests(sizes?: { write?: number; read?: number }): void {
  const next = { ...LINE_PIECE_DEFAULTS, ...sizes };
  for (const [name, size] of Object.entries(next)) {
    if (!Number.isSafeInteger(size) || size < 16) {
      throw new RangeError(
        `line piece size ${name} must be an integer of at least 16, got ${size}`,
      );
    }
  }
  linePieces.write = next.write;
  linePieces.read = next.read;
}
