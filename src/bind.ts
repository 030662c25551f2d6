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
import { isBuffer, utf8Bytes } from './bytes.js'
import { StatementError } from './errors.js'
import type { NativeBindKind, NativeStmtField } from './native.js'
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
 * Where converted columns go: one memory the conversion writes into through the sink's views at
 * offsets it reserves (no typed array per column), then `column` takes the regions written as
 * one column. A stmt2 bind's packer (`bind-pack.ts`), or stmt v1's column objects.
 */
export interface ColumnSink<T> {
  /** Views of the sink's whole memory; a {@link ColumnSink.reserve} may replace them: read them after it. */
  readonly u8: Uint8Array
  readonly i32: Int32Array
  readonly u32: Uint32Array
  readonly f64: Float64Array
  readonly i64: BigInt64Array
  readonly u64: BigUint64Array
  /**
   * The byte offset of `n` bytes aligned to `align`, NOT zeroed (a stmt2 bind reuses the last
   * bind's buffer): every byte the core reads must be written (a null mask is zeroed at its
   * column's first NULL, or reserved with {@link ColumnSink.zeroed}).
   */
  reserve(n: number, align: number): number
  /** {@link ColumnSink.reserve}, zeroed: for a null mask, where only the NULL rows are written. */
  zeroed(n: number, align: number): number
  /** Gives back what the last reservation did not use: the memory in use now ends at `end`. */
  trim(end: number): void
  /** Writes `text` as UTF-8 at byte offset `at` (room for 3 bytes per UTF-16 unit reserved); where it ends. */
  utf8At(text: string, at: number): number
  /** Copies a caller's typed array in whole; its byte offset. */
  copy(values: TypedColumn): number
  /**
   * The column of `rows` values at `dataAt` (`dataLen` bytes), with `rows + 1` u32 offsets at
   * `offsetsAt` (`str`/`bytes`) and a null mask of `rows` bytes at `nullsAt` (-1: none).
   */
  column(kind: NativeBindKind, dataAt: number, dataLen: number, rows: number, nullsAt: number, offsetsAt: number, type?: number): T
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
 * Strings as one UTF-8 buffer with `n + 1` offsets, each value written straight into the sink
 * (no joined copy of the column). `null`/`undefined` are empty.
 */
function packStrings<T>(parts: ReadonlyArray<unknown>, nullsAt: number, sink: ColumnSink<T>, type?: number, known = -1): T {
  const n = parts.length
  let units = known
  if (units < 0) {
    units = 0
    for (let i = 0; i < n; i++) {
      const p = parts[i]
      if (typeof p === 'string') units += p.length
    }
  }
  const offsetsAt = sink.reserve(4 * (n + 1), 4)
  // At most 3 bytes per UTF-16 unit; what is not used is given back below.
  const dataAt = sink.reserve(3 * units, 1)
  const offsets = sink.u32
  const first = offsetsAt >>> 2
  offsets[first] = 0
  let at = dataAt
  for (let i = 0; i < n; i++) {
    const p = parts[i]
    if (typeof p === 'string') at = sink.utf8At(p, at)
    offsets[first + i + 1] = at - dataAt
  }
  sink.trim(at)
  return sink.column('str', dataAt, at - dataAt, n, nullsAt, offsetsAt, type)
}

/** Byte strings packed into one buffer with offsets. */
function packBytes<T>(parts: Array<Uint8Array | null>, nullsAt: number, sink: ColumnSink<T>, type?: number): T {
  const n = parts.length
  const offsetsAt = sink.reserve(4 * (n + 1), 4)
  sink.u32[offsetsAt >>> 2] = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    total += parts[i]?.length ?? 0
    sink.u32[(offsetsAt >>> 2) + i + 1] = total
  }
  const dataAt = sink.reserve(total, 1)
  const data = sink.u8
  for (let i = 0; i < n; i++) {
    const p = parts[i]
    if (p != null) data.set(p, dataAt + sink.u32[(offsetsAt >>> 2) + i]!)
  }
  return sink.column('bytes', dataAt, total, n, nullsAt, offsetsAt, type)
}

/**
 * An integer column: numbers as f64 (exact up to 2^53; the core refuses fractions and values out
 * of the column's range), bigints as i64/u64 when they fit, else as decimal text for the core
 * to refuse with the value.
 */
