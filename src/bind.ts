/**
 * JS values → columns for prepared statements. This file only turns JavaScript values into one
 * column per placeholder (typed arrays pass through as a view of their bytes) and reports what
 * only JavaScript can get wrong: a value of the wrong JavaScript type for the column (a string for
 * an INT, an object for a VARCHAR), or a number that JavaScript cannot hold exactly. Every shape,
 * range, length and type check against the placeholder — and the error that names table, column,
 * row and value — is the Rust core's, done once before anything is sent.
 *
 * The conversion writes into arrays a {@link ColumnSink} hands out: fresh typed arrays for stmt
 * v1 (a `NativeBindColumn` per placeholder), regions of one buffer for stmt2 (`bind-pack.ts`:
 * a whole bind crosses into the core as ONE `Uint8Array`).
 *
 * @internal
 */
import { isBuffer, utf8Bytes, utf8Length, utf8Write } from './bytes.js'
import { StatementError } from './errors.js'
import type { NativeBindColumn, NativeBindKind, NativeStmtField } from './native.js'
import { TypeId } from './types.js'

/** Typed arrays accepted as whole columns (zero conversion). */
export type TypedColumn =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array

/** The values of one column: a plain array (`null`/`undefined` = NULL) or a typed array. */
export type ColumnInput = readonly unknown[] | TypedColumn

/** Where a value sits, for error messages. */
export interface Place {
  /** `"table d1"`, `"table #2"` or `""` for query parameters. */
  table: string
  /** `"column"`, `"tag"` or `"parameter"`. */
  role: string
  name: string
}

/**
 * Where converted columns go. The arrays it hands out start zeroed and are filled by the
 * conversion; `column` then takes them (or any other bytes: a caller's typed array) as one
 * column.
 */
export interface ColumnSink<T> {
  f64(n: number): Float64Array
  i64(n: number): BigInt64Array
  u64(n: number): BigUint64Array
  u8(n: number): Uint8Array
  u32(n: number): Uint32Array
  /** `text` as UTF-8, in the sink's memory. */
  utf8(text: string): Uint8Array
  column(kind: NativeBindKind, data: Uint8Array, offsets?: Uint32Array, nulls?: Uint8Array, type?: number): T
}

/** Fresh arrays, one `NativeBindColumn` per column (stmt v1, which binds a table at a time). */
export const COLUMN_OBJECTS: ColumnSink<NativeBindColumn> = {
  f64: (n) => new Float64Array(n),
  i64: (n) => new BigInt64Array(n),
  u64: (n) => new BigUint64Array(n),
  u8: (n) => new Uint8Array(n),
  u32: (n) => new Uint32Array(n),
  utf8: utf8Bytes,
  column(kind, data, offsets, nulls, type) {
    const col: NativeBindColumn = { kind, data }
    if (offsets !== undefined) col.offsets = offsets
    if (nulls !== undefined) col.nulls = nulls
    if (type !== undefined) col.type = type
    return col
  },
}

