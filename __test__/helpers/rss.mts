/**
 * RSS measurement shared by the leak checks: runs `round` `total` times under `--expose-gc` and
 * reports RSS after `warm` rounds (allocator and JIT settled) and at the end, both after a full GC.
 */
export async function rssAcross(total: number, warm: number, round: (i: number) => Promise<void>): Promise<{ warmRss: number; endRss: number }> {
  const gc = globalThis.gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  let warmRss = 0
  for (let i = 0; i < total; i++) {
    await round(i)
    if (i + 1 === warm) {
      gc()
      warmRss = process.memoryUsage().rss
    }
  }
  gc()
  // Let native frees queued by the last round run before the final reading.
  await new Promise((r) => setTimeout(r, 100))
  gc()
  return { warmRss, endRss: process.memoryUsage().rss }
}
