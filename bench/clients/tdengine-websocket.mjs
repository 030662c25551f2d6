// @tdengine/websocket (the official WebSocket client for Node) running one benchmark workload in
// its own process. It is not on the npm registry this project can reach: give a built copy of
// the package directory with PEER_NODE_DIR=/path/to/nodejs (its package.json's main is loaded).
// Uses its 3.x API (sqlConnect/WSConfig, WSRows.next/getData, stmtInit → stmt2, schemalessInsert);
// run here with 3.5.0 built from its public sources.
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { STABLE_SQL, STMT2_SQL, lineBatches, plainColumns, stmt2Batches } from '../lib/data.mjs'
import { Window, job as readJob, unsupported } from './window.mjs'

const job = readJob()
const taos = createRequire(join(job.peerNodeDir, 'package.json'))(job.peerNodeDir)
const conf = new taos.WSConfig(`ws://${job.host}:${job.port}`)
conf.setUser(job.user)
conf.setPwd(job.password)
// Its default 60 s per message is shorter than the embedded server takes to answer the 10M-row
// query on a loaded machine (it materialises the result first); the other clients wait longer.
conf.setTimeOut(600_000)
const sql = await taos.sqlConnect(conf)
const w = new Window()

async function fetch(asObjects) {
  await sql.exec('select server_version()') // warm-up, outside the window
  w.start()
  const rows = await sql.query(job.sql)
  const names = (rows.getMeta() ?? []).map((m) => m.name)
  let n = 0
  while (await rows.next()) {
    const row = rows.getData()
    if (asObjects) {
      const o = {}
      for (let c = 0; c < names.length; c++) o[names[c]] = row[c]
    }
    n++
  }
  await rows.close()
  w.stop(n)
}

async function smallQuery() {
  const rows = await sql.query(job.sql)
  let n = 0
  while (await rows.next()) {
    rows.getData()
    n++
  }
  await rows.close()
  return n
}

async function freshDatabase() {
  await sql.exec(`drop database if exists ${job.db}`)
  await sql.exec(`create database ${job.db}`)
}

/** stmt2 (chosen by stmtInit against a 3.3.6+ server): per table name, tags and bound columns. */
async function stmt2() {
  await freshDatabase()
  await sql.exec(STABLE_SQL(job.db))
  await sql.exec(`use ${job.db}`) // the `?` child names live in the current database
  // Its binder wants bigint for TIMESTAMP/BIGINT: converted before the window, like the data.
  const batches = stmt2Batches(job, (start, n, tsBase) => {
    const cols = plainColumns(start, n, tsBase)
    cols[0] = cols[0].map(BigInt)
    cols[4] = cols[4].map(BigInt)
    return cols
  })
  const stmt = await sql.stmtInit()
  await stmt.prepare(STMT2_SQL(job.db))
  const setters = ['setTimestamp', 'setBoolean', 'setTinyInt', 'setInt', 'setBigint', 'setUInt', 'setFloat', 'setDouble', 'setVarchar', 'setNchar']
  w.start()
  let n = 0
  for (const { names, tags, datas } of batches) {
    for (let t = 0; t < names.length; t++) {
      await stmt.setTableName(names[t])
      const tagParams = stmt.newStmtParam()
      tagParams.setInt(tags[t])
      await stmt.setTags(tagParams)
      const params = stmt.newStmtParam()
      datas[t].forEach((values, c) => params[setters[c]](values))
      await stmt.bind(params)
      await stmt.batch()
    }
    await stmt.exec()
    n += stmt.getLastAffected() ?? 0
  }
  w.stop(n)
  await stmt.close()
}

async function schemaless() {
  await freshDatabase()
  await sql.exec(`use ${job.db}`)
  const batches = lineBatches(job)
  w.start()
  let n = 0
  for (const lines of batches) {
    await sql.schemalessInsert(lines, taos.SchemalessProto.InfluxDBLineProtocol, taos.Precision.MILLI_SECONDS, 0)
    n += lines.length
  }
  w.stop(n)
}

const workloads = {
  rows: () => fetch(false),
  objects: () => fetch(true),
  stream: () => fetch(false),
  'stmt2-arrays': stmt2,
  'small-query': () => w.queries(job, smallQuery, false),
  latency: () => w.queries(job, smallQuery, true),
  schemaless,
}
try {
  const run = workloads[job.workload]
  if (run === undefined) unsupported(`@tdengine/websocket: no ${job.workload} workload here`)
  else await run()
} finally {
  await sql.close()
  taos.destroy?.()
}
