/**
 * Zeroed typed arrays for one compile, carved out of a buffer that lives on
 * to the next compile. A typed array of more than a few dozen bytes gets its
 * own store outside the JS heap, which costs ~1 µs to allocate (and more to
 * collect); a compile needs about twenty, most of them sized by the slots,
 * which was a tenth of compiling a 1,000-instruction program. A view here
 * costs ~0.1 µs.
 *
 * The arrays are valid until the arena is released: nothing a compile
 * returns may hold one.
 */
export class Arena {
  private static readonly INITIAL = 1 << 14;
  /** an arena grown past this (by a very large program) is not kept for the next compile */
  private static readonly KEEP = 1 << 20;
  private static spare: Arena | undefined;

  private buffer = new Int32Array(Arena.INITIAL);
  /** int32s handed out from `buffer` */
  private used = 0;

  /**
   * Run `compile` with an arena: the one kept from the last compile, or a
   * new one if that is in use (a compile within a compile).
   */
  static with<T>(compile: (arena: Arena) => T): T {
    const arena = Arena.spare ?? new Arena();
    Arena.spare = undefined;
    try {
      return compile(arena);
    } finally {
      arena.used = 0;
      if (arena.buffer.length <= Arena.KEEP) Arena.spare = arena;
    }
  }

  int32(n: number): Int32Array {
    const at = this.take(n);
    return this.buffer.subarray(at, at + n);
  }

  uint8(n: number): Uint8Array {
    const at = this.take((n + 3) >> 2);
    return new Uint8Array(this.buffer.buffer, 4 * at, n);
  }

  /** Reserve `n` zeroed int32s; a full buffer is replaced (the views already handed out keep theirs alive). */
  private take(n: number): number {
    if (this.used + n > this.buffer.length) {
      this.buffer = new Int32Array(Math.max(2 * this.buffer.length, n));
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    this.buffer.fill(0, at, this.used);
    return at;
  }
}