function integerColumn<T>(values: readonly unknown[], wide: boolean, at: Place, target: BindTarget, sink: ColumnSink<T>, type?: number): T {
  // Plain loops: forEach closures and TypedArray.from with a map function cost more per value
  // than the value's conversion. One pass checks and writes the numbers and the null mask; with
  // a bigint among them the numbers written are left unused (the column goes as i64, u64 or
  // text below).
  const n = values.length
  let hasBigint = false
  let hasNull = false
  const dataAt = sink.reserve(8 * n, 8)
  const maskAt = sink.reserve(n, 1)
  const out = sink.f64
  const mask = sink.u8
  const first = dataAt >>> 3
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (typeof v === 'number') {
      // A 64-bit value JavaScript rounded is not the value the caller meant.
      if (wide && !Number.isSafeInteger(v) && Number.isInteger(v)) fail(at, target, values, i, 'is beyond 2^53 as a number: use a bigint')
      out[first + i] = v
    } else if (v === null || v === undefined) {
      markNull(mask, maskAt, n, i, hasNull)
      hasNull = true
    } else if (typeof v === 'bigint') hasBigint = true
    else fail(at, target, values, i, 'is not an integer')
  }
  if (!hasBigint) return fixedColumn(sink, 'f64', dataAt, n, maskAt, hasNull, type)
  const nullsAt = hasNull ? maskAt : -1
  const ints = values.map((v) => (typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null))
  const exact = values.every((v, i) => v === null || v === undefined || ints[i] !== null)
  if (exact && ints.every((x) => x === null || (x >= I64_MIN && x <= I64_MAX))) {
    const wideAt = sink.reserve(8 * n, 8)
    const out = sink.i64
    ints.forEach((x, i) => (out[(wideAt >>> 3) + i] = x ?? 0n))
    return sink.column('i64', wideAt, 8 * n, n, nullsAt, -1, type)
  }
  if (exact && ints.every((x) => x === null || (x >= 0n && x <= U64_MAX))) {
    const wideAt = sink.reserve(8 * n, 8)
    const out = sink.u64
    ints.forEach((x, i) => (out[(wideAt >>> 3) + i] = x ?? 0n))
    return sink.column('u64', wideAt, 8 * n, n, nullsAt, -1, type)
  }
  return packStrings(values.map((v) => (v === null || v === undefined ? null : String(v))), nullsAt, sink, type)
}

/**
 * Marks row `i` NULL in the mask of `n` bytes at `maskAt`. Such a mask is reserved unzeroed
 * (given back when the column has no NULL, the common case): the column's first NULL
 * (`seen` false) zeroes it.
 */
function markNull(mask: Uint8Array, maskAt: number, n: number, i: number, seen: boolean): void {
  if (!seen) mask.fill(0, maskAt, maskAt + n)
  mask[maskAt + i] = 1
}

/**
 * Ends a fixed-width column of `n` values at `dataAt` whose null mask was reserved right after
 * them, at `maskAt`: without a NULL the mask is given back.
 */
function fixedColumn<T>(sink: ColumnSink<T>, kind: NativeBindKind, dataAt: number, n: number, maskAt: number, hasNull: boolean, type?: number): T {
  if (!hasNull) sink.trim(maskAt)
  return sink.column(kind, dataAt, maskAt - dataAt, n, hasNull ? maskAt : -1, -1, type)
}

/** Marks the NULLs (`null`/`undefined`) of `values` in the mask at `maskAt`, reserved at the first one (-1: none yet); the mask's offset or -1. */
function nullMask<T>(values: readonly unknown[], sink: ColumnSink<T>, maskAt = -1): number {
  const n = values.length
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v !== null && v !== undefined) continue
    if (maskAt < 0) maskAt = sink.zeroed(n, 1)
    sink.u8[maskAt + i] = 1
  }
  return maskAt
}

/** Throws the error for `values[row]`, a value of the wrong JavaScript type. */
function fail(place: Place, target: BindTarget, values: readonly unknown[], row: number, reason: string): never {
  throw jsTypeError(place, target.typeName, row, values[row], reason)
}

const isNull = (v: unknown): boolean => v === null || v === undefined

/**
 * Converts a column (or a single tag/parameter as a one-value column) for a placeholder of
 * type `target`. Throws a {@link StatementError} naming the place and row of the first value of
 * the wrong JavaScript type; everything else is checked by the core. `type`: the wire type a
 * query parameter is sent as.
 */
