/**
 * An insert's stmt2 bind written as the message itself: the bytes taosAdapter takes for binary
 * action 9, which the core checks in place and sends as they are (the layout, and every check,
 * is `crates/taosjs-core/src/stmt2_message.rs`'s; this is its writer). No second encoding on the
 * connection's thread.
 *
 * It writes only values whose wire bytes need no judgement: integers of the column's range,
 * numbers, bigints, booleans, Dates, strings and bytes for their usual columns, typed arrays of
 * the column's own type. At anything else — a DECIMAL, a value to convert (text into a number,
 * a bigint into a SMALLINT) or to refuse, a table of the wrong shape — it gives up before the
 * bind is sent, and the bind goes the general way (`bind.ts` into `bind-pack.ts`'s layout, the
 * core converting), whose checks name the table, column, row and value.
 *
 * @internal
 */
import { BindMemory, takeSpare } from './bind-pack.js'
import { isTypedColumn, toTimestamp, type TypedColumn } from './bind.js'
import type { NativeStmtField } from './native.js'
import { TypeId } from './types.js'

/** The first 8 bytes, where the session writes the req_id: "TJS2BIND" (`stmt2_message::MARKER`). */
const MARKER = [0x54, 0x4a, 0x53, 0x32, 0x42, 0x49, 0x4e, 0x44]
/** Bytes before the payload, and of the payload's own header. */
const HEADER = 30
const PAYLOAD_HEADER = 28
const ACTION_STMT2_BIND = 9

const TWO_32 = 4294967296
const F32_MAX = 3.4028234663852886e38
const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n
const U64_MAX = 2n ** 64n - 1n
/** Units per millisecond for precision codes whose Date values stay exact as doubles (ms, us). */
const MS_SCALE: readonly (number | undefined)[] = [1, 1000]

/** Bytes per value of the fixed-width types this writer writes. */
const SIZE: Partial<Record<number, number>> = {
  [TypeId.Bool]: 1,
  [TypeId.TinyInt]: 1,
  [TypeId.UTinyInt]: 1,
  [TypeId.SmallInt]: 2,
  [TypeId.USmallInt]: 2,
  [TypeId.Int]: 4,
  [TypeId.UInt]: 4,
  [TypeId.Float]: 4,
  [TypeId.BigInt]: 8,
  [TypeId.UBigInt]: 8,
  [TypeId.Double]: 8,
  [TypeId.Timestamp]: 8,
}

/** Range of the integer columns written from numbers. */
const RANGE: Partial<Record<number, readonly [number, number]>> = {
  [TypeId.TinyInt]: [-128, 127],
  [TypeId.UTinyInt]: [0, 255],
  [TypeId.SmallInt]: [-32768, 32767],
  [TypeId.USmallInt]: [0, 65535],
  [TypeId.Int]: [-2147483648, 2147483647],
  [TypeId.UInt]: [0, 4294967295],
}

/** The column type whose wire bytes a typed array's bytes are. */
function sameWire(values: TypedColumn, ty: number): boolean {
  if (values instanceof Int8Array) return ty === TypeId.TinyInt
  if (values instanceof Uint8Array) return ty === TypeId.UTinyInt || ty === TypeId.Bool
  if (values instanceof Int16Array) return ty === TypeId.SmallInt
  if (values instanceof Uint16Array) return ty === TypeId.USmallInt
  if (values instanceof Int32Array) return ty === TypeId.Int
  if (values instanceof Uint32Array) return ty === TypeId.UInt
  if (values instanceof BigInt64Array) return ty === TypeId.BigInt || ty === TypeId.Timestamp
  if (values instanceof BigUint64Array) return ty === TypeId.UBigInt
  if (values instanceof Float32Array) return ty === TypeId.Float
  return values instanceof Float64Array && ty === TypeId.Double
}

const isNull = (v: unknown): boolean => v === null || v === undefined

/** A statement's placeholders as the writer reads them. */
export interface InsertPlaceholders {
  tagFields: readonly NativeStmtField[]
  colFields: readonly NativeStmtField[]
  /** The SQL takes `?` as table name. */
  named: boolean
}

/** The tables of one insert, as the facade has them. */
interface TableData {
  name?: string | null
  tags?: readonly unknown[] | null
  columns: readonly unknown[]
}

/** A one-value column for a tag (reused: emptied after each record). */
const ONE: unknown[] = [undefined]

