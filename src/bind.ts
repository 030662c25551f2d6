/**
 * JS values → columns for prepared statements. Plain arrays are converted cell by cell here,
 * checked against the placeholder's type (a {@link StatementError} naming table, column and row
 * before anything is sent); typed arrays pass through as a view of their bytes (the Rust core
 * checks their ranges). Either way one object crosses into native code per column.
 *
 * @internal
 */
import { StatementError } from './errors.js'
import { TypeId, type NativeBindColumn, type NativeBindKind, type NativeStmtField } from './native.js'
import { TYPE_NAMES } from './types.js'

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

function describe(place: Place, typeName: string): string {
  return `${place.table === '' ? '' : `${place.table}, `}${place.role} ${place.name} (${typeName})`
}

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

export function fieldTypeName(f: NativeStmtField): string {
  const base = TYPE_NAMES[f.type] ?? `UNKNOWN(${f.type})`
  if (f.type === TypeId.Decimal || f.type === TypeId.Decimal64) return f.precision > 0 ? `${base}(${f.precision},${f.scale})` : base
  if (f.type === TypeId.VarChar || f.type === TypeId.VarBinary || f.type === TypeId.Geometry) return f.bytes > 2 ? `${base}(${f.bytes - 2})` : base
  if (f.type === TypeId.NChar) return f.bytes > 2 ? `${base}(${(f.bytes - 2) / 4})` : base
  return base
}

export function statementError(place: Place, typeName: string, message: string): StatementError {
  return new StatementError(`${describe(place, typeName)}: ${message}`)
}

function cellError(place: Place, typeName: string, row: number, value: unknown, reason: string): StatementError {
  return new StatementError(`${describe(place, typeName)}, row ${row}: ${show(value)} ${reason}`)
}

const INT_RANGES: Partial<Record<number, { kind: NativeBindKind; lo: number; hi: number; Array: new (n: number) => TypedColumn }>> = {
  [TypeId.TinyInt]: { kind: 'i8', lo: -128, hi: 127, Array: Int8Array },
  [TypeId.SmallInt]: { kind: 'i16', lo: -32768, hi: 32767, Array: Int16Array },
  [TypeId.Int]: { kind: 'i32', lo: -2147483648, hi: 2147483647, Array: Int32Array },
  [TypeId.UTinyInt]: { kind: 'u8', lo: 0, hi: 255, Array: Uint8Array },
  [TypeId.USmallInt]: { kind: 'u16', lo: 0, hi: 65535, Array: Uint16Array },
  [TypeId.UInt]: { kind: 'u32', lo: 0, hi: 4294967295, Array: Uint32Array },
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

function bytesOf(values: TypedColumn): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength)
}

export function isTypedColumn(values: unknown): values is TypedColumn {
  return ArrayBuffer.isView(values) && !(values instanceof DataView) && !Buffer.isBuffer(values)
}

const NS_PER_UNIT = [1_000_000n, 1_000n, 1n] as const

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

const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** Packs strings or byte strings into one buffer with offsets. */
function packVar(parts: Array<Uint8Array | string | null>, kind: 'str' | 'bytes', nulls: Uint8Array | undefined): NativeBindColumn {
  const offsets = new Uint32Array(parts.length + 1)
  let total = 0
  parts.forEach((p, i) => {
    total += p === null ? 0 : typeof p === 'string' ? Buffer.byteLength(p, 'utf8') : p.length
    offsets[i + 1] = total
  })
  const data = Buffer.allocUnsafe(total)
  parts.forEach((p, i) => {
    if (p === null) return
    if (typeof p === 'string') data.write(p, offsets[i]!, 'utf8')
    else data.set(p, offsets[i]!)
  })
  return nulls === undefined ? { kind, data, offsets } : { kind, data, offsets, nulls }
}

/**
 * Converts a column (or a single tag/parameter as a one-value column) for a placeholder of
 * type `field`. Throws a {@link StatementError} naming the place and row of the first value
 * that does not fit.
 */
