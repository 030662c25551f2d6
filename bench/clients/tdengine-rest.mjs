// @tdengine/rest (npm, the official REST client for Node; installed in bench/node_modules) running
// one benchmark workload in its own process. REST returns a whole result as one JSON document, so
// it reads rows but has no streaming, statements or schemaless.
import { createRequire } from 'node:module'
import { Window, job as readJob, unsupported } from './window.mjs'

const job = readJob()
const { connect } = createRequire(import.meta.url)('@tdengine/rest')
const cursor = connect({ scheme: 'http', host: job.host, port: job.port, path: '/rest/sql', user: job.user, passwd: job.password }).cursor()
const w = new Window()

async function query(sql) {
  const result = await cursor.query(sql)
  if (result.getErrCode() !== 0) throw new Error(`${sql}: ${result.getErrStr()}`)
  return result
}

async function smallQuery() {
  return (await query(job.sql)).getData().length
}

async function fetch(asObjects) {
  await query('select server_version()') // warm-up, outside the window
  w.start()
  const result = await query(job.sql)
  const data = result.getData()
  let n = 0
  if (asObjects) {
    const names = result.getMeta().map((m) => m.columnName)
    for (const row of data) {
      const o = {}
      for (let c = 0; c < names.length; c++) o[names[c]] = row[c]
      n++
    }
  } else {
    for (const _row of data) n++
  }
  w.stop(n)
}

const workloads = {
  rows: () => fetch(false),
  objects: () => fetch(true),
  'small-query': () => w.queries(job, smallQuery, false),
  latency: () => w.queries(job, smallQuery, true),
}
const run = workloads[job.workload]
if (run === undefined) unsupported(`@tdengine/rest: no ${job.workload} workload here`)
else await run()
