// The floors: what the protocol itself costs a Node process, with no client library. Speaks
// taosAdapter's /ws directly through the `ws` package (bench/node_modules) and decodes nothing:
//  - small-query / latency: the same messages taosjs sends for one small query (binary query,
//    then fetch_raw_block until the server says finished), one query after another;
//  - blocks: the same block bytes off the socket for the big query, each copied once into a
//    buffer (the least any client can do to keep them);
//  - stmt2-arrays / stmt2-typed: the stmt2 bind message built in plain JS (./stmt2-floor.mjs).
import { createRequire } from 'node:module'
import { stmt2Workloads } from './stmt2-floor.mjs'
import { Window, job as readJob, unsupported } from './window.mjs'

const job = readJob()
const WebSocket = createRequire(import.meta.url)('ws')
// The stmt2 floor sends ≈ 0.7 MB a bind: `ws` would mask it in a JS loop (its native helper,
// bufferutil, is not installed), which costs more than building the bytes and which native
// clients do at memory speed. With a zero mask (servers accept it; RFC 6455 wants masks
// unpredictable, against proxies, which a floor need not heed) `ws` skips the masking: the
// floor counts building and writing the bytes.
const zeroMask = job.workload.startsWith('stmt2-') ? { generateMask: (mask) => mask.fill(0) } : {}
const ws = new WebSocket(`ws://${job.host}:${job.port}/ws`, { perMessageDeflate: false, ...zeroMask })
ws.binaryType = 'nodebuffer'
await new Promise((resolve, reject) => {
  ws.once('open', resolve)
  ws.once('error', reject)
})
const w = new Window()

let waiting = null
ws.on('message', (data, isBinary) => {
  const settle = waiting
  waiting = null
  settle?.(isBinary ? data : JSON.parse(data.toString()))
})
/** Sends one frame and resolves with the next message (the protocol answers in order here). */
function roundTrip(frame) {
  return new Promise((resolve) => {
    waiting = resolve
    ws.send(frame)
  })
}

let reqId = 1n
function binaryQuery(sql) {
  const text = Buffer.from(sql)
  const b = Buffer.alloc(30 + text.length)
  b.writeBigUInt64LE(reqId++, 0)
  b.writeBigUInt64LE(6n, 16) // action 6: binary query
  b.writeUInt16LE(1, 24)
  b.writeUInt32LE(text.length, 26)
  text.copy(b, 30)
  return b
}
function fetchRawBlock(resultId) {
  const b = Buffer.alloc(26)
  b.writeBigUInt64LE(reqId++, 0)
  b.writeBigUInt64LE(resultId, 8)
  b.writeBigUInt64LE(7n, 16) // action 7: fetch_raw_block
  b.writeUInt16LE(1, 24)
  return b
}

/** Runs one query; `onBlock(frame, blockStart)` sees each fetch_raw_block reply with data. */
async function query(sql, onBlock) {
  const reply = await roundTrip(binaryQuery(sql))
  if (reply.code !== 0) throw new Error(`${sql}: ${reply.message}`)
  const resultId = BigInt(reply.id)
  for (;;) {
    const frame = await roundTrip(fetchRawBlock(resultId))
    const code = frame.readUInt32LE(34)
    const msgEnd = 42 + frame.readUInt32LE(38)
    if (code !== 0) throw new Error(`fetch_raw_block: code ${code}`)
    if (frame[msgEnd + 8] !== 0) return // finished
    onBlock(frame, msgEnd + 13)
  }
}

const conn = await roundTrip(JSON.stringify({ action: 'conn', args: { req_id: 0, user: job.user, password: job.password, db: '' } }))
if (conn.code !== 0) throw new Error(`conn: ${conn.message}`)

/** One small query; resolves to the blocks it carried (the floor decodes no rows). */
async function smallQuery() {
  let blocks = 0
  await query(job.sql, () => blocks++)
  return blocks
}

/** Runs a statement that returns no rows. */
async function exec(sql) {
  const reply = await roundTrip(binaryQuery(sql))
  if (reply.code !== 0) throw new Error(`${sql}: ${reply.message}`)
}

/** The value of a query of one BIGINT in one row (raw block: 28-byte header, 5 bytes of schema, 4 of length, 1 of null bitmap). */
async function count(sql) {
  let value
  await query(sql, (frame, start) => {
    if (frame.readInt32LE(start + 8) !== 1 || frame.readInt32LE(start + 12) !== 1) throw new Error(`${sql}: expected one row of one column`)
    value = Number(frame.readBigInt64LE(start + 38))
  })
  return value
}

const workloads = {
  ...stmt2Workloads({ job, w, roundTrip, exec, count }),
  'small-query': () => w.queries(job, smallQuery, false),
  latency: () => w.queries(job, smallQuery, true),
  blocks: async () => {
    w.start()
    let rows = 0
    let copy = Buffer.alloc(0)
    await query(job.sql, (frame, start) => {
      const len = frame.length - start
      if (copy.length < len) copy = Buffer.allocUnsafe(len)
      frame.copy(copy, 0, start)
      rows += copy.readInt32LE(8) // raw block header: i32 version, i32 length, i32 rows, …
    })
    w.stop(rows)
  },
}
try {
  const run = workloads[job.workload]
  if (run === undefined) unsupported(`floor: no ${job.workload} workload here`)
  else await run()
} finally {
  ws.close()
}
