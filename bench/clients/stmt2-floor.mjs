// The stmt2 floor: what an insert costs a Node process that builds the stmt2 bind message itself,
// in plain JS, with no library. Same data as every client (bench/lib/data.mjs, plain or typed
// arrays), the same statement and the same calls in the window as taosjs (bench/clients/taosjs.mjs):
// per batch one binary 9 `stmt2_bind` and one `stmt2_exec`, each awaited.
//
// The encoder writes the wire layout directly (taosAdapter's stmt2 bind, §5.2.2–5.2.3 of the
// protocol reference) and checks nothing a client library must check (JS types, ranges, lengths
// against the placeholder): it is the least work that turns these values into these bytes. It
// takes the columns' types from the prepare reply, as a client has to. It shares no code with
// taosjs (its UTF-8 loop is its own): a floor must not run the library it is the floor of.
// After the window it counts the rows stored.
import { STABLE_SQL, STMT2_SQL, plainColumns, stmt2Batches, typedColumns } from '../lib/data.mjs'

/** Wire type ids (TDengine's TSDB_DATA_TYPE_*) the bench's statement uses, and their kin. */
const T = { BOOL: 1, TINYINT: 2, SMALLINT: 3, INT: 4, BIGINT: 5, FLOAT: 6, DOUBLE: 7, VARCHAR: 8, TIMESTAMP: 9, NCHAR: 10 }
const T_UTINYINT = 11
const T_USMALLINT = 12
const T_UINT = 13
const T_UBIGINT = 14
const T_JSON = 15
const VARIABLE = new Set([T.VARCHAR, T.NCHAR, T_JSON, 16 /* varbinary */, 20 /* geometry */])
const SIZE = { [T.BOOL]: 1, [T.TINYINT]: 1, [T.SMALLINT]: 2, [T.INT]: 4, [T.BIGINT]: 8, [T.FLOAT]: 4, [T.DOUBLE]: 8, [T.TIMESTAMP]: 8, [T_UTINYINT]: 1, [T_USMALLINT]: 2, [T_UINT]: 4, [T_UBIGINT]: 8 }
const TWO_32 = 4294967296

/** A growable byte buffer with a DataView, reused from bind to bind (exported to time the encoder alone). */
export class Stmt2Writer {
  constructor() {
    this.buf = new Uint8Array(1 << 20)
    this.dv = new DataView(this.buf.buffer)
    this.at = 0
  }

  room(n) {
    if (this.at + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(2 * this.buf.length, this.at + n))
    next.set(this.buf.subarray(0, this.at))
    this.buf = next
    this.dv = new DataView(next.buffer)
  }

  /**
   * The whole binary 9 frame for `names[i]`, `tags[i]` (one value per tag) and `datas[i]` (one
   * column per column placeholder), with `tagTypes`/`colTypes` from the prepare reply.
   */
  bind(reqId, stmtId, names, tags, datas, tagTypes, colTypes) {
    const count = names.length
    this.at = 0
    this.room(58 + 6 * count)
    const dv = this.dv
    dv.setBigUint64(0, reqId, true)
    dv.setBigUint64(8, stmtId, true)
    dv.setBigUint64(16, 9n, true)
    dv.setUint16(24, 1, true)
    dv.setInt32(26, -1, true)
    const p = 30
    dv.setUint32(p + 4, count, true)
    dv.setUint32(p + 8, tagTypes.length, true)
    dv.setUint32(p + 12, colTypes.length, true)
    dv.setUint32(p + 16, 28, true)
    // Table names: count × u16 length (with the NUL), then the names, NUL-terminated.
    let at = p + 28 + 2 * count
    for (let t = 0; t < count; t++) {
      const name = names[t]
      this.at = at
      this.room(3 * name.length + 1)
      at = utf8(this.buf, name, at)
      this.buf[at++] = 0
      this.dv.setUint16(p + 28 + 2 * t, at - this.at, true)
    }
    this.at = at
    this.dv.setUint32(p + 20, tagTypes.length === 0 ? 0 : this.at - p, true)
    if (tagTypes.length > 0) this.section(count, (t) => tags[t], tagTypes, true)
    this.dv.setUint32(p + 24, colTypes.length === 0 ? 0 : this.at - p, true)
    if (colTypes.length > 0) this.section(count, (t) => datas[t], colTypes, false)
    this.dv.setUint32(p, this.at - p, true)
    return this.buf.subarray(0, this.at)
  }

