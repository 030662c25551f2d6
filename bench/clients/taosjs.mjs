// taosjs (the built package in dist/) running one benchmark workload in its own process.
//   node bench/clients/taosjs.mjs '<job json>'   (bench/run.mjs writes the job)
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { STABLE_SQL, STMT2_SQL, lineBatches, plainColumns, stmt2Batches, typedColumns } from '../lib/data.mjs'
import { Window, job as readJob, unsupported } from './window.mjs'

const job = readJob()
const taosjs = await import(pathToFileURL(join(job.root, 'dist', 'index.mjs')).href)
const dsn = `ws://${job.user}:${job.password}@${job.host}:${job.port}`
const conn = await taosjs.connect(dsn)
const w = new Window()

/** Reads a whole result through `read(result)`, which returns the rows it saw. */
async function fetchWith(options, read) {
  await (await conn.query('select server_version()')).toArray() // warm-up, outside the window
  w.start()
  const result = await conn.query(job.sql, options)
  const n = await read(result)
  w.stop(n)
}

const workloads = {
  rows: () =>
    fetchWith({ rowMode: 'array' }, async (result) => {
      let n = 0
      for await (const _row of result) n++
      return n
    }),
  objects: () =>
    fetchWith({ rowMode: 'object' }, async (result) => {
      let n = 0
      for await (const _row of result) n++
      return n
    }),
  stream: () => workloads.rows(),
  blocks: () =>
    fetchWith({}, async (result) => {
      let n = 0
      for await (const block of result.blocks()) n += block.rows
      return n
    }),
  // Hooks for the columnar APIs of issue 23: measured as soon as the result has them.
  columns: async () => {
    const probe = await conn.query('select server_version()')
    const has = typeof probe.toColumns === 'function'
    await probe.close()
    if (!has) return unsupported('result.toColumns() does not exist yet')
    return fetchWith({}, async (result) => {
      const columns = await result.toColumns()
      return columnsLength(columns)
    })
  },
  arrow: async () => {
    const probe = await conn.query('select server_version()')
    const has = typeof probe.toArrow === 'function'
    // The probe also loads apache-arrow (once per process), outside the window.
    if (has) await probe.toArrow()
    else await probe.close()
    if (!has) return unsupported('result.toArrow() does not exist yet')
    return fetchWith({}, async (result) => (await result.toArrow()).numRows)
  },
  'stmt2-arrays': () => stmt2(plainColumns),
  'stmt2-typed': () => stmt2(typedColumns),
  'small-query': () => w.queries(job, smallQuery, false),
  latency: () => w.queries(job, smallQuery, true),
  schemaless: async () => {
    await freshDatabase()
    await conn.execute(`use ${job.db}`)
    const batches = lineBatches(job)
    w.start()
    let n = 0
    for (const lines of batches) {
      await conn.schemalessInsert(lines, taosjs.SmlProtocol.LINE, taosjs.SmlPrecision.MILLI_SECONDS)
      n += lines.length
    }
    w.stop(n)
  },
  tmq: async () => {
    const topic = await freshTopic()
    const consumer = await taosjs.tmqConnect({ 'group.id': `${topic}_${process.pid}`, 'auto.offset.reset': 'earliest' }, dsn)
    w.start()
    await consumer.subscribe(topic)
    let n = 0
    for (let idle = 0; n < job.rows; ) {
      const message = await consumer.poll(1000)
      if (message === null) {
        if (++idle === TMQ_IDLE_POLLS) throw new Error(`tmq: ${n} of ${job.rows} rows, then ${idle} empty polls`)
        continue
      }
      idle = 0
      for await (const _row of message) n++
    }
    w.stop(n)
    await consumer.close()
    // TDengine refuses to drop a topic for a moment after its consumer left (0x03EF): each run
    // has a topic of its own, dropped when the server allows, else left to the server's end.
    await conn.execute(`drop topic if exists ${topic}`).catch(() => undefined)
  },
}

/** Empty polls in a row (1 s each) after which the tmq workload gives up instead of waiting forever. */
const TMQ_IDLE_POLLS = 30

/** A topic of this run over the workload's query (a new consumer group reads it from the start). */
async function freshTopic() {
  const topic = `${job.db}_topic_${process.pid}`
  await conn.execute(`create topic ${topic} as ${job.sql}`)
  return topic
}

async function smallQuery() {
  return (await (await conn.query(job.sql)).toArray()).length
}

function columnsLength(columns) {
  const first = Array.isArray(columns) ? columns[0] : Object.values(columns.columns ?? columns)[0]
  return first?.length ?? first?.data?.length ?? 0
}

async function freshDatabase() {
  await conn.execute(`drop database if exists ${job.db}`)
  await conn.execute(`create database ${job.db}`)
}

async function stmt2(columns) {
  await freshDatabase()
  await conn.execute(STABLE_SQL(job.db))
  // `insert into ? using db.stb`: TDengine resolves the `?` child names in the current database
  // (3.3.7.5 refuses the prepare without one: 0x0200 Invalid operation).
  await conn.execute(`use ${job.db}`)
  const batches = stmt2Batches(job, columns)
  const stmt = await conn.statement2(STMT2_SQL(job.db))
  w.start()
  let n = 0
  for (const { names, tags, datas } of batches) {
    await stmt.bindParam(names, tags, datas)
    n += await stmt.execute()
  }
  w.stop(n)
  await stmt.close()
}

try {
  const run = workloads[job.workload]
  if (run === undefined) unsupported(`no workload ${job.workload}`)
  else await run()
} finally {
  await conn.close()
}