export function toBindColumn(values: ColumnInput, field: NativeStmtField, place: Place): NativeBindColumn {
  const typeName = fieldTypeName(field)
  const ty = field.type
  if (isTypedColumn(values)) {
    return { kind: typedKind(values, ty), data: bytesOf(values) }
  }
  if (!Array.isArray(values)) {
    throw statementError(place, typeName, `values must be an array or a typed array, got ${show(values)}`)
  }
  const n = values.length
  let nulls: Uint8Array | undefined
  const isNull = (v: unknown, i: number): boolean => {
    if (v !== null && v !== undefined) return false
    nulls ??= new Uint8Array(n)
    nulls[i] = 1
    return true
  }
  const fail = (i: number, reason: string): never => {
    throw cellError(place, typeName, i, values[i], reason)
  }
  const withNulls = (col: NativeBindColumn): NativeBindColumn => (nulls === undefined ? col : { ...col, nulls })

  const intRange = INT_RANGES[ty]
  if (intRange !== undefined) {
    const out = new intRange.Array(n) as unknown as number[]
    values.forEach((v, i) => {
      if (isNull(v, i)) return
      const x = typeof v === 'bigint' && v >= BigInt(intRange.lo) && v <= BigInt(intRange.hi) ? Number(v) : v
      if (typeof x === 'bigint') fail(i, `is out of range [${intRange.lo}, ${intRange.hi}]`)
      if (typeof x !== 'number') fail(i, 'is not an integer')
      const num = x as number
      if (!Number.isInteger(num)) fail(i, Number.isFinite(num) ? 'is not an integer (it has a fraction)' : 'is not an integer')
      if (num < intRange.lo || num > intRange.hi) fail(i, `is out of range [${intRange.lo}, ${intRange.hi}]`)
      out[i] = num
    })
    return withNulls({ kind: intRange.kind, data: bytesOf(out as unknown as TypedColumn) })
  }
  switch (ty) {
    case TypeId.Bool: {
      const out = new Uint8Array(n)
      values.forEach((v, i) => {
        if (isNull(v, i)) return
        if (typeof v === 'boolean') out[i] = v ? 1 : 0
        else if (v === 0 || v === 1) out[i] = v
        else fail(i, 'is not a boolean')
      })
      return withNulls({ kind: 'bool', data: out })
    }
    case TypeId.BigInt:
    case TypeId.UBigInt: {
      const unsigned = ty === TypeId.UBigInt
      const out = unsigned ? new BigUint64Array(n) : new BigInt64Array(n)
      const [lo, hi] = unsigned ? [0n, U64_MAX] : [I64_MIN, I64_MAX]
      values.forEach((v, i) => {
        if (isNull(v, i)) return
        let x: bigint
        if (typeof v === 'bigint') x = v
        else if (typeof v === 'number' && Number.isSafeInteger(v)) x = BigInt(v)
        else if (typeof v === 'number' && Number.isInteger(v)) return fail(i, 'is beyond 2^53 as a number: use a bigint')
        else return fail(i, 'is not an integer')
        if (x < lo || x > hi) fail(i, `is out of range [${lo}, ${hi}]`)
        out[i] = x
      })
      return withNulls({ kind: unsigned ? 'u64' : 'i64', data: bytesOf(out) })
    }
    case TypeId.Float:
    case TypeId.Double: {
      const out = new Float64Array(n)
      values.forEach((v, i) => {
        if (isNull(v, i)) return
        if (typeof v === 'number') out[i] = v
        else if (typeof v === 'bigint') out[i] = Number(v)
        else fail(i, 'is not a number')
        if (ty === TypeId.Float && Number.isFinite(out[i]!) && Math.abs(out[i]!) > 3.4028234663852886e38) fail(i, 'is out of range for FLOAT')
      })
      return withNulls({ kind: 'f64', data: bytesOf(out) })
    }
    case TypeId.Timestamp: {
      const out = new BigInt64Array(n)
      values.forEach((v, i) => {
        if (isNull(v, i)) return
        const t = toTimestamp(v, field.precision)
        if (typeof t === 'string') fail(i, t)
        out[i] = t as bigint
      })
      return withNulls({ kind: 'ts', data: bytesOf(out) })
    }
    case TypeId.VarChar:
    case TypeId.NChar:
    case TypeId.Json: {
      const parts = values.map((v, i) => {
        if (isNull(v, i)) return null
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
      return packVar(parts, 'str', nulls)
    }
    case TypeId.VarBinary:
    case TypeId.Blob:
    case TypeId.MediumBlob:
    case TypeId.Geometry: {
      const parts = values.map((v, i) => {
        if (isNull(v, i)) return null
        if (v instanceof Uint8Array) return v
        if (v instanceof ArrayBuffer) return new Uint8Array(v)
        if (typeof v === 'string' && ty !== TypeId.Geometry) return Buffer.from(v, 'utf8')
        return fail(i, ty === TypeId.Geometry ? 'is not WKB bytes (Buffer or Uint8Array)' : 'is not a Buffer or Uint8Array')
      })
      return packVar(parts, 'bytes', nulls)
    }
    case TypeId.Decimal:
    case TypeId.Decimal64: {
      const parts = values.map((v, i) => {
        if (isNull(v, i)) return null
        const text = typeof v === 'string' ? v.trim() : typeof v === 'bigint' ? v.toString() : typeof v === 'number' && Number.isFinite(v) ? String(v) : null
        if (text === null || !DECIMAL_TEXT.test(text)) return fail(i, 'is not a decimal number (string, number or bigint)')
        return text
      })
      return packVar(parts, 'str', nulls)
    }
    default:
      throw statementError(place, typeName, 'this type cannot be bound')
  }
}

/**
 * A query parameter has no declared type: it is sent in the type of its JS value (integer
 * numbers and bigints as BIGINT, other numbers as DOUBLE, strings as VARCHAR, booleans as BOOL,
 * Dates as millisecond TIMESTAMP, Buffers as VARBINARY). NULL travels as a NULL VARCHAR.
 */
export function paramType(value: unknown, place: Place): number {
  if (value === null || value === undefined || typeof value === 'string') return TypeId.VarChar
  if (typeof value === 'boolean') return TypeId.Bool
  if (typeof value === 'bigint') return TypeId.BigInt
  if (typeof value === 'number') return Number.isSafeInteger(value) ? TypeId.BigInt : TypeId.Double
  if (value instanceof Date) return TypeId.Timestamp
  if (value instanceof Uint8Array) return TypeId.VarBinary
  throw new StatementError(`${place.role} ${place.name}: ${show(value)} cannot be sent as a parameter`)
}

/** A one-value column for a query parameter, typed by its value. */
export function toParamColumn(value: unknown, place: Place): NativeBindColumn {
  const type = paramType(value, place)
  const field: NativeStmtField = { name: place.name, type, precision: 0, scale: 0, bytes: 0, bindType: 3 }
  return { ...toBindColumn([value], field, place), type }
}

/** Rows in a column input. */
export function columnLength(values: ColumnInput): number {
  return values.length
}
