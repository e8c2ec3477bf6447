/**
 * A small seeded pseudo-random generator (mulberry32): the same sequence of numbers in [0, 1)
 * for the same seed on every machine, for generated data that must not change between runs.
 *
 * ```ts
 * const random = seededRandom(42)
 * random() // 0.6011037519201636, then 0.44829055899754167, … (always)
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