export function toBindColumn<T>(values: ColumnInput, target: BindTarget, place: Place, sink: ColumnSink<T>, type?: number): T {
  const ty = target.type
  if (!Array.isArray(values)) {
    if (isTypedColumn(values)) return sink.column(typedKind(values, ty), sink.copy(values), values.byteLength, values.length, -1, -1, type)
    throw new StatementError(`${where(place, target.typeName)}: values must be an array or a typed array, got ${show(values)}`)
  }
  const n = values.length
  // Fixed-width columns mark their NULLs in the pass that converts them, in a mask reserved
  // right after the values (given back when there is none).
  switch (ty) {
    case TypeId.TinyInt:
    case TypeId.SmallInt:
    case TypeId.Int:
    case TypeId.UTinyInt:
    case TypeId.USmallInt:
    case TypeId.UInt:
    case TypeId.BigInt:
    case TypeId.UBigInt:
      return integerColumn(values, ty === TypeId.BigInt || ty === TypeId.UBigInt, place, target, sink, type)
    case TypeId.Bool: {
      const dataAt = sink.reserve(n, 1)
      const maskAt = sink.reserve(n, 1)
      const out = sink.u8
      let hasNull = false
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === 'boolean') out[dataAt + i] = v ? 1 : 0
        else if (v === 0 || v === 1) out[dataAt + i] = v
        else if (isNull(v)) {
          markNull(out, maskAt, n, i, hasNull)
          hasNull = true
        } else fail(place, target, values, i, 'is not a boolean')
      }
      return fixedColumn(sink, 'bool', dataAt, n, maskAt, hasNull, type)
    }
    case TypeId.Float:
    case TypeId.Double: {
      const dataAt = sink.reserve(8 * n, 8)
      const maskAt = sink.reserve(n, 1)
      const out = sink.f64
      const mask = sink.u8
      const first = dataAt >>> 3
      let hasNull = false
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === 'number') out[first + i] = v
        else if (typeof v === 'bigint') out[first + i] = Number(v)
        else if (isNull(v)) {
          markNull(mask, maskAt, n, i, hasNull)
          hasNull = true
        } else fail(place, target, values, i, 'is not a number')
      }
      return fixedColumn(sink, 'f64', dataAt, n, maskAt, hasNull, type)
    }
    case TypeId.Timestamp: {
      const dataAt = sink.reserve(8 * n, 8)
      const maskAt = sink.reserve(n, 1)
      // Integer numbers and millisecond Dates are written as two 32-bit halves, without a BigInt.
      const words = sink.i32
      const mask = sink.u8
      const first = dataAt >>> 2
      const perMs = MS_SCALE[target.precision]
      let hasNull = false
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (isNull(v)) {
          markNull(mask, maskAt, n, i, hasNull)
          hasNull = true
          continue
        }
        const units = typeof v === 'number' && Number.isSafeInteger(v) ? v : v instanceof Date && perMs !== undefined ? v.getTime() * perMs : NaN
        if (Number.isSafeInteger(units)) {
          words[first + 2 * i] = units | 0
          words[first + 2 * i + 1] = Math.floor(units / 4294967296)
          continue
        }
        const t = toTimestamp(v, target.precision)
        if (typeof t === 'string') fail(place, target, values, i, t)
        sink.i64[(dataAt >>> 3) + i] = t as bigint
      }
      return fixedColumn(sink, 'ts', dataAt, n, maskAt, hasNull, type)
    }
    case TypeId.VarChar:
    case TypeId.NChar:
    case TypeId.Json: {
      // Strings and NULLs (the common case) are written as they are, without a copy of the
      // array; this pass also marks the NULLs and counts the UTF-16 units.
      let parts: readonly unknown[] = values
      let maskAt = -1
      let units = 0
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === 'string') {
          units += v.length
          continue
        }
        if (isNull(v)) {
          if (maskAt < 0) maskAt = sink.zeroed(n, 1)
          sink.u8[maskAt + i] = 1
          continue
        }
        maskAt = nullMask(values, sink, maskAt)
        units = -1
        parts = values.map((v, i) => {
          if (isNull(v)) return null
          if (typeof v === 'string') return v
          if (ty === TypeId.Json && typeof v === 'object' && !(v instanceof Uint8Array)) {
            try {
              return JSON.stringify(v)
            } catch {
              return fail(place, target, values, i, 'cannot be written as JSON')
            }
          }
          return fail(place, target, values, i, ty === TypeId.Json ? 'is not JSON text or an object' : 'is not a string')
        })
        break
      }
      return packStrings(parts, maskAt, sink, type, units)
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
        return fail(place, target, values, i, ty === TypeId.Geometry ? 'is not WKB bytes (Buffer or Uint8Array)' : 'is not a Buffer or Uint8Array')
      })
      return packBytes(parts, nullMask(values, sink), sink, type)
    }
    case TypeId.Decimal:
    case TypeId.Decimal64: {
      // Decimal text; whether it is a number and fits DECIMAL(p,s) is the core's check.
      const parts = values.map((v, i) => {
        if (isNull(v)) return null
        if (typeof v === 'string') return v.trim()
        if (typeof v === 'bigint' || typeof v === 'number') return String(v)
        return fail(place, target, values, i, 'is not a decimal number (string, number or bigint)')
      })
      return packStrings(parts, nullMask(values, sink), sink, type)
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
  return toBindColumn(values, target, place, sink, type)
}