/** The placeholder a column is converted for: its type, and its name in messages. */
export type BindTarget = Pick<NativeStmtField, 'type' | 'typeName' | 'precision'>

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'bigint') return `${value}n`
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()})`
  if (value instanceof Uint8Array) return `<${value.length} bytes>`
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value)
    } catch {
      return Object.prototype.toString.call(value)
    }
  }
  return String(value)
}

function where(place: Place, typeName: string): string {
  return `${place.table === '' ? '' : `${place.table}, `}${place.role} ${place.name} (${typeName})`
}

/** A value of the wrong JavaScript type for its column. */
function jsTypeError(place: Place, typeName: string, row: number, value: unknown, reason: string): StatementError {
  return new StatementError(`${where(place, typeName)}, row ${row}: ${show(value)} ${reason}`)
}

const I64_MIN = -(2n ** 63n)
const I64_MAX = 2n ** 63n - 1n
const U64_MAX = 2n ** 64n - 1n

/** The kind a typed array crosses as. */
function typedKind(values: TypedColumn, ty: number | undefined): NativeBindKind {
  if (values instanceof Int8Array) return 'i8'
  if (values instanceof Uint8Array) return ty === TypeId.Bool ? 'bool' : 'u8'
  if (values instanceof Int16Array) return 'i16'
  if (values instanceof Uint16Array) return 'u16'
  if (values instanceof Int32Array) return 'i32'
  if (values instanceof Uint32Array) return 'u32'
  // A BigInt64Array for a TIMESTAMP is epoch counts in the statement's precision.
  if (values instanceof BigInt64Array) return ty === TypeId.Timestamp ? 'ts' : 'i64'
  if (values instanceof BigUint64Array) return 'u64'
  if (values instanceof Float32Array) return 'f32'
  return 'f64'
}

export function bytesOf(values: TypedColumn): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
}

export function isTypedColumn(values: unknown): values is TypedColumn {
  return ArrayBuffer.isView(values) && !(values instanceof DataView) && !isBuffer(values)
}

const NS_PER_UNIT = [1_000_000n, 1_000n, 1n] as const
/** Units per millisecond for precision codes whose Date values stay exact as doubles (ms, us). */
const MS_SCALE: readonly (number | undefined)[] = [1, 1000]

/** Epoch count of `value` in precision `code` (0 ms, 1 us, 2 ns), or a reason it is not one. */
export function toTimestamp(value: unknown, code: number): bigint | string {
  const perUnit = NS_PER_UNIT[code] ?? 1_000_000n
  if (value instanceof Date) {
    const ms = value.getTime()
    if (Number.isNaN(ms)) return 'is an invalid Date'
    return (BigInt(ms) * 1_000_000n) / perUnit
  }
  if (typeof value === 'bigint') {
    return value < I64_MIN || value > I64_MAX ? 'is out of range for a timestamp' : value
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return Number.isInteger(value) ? 'is beyond 2^53: use a bigint' : 'is not an integer timestamp'
    return BigInt(value)
  }
  if (typeof value === 'string') {
    // Keep the digits below the millisecond that Date cannot hold.
    const m = /^(.*\d{2}:\d{2}:\d{2})\.(\d+)(.*)$/.exec(value.trim())
    const base = m === null ? value.trim() : `${m[1]}${m[3]}`
    const ms = Date.parse(base)
    if (Number.isNaN(ms)) return 'is not a date-time text (use ISO 8601)'
    const fraction = m === null ? 0n : BigInt(m[2]!.padEnd(9, '0').slice(0, 9))
    return (BigInt(ms) * 1_000_000n + fraction) / perUnit
  }
  return 'is not a timestamp (Date, bigint, number or ISO text)'
}

/**
 * Strings as one UTF-8 buffer with offsets, encoded in ONE call for the whole column (a call
 * per value costs more than the value); the offsets come from the JS lengths when the column is
 * ASCII, else from each value's UTF-8 length counted in JS. `null`/`undefined` join as ''.
 */
function packStrings<T>(parts: ReadonlyArray<unknown>, nulls: Uint8Array | undefined, sink: ColumnSink<T>): T {
  const joined = parts.join('')
  let data = sink.utf8(joined)
  const ascii = data.length === joined.length
  const offsets = sink.u32(parts.length + 1)
  let total = 0
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string | null | undefined
    if (p !== null && p !== undefined) total += ascii ? p.length : utf8Length(p)
    offsets[i + 1] = total
  }
  if (total !== data.length) {
    // Halves of a surrogate pair in two neighbouring values joined into one character: encode
    // value by value so that each keeps its own bytes.
    data = sink.u8(total)
    parts.forEach((p, i) => {
      if (p !== null && p !== undefined) utf8Write(p as string, data, offsets[i]!)
    })
  }
  return sink.column('str', data, offsets, nulls)
}

/** Byte strings packed into one buffer with offsets. */
function packBytes<T>(parts: Array<Uint8Array | null>, nulls: Uint8Array | undefined, sink: ColumnSink<T>): T {
  const offsets = sink.u32(parts.length + 1)
  let total = 0
  parts.forEach((p, i) => {
    total += p === null ? 0 : p.length
    offsets[i + 1] = total
  })
  const data = sink.u8(total)
  parts.forEach((p, i) => {
    if (p !== null) data.set(p, offsets[i]!)
  })
  return sink.column('bytes', data, offsets, nulls)
}

/**
 * An integer column: numbers as f64 (exact up to 2^53; the core refuses fractions and values out
 * of the column's range), bigints as i64/u64 when they fit, else as decimal text for the core
 * to refuse with the value.
 */
function integerColumn<T>(
  values: readonly unknown[],
  wide: boolean,
  fail: (i: number, reason: string) => never,
  nulls: Uint8Array | undefined,
  sink: ColumnSink<T>,
): T {
  // Plain loops: forEach closures and TypedArray.from with a map function cost more per value
  // than the value's conversion. One pass checks and writes the numbers; with a bigint among
  // them the numbers written are left unused (the column goes as i64, u64 or text below).
  const n = values.length
  let hasBigint = false
  const out = sink.f64(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (typeof v === 'number') {
      // A 64-bit value JavaScript rounded is not the value the caller meant.
      if (wide && !Number.isSafeInteger(v) && Number.isInteger(v)) fail(i, 'is beyond 2^53 as a number: use a bigint')
      out[i] = v
    } else if (typeof v === 'bigint') hasBigint = true
    else if (v !== null && v !== undefined) fail(i, 'is not an integer')
  }
  if (!hasBigint) return sink.column('f64', bytesOf(out), undefined, nulls)
  const ints = values.map((v) => (typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null))
  const exact = values.every((v, i) => v === null || v === undefined || ints[i] !== null)
  if (exact && ints.every((x) => x === null || (x >= I64_MIN && x <= I64_MAX))) {
    const out = sink.i64(n)
    ints.forEach((x, i) => (out[i] = x ?? 0n))
    return sink.column('i64', bytesOf(out), undefined, nulls)
  }
  if (exact && ints.every((x) => x === null || (x >= 0n && x <= U64_MAX))) {
    const out = sink.u64(n)
    ints.forEach((x, i) => (out[i] = x ?? 0n))
    return sink.column('u64', bytesOf(out), undefined, nulls)
  }
  return packStrings(values.map((v) => (v === null || v === undefined ? null : String(v))), nulls, sink)
}

/**
 * Converts a column (or a single tag/parameter as a one-value column) for a placeholder of
 * type `target`. Throws a {@link StatementError} naming the place and row of the first value of
 * the wrong JavaScript type; everything else is checked by the core.
 */
export function toBindColumn<T>(values: ColumnInput, target: BindTarget, place: Place, sink: ColumnSink<T>): T {
  const ty = target.type
  if (isTypedColumn(values)) {
    return sink.column(typedKind(values, ty), bytesOf(values))
  }
  if (!Array.isArray(values)) {
    throw new StatementError(`${where(place, target.typeName)}: values must be an array or a typed array, got ${show(values)}`)
  }
  const n = values.length
  let nullMask: Uint8Array | undefined
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v !== null && v !== undefined) continue
    nullMask ??= sink.u8(n)
    nullMask[i] = 1
  }
  const isNull = (v: unknown): boolean => v === null || v === undefined
  const fail = (i: number, reason: string): never => {
    throw jsTypeError(place, target.typeName, i, values[i], reason)
  }

  switch (ty) {
    case TypeId.TinyInt:
    case TypeId.SmallInt:
    case TypeId.Int:
    case TypeId.UTinyInt:
    case TypeId.USmallInt:
    case TypeId.UInt:
    case TypeId.BigInt:
    case TypeId.UBigInt:
      return integerColumn(values, ty === TypeId.BigInt || ty === TypeId.UBigInt, fail, nullMask, sink)
    case TypeId.Bool: {
      const out = sink.u8(n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === 'boolean') out[i] = v ? 1 : 0
        else if (v === 0 || v === 1) out[i] = v
        else if (!isNull(v)) fail(i, 'is not a boolean')
      }
      return sink.column('bool', out, undefined, nullMask)
    }
    case TypeId.Float:
    case TypeId.Double: {
      const out = sink.f64(n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === 'number') out[i] = v
        else if (typeof v === 'bigint') out[i] = Number(v)
        else if (!isNull(v)) fail(i, 'is not a number')
      }
      return sink.column('f64', bytesOf(out), undefined, nullMask)
    }
    case TypeId.Timestamp: {
      const out = sink.i64(n)
      // Integer numbers and millisecond Dates are written as two 32-bit halves, without a BigInt.
      const words = new Int32Array(out.buffer, out.byteOffset, 2 * n)
      const perMs = MS_SCALE[target.precision]
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (isNull(v)) continue
        const units = typeof v === 'number' && Number.isSafeInteger(v) ? v : v instanceof Date && perMs !== undefined ? v.getTime() * perMs : NaN
        if (Number.isSafeInteger(units)) {
          words[2 * i] = units | 0
          words[2 * i + 1] = Math.floor(units / 4294967296)
          continue
        }
        const t = toTimestamp(v, target.precision)
        if (typeof t === 'string') fail(i, t)
        out[i] = t as bigint
      }
      return sink.column('ts', bytesOf(out), undefined, nullMask)
    }
    case TypeId.VarChar:
    case TypeId.NChar:
    case TypeId.Json: {
      // Strings and NULLs (the common case) are joined as they are, without a copy of the array.
      let parts: readonly unknown[] = values
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === 'string' || isNull(v)) continue
        parts = values.map((v, i) => {
          if (isNull(v)) return null
          if (typeof v === 'string') return v
          if (ty === TypeId.Json && typeof v === 'object' && !(v instanceof Uint8Array)) {
            try {
              return JSON.stringify(v)
            } catch {
              return fail(i, 'cannot be written as JSON')
            }
          }
          return fail(i, ty === TypeId.Json ? 'is not JSON text or an object' : 'is not a string')
        })
        break
      }
      return packStrings(parts, nullMask, sink)
    }
    case TypeId.VarBinary:
    case TypeId.Blob:
    case TypeId.MediumBlob:
    case TypeId.Geometry: {
      const parts = values.map((v, i) => {
        if (isNull(v)) return null
        if (v instanceof Uint8Array) return v
        if (v instanceof ArrayBuffer) return new Uint8Array(v)
        if (typeof v === 'string' && ty !== TypeId.Geometry) return utf8Bytes(v)
        return fail(i, ty === TypeId.Geometry ? 'is not WKB bytes (Buffer or Uint8Array)' : 'is not a Buffer or Uint8Array')
      })
      return packBytes(parts, nullMask, sink)
    }
    case TypeId.Decimal:
    case TypeId.Decimal64: {
      // Decimal text; whether it is a number and fits DECIMAL(p,s) is the core's check.
      const parts = values.map((v, i) => {
        if (isNull(v)) return null
        if (typeof v === 'string') return v.trim()
        if (typeof v === 'bigint' || typeof v === 'number') return String(v)
        return fail(i, 'is not a decimal number (string, number or bigint)')
      })
      return packStrings(parts, nullMask, sink)
    }
    default:
      throw new StatementError(`${where(place, target.typeName)}: this type cannot be bound`)
  }
}

/**
 * A query parameter has no declared type: it is sent in the type of its JS value (integer
 * numbers and bigints as BIGINT, other numbers as DOUBLE, strings as VARCHAR, booleans as BOOL,
 * Dates as millisecond TIMESTAMP, Buffers as VARBINARY). NULL travels as a NULL VARCHAR.
 */
function paramType(value: unknown, place: Place): number {
  if (value === null || value === undefined || typeof value === 'string') return TypeId.VarChar
  if (typeof value === 'boolean') return TypeId.Bool
  if (typeof value === 'bigint') return TypeId.BigInt
  if (typeof value === 'number') return Number.isSafeInteger(value) ? TypeId.BigInt : TypeId.Double
  if (value instanceof Date) return TypeId.Timestamp
  if (value instanceof Uint8Array) return TypeId.VarBinary
  throw new StatementError(`${place.role} ${place.name}: ${show(value)} cannot be sent as a parameter`)
}

const PARAM_NAMES: Record<number, string> = {
  [TypeId.VarChar]: 'VARCHAR',
  [TypeId.Bool]: 'BOOL',
  [TypeId.BigInt]: 'BIGINT',
  [TypeId.Double]: 'DOUBLE',
  [TypeId.Timestamp]: 'TIMESTAMP',
  [TypeId.VarBinary]: 'VARBINARY',
}

/**
 * A query parameter as a column typed by its (first non-NULL) value: normally one value; the
 * core refuses a parameter that is not exactly one value.
 */
export function toParamColumn<T>(values: readonly unknown[], place: Place, sink: ColumnSink<T>): T {
  const type = paramType(values.find((v) => v !== null && v !== undefined), place)
  const target: BindTarget = { type, typeName: PARAM_NAMES[type]!, precision: 0 }
  const typed: ColumnSink<T> = {
    f64: (n) => sink.f64(n),
    i64: (n) => sink.i64(n),
    u64: (n) => sink.u64(n),
    u8: (n) => sink.u8(n),
    u32: (n) => sink.u32(n),
    utf8: (text) => sink.utf8(text),
    column: (kind, data, offsets, nulls) => sink.column(kind, data, offsets, nulls, type),
  }
  return toBindColumn(values, target, place, typed)
}
