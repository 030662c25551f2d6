// The measuring window every Node client of the benchmark uses: CPU time (user+sys of the whole
// process, all threads, from getrusage(RUSAGE_SELF) through process.cpuUsage), wall time, peak
// RSS (ru_maxrss) and per-operation latencies, printed as one `RESULT {json}` line that
// bench/run.mjs reads. Setup (connecting, creating tables, preparing data) happens before
// `start()`, so only the workload itself is counted.

/** Parses the job the harness passed as argv[2] (JSON). */
export function job() {
  return JSON.parse(process.argv[2])
}

export class Window {
  constructor() {
    this.latencies = null
  }

  start() {
    this.switches0 = switches()
    this.cpu0 = process.cpuUsage()
    this.t0 = process.hrtime.bigint()
  }

  /** Times one operation for the latency percentiles (call around each query). */
  lap(since) {
    ;(this.latencies ??= []).push(Number(process.hrtime.bigint() - since) / 1000)
  }

  now() {
    return process.hrtime.bigint()
  }

  /**
   * The small-query workloads: `job.warmup` queries outside the window, then `job.rows` queries
   * one after another, each timed when `timeEach`; `once()` runs one query and resolves to its
   * row count.
   */
  async queries(job, once, timeEach) {
    for (let i = 0; i < job.warmup; i++) await once()
    this.start()
    let rows = 0
    for (let i = 0; i < job.rows; i++) {
      const t = timeEach ? this.now() : 0n
      rows += await once()
      if (timeEach) this.lap(t)
    }
    this.stop(job.rows, { rowsPerQuery: rows / job.rows })
  }

  /** Ends the window and prints the result line; `units` = rows or queries done. */
  stop(units, extra = {}) {
    const wallNs = process.hrtime.bigint() - this.t0
    const cpu = process.cpuUsage(this.cpu0)
    const result = {
      units,
      wallMs: Number(wallNs) / 1e6,
      cpuUserMs: cpu.user / 1000,
      cpuSysMs: cpu.system / 1000,
      peakRssKb: process.resourceUsage().maxRSS,
      // Voluntary context switches of all threads: each time one of them blocked and woke.
      ctxSwitches: switches() - this.switches0,
      ...extra,
    }
    if (this.latencies !== null) Object.assign(result, percentiles(this.latencies))
    console.log(`RESULT ${JSON.stringify(result)}`)
  }
}

function switches() {
  return process.resourceUsage().voluntaryContextSwitches
}

function percentiles(us) {
  const sorted = Float64Array.from(us).sort()
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { p50Us: at(0.5), p99Us: at(0.99) }
}

/** A workload this client cannot run: the harness shows the reason instead of a figure. */
export function unsupported(reason) {
  console.log(`RESULT ${JSON.stringify({ unsupported: reason })}`)
}
