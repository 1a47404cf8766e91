/**
 * A small, fast, seedable pseudo-random generator (sfc32, Chris Doty-Humphrey's
 * "small fast chaotic" generator, 128 bits of state) for the clock. Given the
 * same seed it yields the same sequence on every platform, which is what lets a
 * replayed action see the same random numbers and UUIDs as the live call.
 *
 * It is not a cryptographic generator: values inside an action are derived from
 * data that is stored in the journal, so they are predictable by design.
 */

const TWO_POW_26 = 67108864;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

// Rounds discarded after seeding, so that nearby seeds (consecutive action
// numbers) do not start with visibly related outputs.
const WARM_UP_ROUNDS = 16;

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
);

/** murmur3's 32-bit finalizer: a bijection that spreads every input bit over the word. */
function fmix32(value: number): number {
  let h = value;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The low 32 bits of an integer-valued number (two's complement for negatives). */
function low32(value: number): number {
  return value >>> 0;
}

/** The bits above the low 32 of an integer-valued number, truncated to 32 bits. */
function high32(value: number): number {
  return Math.floor(value / TWO_POW_32) >>> 0;
}

/**
 * An sfc32 generator. Its state lives in four number fields (no arrays), so
 * reseeding allocates nothing.
 */
export class Sfc32 {
  private a = 0;
  private b = 0;
  private c = 0;
  private counter = 0;
  // The 128-bit key mixed into every seed; all zeros unless setKey() is called.
  private k0 = 0;
  private k1 = 0;
  private k2 = 0;
  private k3 = 0;

  /**
   * Sets the 128-bit key (four 32-bit words) that every later {@link seed}
   * mixes in: the clock uses the data directory's random seed, so that two
   * directories seeding with the same (first, second) pair still start from
   * different states. The all-zero key (the default) leaves seeding exactly as
   * it was before keys existed.
   */
  setKey(k0: number, k1: number, k2: number, k3: number): void {
    this.k0 = k0 >>> 0;
    this.k1 = k1 >>> 0;
    this.k2 = k2 >>> 0;
    this.k3 = k3 >>> 0;
  }

  /**
   * Seeds the generator from two integers up to 2^53 in magnitude (the clock
   * uses the action's sequence number and timestamp) and the key. For one key,
   * distinct (first, second) pairs give distinct generator states: every step
   * below is a bijection. For one pair, distinct keys give distinct states.
   */
  seed(first: number, second: number): void {
    this.a = fmix32(low32(first) ^ 0x9e3779b9 ^ this.k0);
    this.b = fmix32(high32(first) ^ 0x243f6a88 ^ this.k1);
    this.c = fmix32(low32(second) ^ 0xb7e15162 ^ this.k2);
    this.counter = fmix32(high32(second) ^ 0x85a308d3 ^ this.k3);
    for (let i = 0; i < WARM_UP_ROUNDS; i++) this.nextUint32();
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.counter) | 0;
    this.counter = (this.counter + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1) with 53 random bits, like a full-precision `Math.random()`. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }

  /** An RFC 4122 version-4 UUID string built from the next 16 random bytes. */
  nextUuid(): string {
    const w0 = this.nextUint32();
    // Version nibble 4 in byte 6, variant bits 10 in byte 8.
    const w1 = ((this.nextUint32() & 0xffff0fff) | 0x00004000) >>> 0;
    const w2 = ((this.nextUint32() & 0x3fffffff) | 0x80000000) >>> 0;
    const w3 = this.nextUint32();
    return `${hex32(w0)}-${hex16(w1 >>> 16)}-${hex16(w1)}-${hex16(w2 >>> 16)}-${hex16(w2)}${hex32(w3)}`;
  }
}

function hex16(word: number): string {
  return (HEX_BYTES[(word >>> 8) & 0xff] as string) + (HEX_BYTES[word & 0xff] as string);
}

function hex32(word: number): string {
  return hex16(word >>> 16) + hex16(word);
}