  /** count × u32 per-table length, then each table's records (tags: one value each). */
  section(count, valuesOf, types, single) {
    const lengthsAt = this.at
    this.room(4 * count)
    this.at += 4 * count
    for (let t = 0; t < count; t++) {
      const start = this.at
      const values = valuesOf(t)
      for (let k = 0; k < types.length; k++) this.record(types[k], single ? [values[k]] : values[k])
      this.dv.setUint32(lengthsAt + 4 * t, this.at - start, true)
    }
  }

  /** One field record: u32 total, i32 type, i32 num, is_null[num], u8 have_length, [i32 lengths[num]], u32 buffer length, buffer. */
  record(type, values) {
    const n = values.length
    if (VARIABLE.has(type)) return this.variable(type, values, n)
    const size = SIZE[type]
    this.room(18 + n * (1 + size))
    const start = this.at
    const dv = this.dv
    const buf = this.buf
    dv.setInt32(start + 4, type, true)
    dv.setInt32(start + 8, n, true)
    const nulls = start + 12
    buf[nulls + n] = 0 // have_length
    const data = nulls + n + 5
    if (ArrayBuffer.isView(values)) {
      // A typed array of the column's width: its bytes are the buffer; it has no NULL.
      buf.fill(0, nulls, nulls + n)
      buf.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), data)
      return this.endFixed(start, data, n * size)
    }
    let nullCount = 0
    let at = data
    switch (type) {
      case T.BOOL:
      case T.TINYINT:
      case T_UTINYINT:
        for (let i = 0; i < n; i++) {
          const v = values[i]
          if (v === null || v === undefined) {
            buf[nulls + i] = 1
            buf[at] = 0
            nullCount++
          } else {
            buf[nulls + i] = 0
            buf[at] = v === true ? 1 : v === false ? 0 : v
          }
          at += 1
        }
        break
      case T.SMALLINT:
      case T_USMALLINT:
        for (let i = 0; i < n; i++) {
          const v = values[i]
          const isNull = v === null || v === undefined
          buf[nulls + i] = isNull ? 1 : 0
          if (isNull) nullCount++
          dv.setUint16(at, isNull ? 0 : v & 0xffff, true)
          at += 2
        }
        break
      case T.INT:
      case T_UINT:
        for (let i = 0; i < n; i++) {
          const v = values[i]
          const isNull = v === null || v === undefined
          buf[nulls + i] = isNull ? 1 : 0
          if (isNull) nullCount++
          dv.setInt32(at, isNull ? 0 : v | 0, true)
          at += 4
        }
        break
      case T.BIGINT:
      case T.TIMESTAMP:
      case T_UBIGINT:
        for (let i = 0; i < n; i++) {
          const v = values[i]
          const isNull = v === null || v === undefined
          buf[nulls + i] = isNull ? 1 : 0
          if (isNull) {
            nullCount++
            dv.setBigInt64(at, 0n, true)
          } else if (typeof v === 'bigint') dv.setBigInt64(at, v, true)
          else {
            // An integer double as two 32-bit halves, without a BigInt.
            dv.setUint32(at, v >>> 0, true)
            dv.setInt32(at + 4, Math.floor(v / TWO_32), true)
          }
          at += 8
        }
        break
      case T.FLOAT:
        for (let i = 0; i < n; i++) {
          const v = values[i]
          const isNull = v === null || v === undefined
          buf[nulls + i] = isNull ? 1 : 0
          if (isNull) nullCount++
          dv.setFloat32(at, isNull ? 0 : v, true)
          at += 4
        }
        break
      case T.DOUBLE:
        for (let i = 0; i < n; i++) {
          const v = values[i]
          const isNull = v === null || v === undefined
          buf[nulls + i] = isNull ? 1 : 0
          if (isNull) nullCount++
          dv.setFloat64(at, isNull ? 0 : v, true)
          at += 8
        }
        break
      default:
        throw new Error(`stmt2 floor: type ${type} is not written here`)
    }
    // Every value NULL: the buffer is empty.
    return this.endFixed(start, data, n > 0 && nullCount === n ? 0 : n * size)
  }

  endFixed(start, data, bufferLength) {
    this.dv.setUint32(data - 4, bufferLength, true)
    this.at = data + bufferLength
    this.dv.setUint32(start, this.at - start, true)
  }

  /** A text record: the values' UTF-8 bytes one after another, a length per row (0 for NULL). */
  variable(type, values, n) {
    this.room(17 + 5 * n)
    const start = this.at
    let dv = this.dv
    dv.setInt32(start + 4, type, true)
    dv.setInt32(start + 8, n, true)
    const nulls = start + 12
    this.buf[nulls + n] = 1 // have_length
    const lengths = nulls + n + 1
    const data = lengths + 4 * n + 4
    let at = data
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (v === null || v === undefined) {
        this.buf[nulls + i] = 1
        this.dv.setInt32(lengths + 4 * i, 0, true)
        continue
      }
      this.buf[nulls + i] = 0
      if (at + 3 * v.length > this.buf.length) {
        this.at = at
        this.room(3 * v.length)
      }
      const end = utf8(this.buf, v, at)
      this.dv.setInt32(lengths + 4 * i, end - at, true)
      at = end
    }
    dv = this.dv
    dv.setUint32(data - 4, at - data, true)
    this.at = at
    dv.setUint32(start, at - start, true)
  }
}