class MessageWriter extends BindMemory {
  /** Writes the message of `tables`; `false` at the first thing it leaves to the general way. */
  insert(p: InsertPlaceholders, tables: readonly TableData[]): boolean {
    const count = tables.length
    const { tagFields, colFields, named } = p
    if (count === 0 || (!named && count !== 1) || !this.shapesFit(p, tables)) return false
    this.reserve(HEADER + PAYLOAD_HEADER, 8)
    this.u8.set(MARKER, 0)
    const dv = this.dv
    for (let i = 8; i < 24; i += 4) dv.setUint32(i, 0, true)
    dv.setUint8(16, ACTION_STMT2_BIND)
    dv.setUint16(24, 1, true)
    dv.setInt32(26, -1, true)
    dv.setUint32(HEADER + 4, count, true)
    dv.setUint32(HEADER + 8, tagFields.length, true)
    dv.setUint32(HEADER + 12, colFields.length, true)
    dv.setUint32(HEADER + 16, named ? PAYLOAD_HEADER : 0, true)
    if (named) this.names(tables)
    this.dv.setUint32(HEADER + 20, tagFields.length === 0 ? 0 : this.at - HEADER, true)
    if (tagFields.length > 0 && !this.section(tables, tagFields, true)) return false
    this.dv.setUint32(HEADER + 24, colFields.length === 0 ? 0 : this.at - HEADER, true)
    if (colFields.length > 0 && !this.section(tables, colFields, false)) return false
    this.dv.setUint32(HEADER, this.at - HEADER, true)
    return true
  }

  finish(): Uint8Array {
    return new Uint8Array(this.buf, 0, this.at)
  }

