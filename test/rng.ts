/** xorshift32: a tiny deterministic PRNG, so that a seed gives the same test case on every run and machine. */
export class XorShift32 {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  /** the next u32 */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
}