/** Writes `text` as UTF-8 at `at` (room for 3 bytes per UTF-16 unit); where it ends. A lone surrogate becomes U+FFFD. */
function utf8(out, text, at) {
  const n = text.length
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) out[at++] = c
    else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6)
      out[at++] = 0x80 | (c & 0x3f)
    } else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? text.charCodeAt(i + 1) : 0
        if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          out[at++] = 0xf0 | (cp >> 18)
          out[at++] = 0x80 | ((cp >> 12) & 0x3f)
          out[at++] = 0x80 | ((cp >> 6) & 0x3f)
          out[at++] = 0x80 | (cp & 0x3f)
          i++
          continue
        }
        c = 0xfffd
      }
      out[at++] = 0xe0 | (c >> 12)
      out[at++] = 0x80 | ((c >> 6) & 0x3f)
      out[at++] = 0x80 | (c & 0x3f)
    }
  }
  return at
}

/**
 * The floor's stmt2 workloads over its connection: `roundTrip(frame)` sends a frame and resolves
 * with the next message (JSON replies parsed), `exec(sql)` runs a statement, `count(sql)` the
 * value of a one-row BIGINT query.
 */
export function stmt2Workloads({ job, w, roundTrip, exec, count }) {
  let reqId = 1n << 40n // apart from the connection's query ids
  const call = async (action, args) => {
    const reply = await roundTrip(JSON.stringify({ action, args: { req_id: Number(reqId++), ...args } }))
    if (reply.code !== 0) throw new Error(`${action}: ${reply.code} ${reply.message}`)
    return reply
  }
  const insert = async (columns) => {
    await exec(`drop database if exists ${job.db}`)
    await exec(`create database ${job.db}`)
    await exec(STABLE_SQL(job.db))
    await exec(`use ${job.db}`)
    const batches = stmt2Batches(job, columns)
    const { stmt_id } = await call('stmt2_init', { single_stb_insert: true, single_table_bind_once: false })
    const stmtId = BigInt(stmt_id)
    const prepared = await call('stmt2_prepare', { stmt_id, sql: STMT2_SQL(job.db), get_fields: true })
    const typesOf = (bindType) => prepared.fields.filter((f) => f.bind_type === bindType).map((f) => f.field_type)
    const tagTypes = typesOf(2)
    const colTypes = typesOf(1)
    const writer = new Stmt2Writer()
    w.start()
    let n = 0
    for (const { names, tags, datas } of batches) {
      const bound = await roundTrip(writer.bind(reqId++, stmtId, names, tags, datas, tagTypes, colTypes))
      if (bound.code !== 0) throw new Error(`stmt2_bind: ${bound.code} ${bound.message}`)
      n += (await call('stmt2_exec', { stmt_id })).affected
    }
    w.stop(n)
    await call('stmt2_close', { stmt_id })
    // The rows really are in the table, not only counted by the server's replies.
    const stored = await count(`select count(*) from ${job.db}.meters`)
    if (stored !== job.rows) throw new Error(`stmt2 floor: ${stored} rows stored, expected ${job.rows}`)
  }
  return {
    'stmt2-arrays': () => insert(plainColumns),
    'stmt2-typed': () => insert(typedColumns),
  }
}