  /** Every table: a name when the SQL takes one (and only then), a value per tag, equally long columns. */
  private shapesFit(p: InsertPlaceholders, tables: readonly TableData[]): boolean {
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]
      if (t === null || typeof t !== 'object') return false
      const name = t.name ?? undefined
      if (p.named ? typeof name !== 'string' || name === '' || name.length > 16000 || name.includes('\0') : name !== undefined) return false
      const tags = t.tags ?? []
      if (!Array.isArray(tags) || tags.length !== p.tagFields.length) return false
      const columns = t.columns ?? []
      if (!Array.isArray(columns) || columns.length !== p.colFields.length) return false
      let rows = -1
      for (let k = 0; k < columns.length; k++) {
        const c: unknown = columns[k]
        const n = Array.isArray(c) || isTypedColumn(c) ? c.length : 0
        if (n === 0 || (rows >= 0 && n !== rows)) return false
        rows = n
      }
    }
    return true
  }

  /** count × u16 (bytes + NUL), then each name and its NUL. */
  private names(tables: readonly TableData[]): void {
    const lengthsAt = this.reserve(2 * tables.length, 1)
    for (let i = 0; i < tables.length; i++) {
      const name = tables[i]!.name as string
      const at = this.reserve(3 * name.length + 1, 1)
      const end = this.utf8At(name, at)
      this.u8[end] = 0
      this.trim(end + 1)
      this.dv.setUint16(lengthsAt + 2 * i, end + 1 - at, true)
    }
  }

  /** count × u32 (each table's records' bytes), then each table's records. */
  private section(tables: readonly TableData[], fields: readonly NativeStmtField[], tags: boolean): boolean {
    const lengthsAt = this.reserve(4 * tables.length, 1)
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!
      const start = this.at
      for (let k = 0; k < fields.length; k++) {
        let ok: boolean
        if (tags) {
          ONE[0] = t.tags![k]
          ok = this.record(fields[k]!, ONE)
          ONE[0] = undefined
        } else ok = this.record(fields[k]!, t.columns[k])
        if (!ok) return false
      }
      this.dv.setUint32(lengthsAt + 4 * i, this.at - start, true)
    }
    return true
  }

  private record(f: NativeStmtField, values: unknown): boolean {
    const ty = f.type
    if (!Array.isArray(values)) return isTypedColumn(values) && sameWire(values, ty) && this.typed(ty, values)
    switch (ty) {
      case TypeId.VarChar:
      case TypeId.NChar:
      case TypeId.Json:
        return this.texts(ty, values)
      case TypeId.VarBinary:
      case TypeId.Blob:
      case TypeId.Geometry:
        return this.bytes(ty, values)
      default:
        return SIZE[ty] !== undefined && this.fixed(f, values)
    }
  }

  /** The record's header for `n` rows: total (written at the end), type, num. */
  private head(ty: number, n: number, room: number): number {
    const start = this.reserve(room, 1)
    this.dv.setInt32(start + 4, ty, true)
    this.dv.setInt32(start + 8, n, true)
    return start
  }

  /** Closes the record at `start` whose bytes end at `end`. */
  private close(start: number, end: number): void {
    this.trim(end)
    this.dv.setUint32(start, end - start, true)
  }

  private typed(ty: number, values: TypedColumn): boolean {
    const n = values.length
    const size = values.BYTES_PER_ELEMENT
    const start = this.head(ty, n, 17 + n + n * size)
    const u8 = this.u8
    const nulls = start + 12
    u8.fill(0, nulls, nulls + n + 1) // no NULL; have_length 0
    const data = nulls + n + 5
    this.dv.setUint32(data - 4, n * size, true)
    if (ty === TypeId.Bool) for (let i = 0; i < n; i++) u8[data + i] = values[i] !== 0 ? 1 : 0
    else u8.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), data)
    this.close(start, data + n * size)
    return true
  }

  /**
   * A fixed-width column from a plain array: every value checked to be exactly what goes out
   * (one tight loop per type), NULL rows zero; every row NULL: no values at all.
   */
  private fixed(f: NativeStmtField, values: readonly unknown[]): boolean {
    const ty = f.type
    const n = values.length
    const size = SIZE[ty]!
    const start = this.head(ty, n, 17 + n + n * size)
    const nulls = start + 12
    this.u8[nulls + n] = 0 // have_length
    const data = nulls + n + 5
    const range = RANGE[ty]
    let nullCount: number
    if (range !== undefined) nullCount = this.integers(values, nulls, data, size, range[0], range[1])
    else if (ty === TypeId.Bool) nullCount = this.booleans(values, nulls, data)
    else if (ty === TypeId.Float || ty === TypeId.Double) nullCount = this.floats(values, nulls, data, ty === TypeId.Float)
    else if (ty === TypeId.Timestamp) nullCount = this.timestamps(values, nulls, data, f.precision)
    else nullCount = this.wideIntegers(values, nulls, data, ty === TypeId.UBigInt)
    if (nullCount < 0) return false
    const length = nullCount === n ? 0 : n * size
    this.dv.setUint32(data - 4, length, true)
    this.close(start, data + length)
    return true
  }

  /** Integers of `lo..hi` as `size`-byte values at `data`, flags at `nulls`; the NULL count, or -1 at a value left to the core. */
  private integers(values: readonly unknown[], nulls: number, data: number, size: number, lo: number, hi: number): number {
    const u8 = this.u8
    const dv = this.dv
    const n = values.length
    let nullCount = 0
    for (let i = 0, at = data; i < n; i++, at += size) {
      const v = values[i]
      if (typeof v === 'number') {
        // An integer of the column's range (-0 is 0, as the core's conversion makes it).
        if (!(v >= lo && v <= hi && Math.floor(v) === v)) return -1
        u8[nulls + i] = 0
        if (size === 4) dv.setUint32(at, v >>> 0, true)
        else if (size === 1) u8[at] = v & 0xff
        else dv.setUint16(at, v & 0xffff, true)
      } else if (v === null || v === undefined) {
        u8[nulls + i] = 1
        nullCount++
        if (size === 4) dv.setUint32(at, 0, true)
        else if (size === 1) u8[at] = 0
        else dv.setUint16(at, 0, true)
      } else return -1
    }
    return nullCount
  }

  private booleans(values: readonly unknown[], nulls: number, data: number): number {
    const u8 = this.u8
    const n = values.length
    let nullCount = 0
    for (let i = 0; i < n; i++) {
      const v = values[i]
      let b = 0
      if (v === true || v === 1) b = 1
      else if (v === null || v === undefined) nullCount++
      else if (v !== false && v !== 0) return -1
      u8[nulls + i] = v === null || v === undefined ? 1 : 0
      u8[data + i] = b
    }
    return nullCount
  }

  /** FLOAT or DOUBLE from numbers (NaN's bits and a value beyond FLOAT are left to the core). */
  private floats(values: readonly unknown[], nulls: number, data: number, f32: boolean): number {
    const u8 = this.u8
    const dv = this.dv
    const n = values.length
    let nullCount = 0
    const size = f32 ? 4 : 8
    for (let i = 0, at = data; i < n; i++, at += size) {
      const v = values[i]
      if (typeof v === 'number') {
        if (v !== v) return -1
        u8[nulls + i] = 0
        if (!f32) dv.setFloat64(at, v, true)
        else if (v <= F32_MAX && v >= -F32_MAX) dv.setFloat32(at, v, true)
        else if (v === Infinity || v === -Infinity) dv.setFloat32(at, v, true)
        else return -1
      } else if (v === null || v === undefined) {
        u8[nulls + i] = 1
        nullCount++
        if (f32) dv.setUint32(at, 0, true)
        else dv.setFloat64(at, 0, true)
      } else return -1
    }
    return nullCount
  }

  /** TIMESTAMP from integer numbers, Dates, bigints and ISO text, in the statement's precision. */
  private timestamps(values: readonly unknown[], nulls: number, data: number, precision: number): number {
    const u8 = this.u8
    const dv = this.dv
    const n = values.length
    const perMs = MS_SCALE[precision]
    let nullCount = 0
    for (let i = 0, at = data; i < n; i++, at += 8) {
      const v = values[i]
      if (v === null || v === undefined) {
        u8[nulls + i] = 1
        nullCount++
        dv.setFloat64(at, 0, true)
        continue
      }
      u8[nulls + i] = 0
      const units = typeof v === 'number' ? v : v instanceof Date && perMs !== undefined ? v.getTime() * perMs : NaN
      if (Number.isSafeInteger(units)) {
        dv.setUint32(at, units >>> 0, true)
        dv.setInt32(at + 4, Math.floor(units / TWO_32), true)
        continue
      }
      if (typeof v === 'number') return -1
      const t = toTimestamp(v, precision)
      if (typeof t !== 'bigint') return -1
      dv.setBigInt64(at, t, true)
    }
    return nullCount
  }

  /** BIGINT or BIGINT UNSIGNED from integer numbers (exact below 2^53) and bigints. */
  private wideIntegers(values: readonly unknown[], nulls: number, data: number, unsigned: boolean): number {
    const u8 = this.u8
    const dv = this.dv
    const n = values.length
    let nullCount = 0
    for (let i = 0, at = data; i < n; i++, at += 8) {
      const v = values[i]
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v) || (unsigned && v < 0)) return -1
        u8[nulls + i] = 0
        dv.setUint32(at, v >>> 0, true)
        dv.setInt32(at + 4, Math.floor(v / TWO_32), true)
      } else if (v === null || v === undefined) {
        u8[nulls + i] = 1
        nullCount++
        dv.setFloat64(at, 0, true)
      } else if (typeof v === 'bigint') {
        if (unsigned ? v < 0n || v > U64_MAX : v < I64_MIN || v > I64_MAX) return -1
        u8[nulls + i] = 0
        if (unsigned) dv.setBigUint64(at, v, true)
        else dv.setBigInt64(at, v, true)
      } else return -1
    }
    return nullCount
  }

  /** Strings as UTF-8, a length per row (0 for NULL); whether they fit is the core's check. */
  private texts(ty: number, values: readonly unknown[]): boolean {
    const n = values.length
    let units = 0
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (typeof v === 'string') units += v.length
      else if (!isNull(v)) return false
    }
    const start = this.head(ty, n, 17 + 5 * n)
    const nulls = start + 12
    const lengths = nulls + n + 1
    const data = lengths + 4 * n + 4
    this.trim(data)
    this.reserve(3 * units, 1)
    const u8 = this.u8
    const dv = this.dv
    u8[nulls + n] = 1 // have_length
    let at = data
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (typeof v !== 'string') {
        u8[nulls + i] = 1
        dv.setUint32(lengths + 4 * i, 0, true)
        continue
      }
      u8[nulls + i] = 0
      const end = this.utf8At(v, at)
      dv.setUint32(lengths + 4 * i, end - at, true)
      at = end
    }
    dv.setUint32(data - 4, at - data, true)
    this.close(start, at)
    return true
  }

  /** Byte strings (Buffer, Uint8Array) as they are. */
  private bytes(ty: number, values: readonly unknown[]): boolean {
    const n = values.length
    let total = 0
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (v instanceof Uint8Array) total += v.length
      else if (!isNull(v)) return false
    }
    const start = this.head(ty, n, 17 + 5 * n + total)
    const u8 = this.u8
    const dv = this.dv
    const nulls = start + 12
    u8[nulls + n] = 1 // have_length
    const lengths = nulls + n + 1
    const data = lengths + 4 * n + 4
    let at = data
    for (let i = 0; i < n; i++) {
      const v = values[i]
      if (!(v instanceof Uint8Array)) {
        u8[nulls + i] = 1
        dv.setUint32(lengths + 4 * i, 0, true)
        continue
      }
      u8[nulls + i] = 0
      u8.set(v, at)
      dv.setUint32(lengths + 4 * i, v.length, true)
      at += v.length
    }
    dv.setUint32(data - 4, total, true)
    this.close(start, at)
    return true
  }
}

/**
 * The stmt2 message of an insert's `tables`, or `null` when something in them is left to the
 * general way (see the module's comment); then the memory goes back for that way to use.
 */
export function writeInsertMessage(p: InsertPlaceholders, tables: readonly TableData[]): Uint8Array | null {
  const writer = new MessageWriter(takeSpare())
  if (writer.insert(p, tables)) return writer.finish()
  writer.giveBack()
  return null
}
