/**
 * RSS measurement shared by the leak checks. Run with `--expose-gc`.
 *
 * Growth alone cannot tell a leak from warm-up: the allocator's arenas and V8's heap grow (and
 * shrink) in a few steps of MBs, up to 26 MB on a quiet machine, that do not scale with the
 * number of rounds. A leak of n bytes per round grows RSS by about n bytes in every round, for
 * ever. So the checks read RSS at many checkpoints and judge the typical growth between
 * neighbouring checkpoints: the median, which a few steps do not move.
 */

/** RSS after a full GC, every `every` rounds of `total` (`total / every` readings). */
export async function rssSamples(total: number, every: number, round: (i: number) => Promise<void>): Promise<number[]> {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  const samples: number[] = []
  for (let i = 0; i < total; i++) {
    await round(i)
    if ((i + 1) % every === 0) {
      // Let native frees queued by the last rounds run before reading.
      await new Promise((r) => setImmediate(r))
      gc()
      samples.push(process.memoryUsage().rss)
    }
  }
  return samples
}

/** What the leak specs judge: the readings after `warm` rounds. */
export interface RssReport {
  /** Rounds between readings. */
  every: number
  /** RSS after `every`, 2·`every`, … rounds, from the first reading after the warm-up. */
  samples: number[]
}

/** The median growth between neighbouring readings, per round (bytes). */
export function typicalGrowthPerRound({ every, samples }: RssReport): number {
  const steps = samples.slice(1).map((rss, k) => rss - samples[k]!).sort((a, b) => a - b)
  if (steps.length === 0) throw new Error('a leak check needs two readings or more')
  const mid = steps.length >> 1
  const median = steps.length % 2 === 1 ? steps[mid]! : (steps[mid - 1]! + steps[mid]!) / 2
  return median / every
}

/** The whole growth from the first reading to the last (bytes). */
export function totalGrowth({ samples }: RssReport): number {
  return samples[samples.length - 1]! - samples[0]!
}
