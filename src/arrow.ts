/**
 * Apache Arrow record batches from result blocks, built from the blocks' buffers: a fixed-width
 * column's typed array, a variable column's bytes and offsets and every validity bitmap become
 * Arrow buffers as they are (views, no copy). Only BOOL (Arrow packs booleans into bits) and
 * DECIMAL (the block holds exact text; Arrow wants 128-bit integers) are converted per value.
 * `apache-arrow` is an optional peer dependency, loaded on first use.
 *
 * @internal
 */
import type * as Arrow from 'apache-arrow'
import { asciiSlice } from './bytes.js'
import { countNulls, validityOf } from './columns.js'
import { InterfaceError } from './errors.js'
import type { NativeBlock, NativeColumn } from './native.js'
import { TypeId, type Precision, type TaosField } from './types.js'

export type ArrowModule = typeof Arrow
export type ArrowTable = Arrow.Table
export type ArrowRecordBatch = Arrow.RecordBatch
export type ArrowSchema = Arrow.Schema

let loading: Promise<ArrowModule> | undefined

/** The `apache-arrow` package, or an error that says how to get it. */
export function loadArrow(method: string): Promise<ArrowModule> {
  loading ??= import('apache-arrow').then(
    (m: unknown) => {
      // A CommonJS build seen through `import()` may sit under `default`.
      const module = m as ArrowModule & { default?: ArrowModule }
      return typeof module.makeData === 'function' ? module : module.default!
    },
    (err: unknown) => {
      loading = undefined
      throw new InterfaceError(
        `result.${method}() needs the optional package "apache-arrow", which could not be loaded (install it: npm install apache-arrow): ${(err as Error).message}`,
        { cause: err },
      )
    },
  )
  return loading
}

const UNITS = { ms: 'MILLISECOND', us: 'MICROSECOND', ns: 'NANOSECOND' } as const

function arrowType(arrow: ArrowModule, field: TaosField, precision: Precision, timezone: string): Arrow.DataType {
  switch (field.type) {
    case TypeId.Null:
      return new arrow.Null()
    case TypeId.Bool:
      return new arrow.Bool()
    case TypeId.TinyInt:
      return new arrow.Int8()
    case TypeId.SmallInt:
      return new arrow.Int16()
    case TypeId.Int:
      return new arrow.Int32()
    case TypeId.BigInt:
      return new arrow.Int64()
    case TypeId.UTinyInt:
      return new arrow.Uint8()
    case TypeId.USmallInt:
      return new arrow.Uint16()
    case TypeId.UInt:
      return new arrow.Uint32()
    case TypeId.UBigInt:
      return new arrow.Uint64()
    case TypeId.Float:
      return new arrow.Float32()
    case TypeId.Double:
      return new arrow.Float64()
    case TypeId.Timestamp:
      return new arrow.Timestamp(arrow.TimeUnit[UNITS[precision]], timezone)
    case TypeId.VarChar:
    case TypeId.NChar:
    case TypeId.Json:
      return new arrow.Utf8()
    case TypeId.VarBinary:
    case TypeId.Geometry:
    case TypeId.Blob:
    case TypeId.MediumBlob:
      return new arrow.Binary()
    case TypeId.Decimal:
    case TypeId.Decimal64:
      return new arrow.Decimal(field.scale, field.precision, 128)
    default:
      throw new InterfaceError(`column ${JSON.stringify(field.name)} has type id ${field.type}, which has no Arrow type here`)
  }
}

/**
 * The Arrow schema of a result. Timestamps carry the connection's timezone when it has one, else
 * UTC (TDengine timestamps are instants).
 */
export function arrowSchema(arrow: ArrowModule, fields: readonly TaosField[], precision: Precision, timezone: string | undefined): Arrow.Schema {
  const metadata = (f: TaosField) => new Map([['taos.type', f.typeName]])
  return new arrow.Schema(fields.map((f) => new arrow.Field(f.name, arrowType(arrow, f, precision, timezone ?? 'UTC'), true, metadata(f))))
}

/** Arrow's bit-packed booleans from one byte per row. */
function packBooleans(values: Uint8Array): Uint8Array {
  const bits = new Uint8Array((values.length + 7) >>> 3)
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) bits[i >>> 3]! |= 1 << (i & 7)
  return bits
}

const TWO_64 = 1n << 64n

/** DECIMAL text (exactly `scale` fraction digits) as Arrow's little-endian 128-bit integers. */
function decimalWords(column: NativeColumn, rows: number): Uint32Array {
  const words = new BigUint64Array(rows * 2)
  const data = column.data as Uint8Array
  const o = column.offsets!
  for (let i = 0; i < rows; i++) {
    if (column.nulls[i] !== 0) continue
    let v = BigInt(asciiSlice(data, o[i]!, o[i + 1]!).replace('.', ''))
    if (v < 0n) v += TWO_64 * TWO_64
    words[2 * i] = v & (TWO_64 - 1n)
    words[2 * i + 1] = v >> 64n
  }
  return new Uint32Array(words.buffer)
}

function columnData(arrow: ArrowModule, type: Arrow.DataType, column: NativeColumn, rows: number): Arrow.Data {
  const nullCount = column.nullCount ?? countNulls(column.nulls)
  // Blocks of a TypeScript driver (the WebAssembly build's) come without a bitmap.
  const nullBitmap = nullCount > 0 ? (column.validity ?? validityOf(column.nulls)) : undefined
  const common = { type, length: rows, nullCount, nullBitmap }
  if (arrow.DataType.isNull(type)) return arrow.makeData({ type, length: rows })
  if (arrow.DataType.isBool(type)) return arrow.makeData({ ...common, data: packBooleans(column.data as Uint8Array) } as never)
  if (arrow.DataType.isDecimal(type)) return arrow.makeData({ ...common, data: decimalWords(column, rows) } as never)
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isBinary(type)) {
    const data = column.data as Uint8Array
    return arrow.makeData({ ...common, valueOffsets: column.offsets!, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } as never)
  }
  return arrow.makeData({ ...common, data: column.data } as never)
}

/** One block as an Arrow record batch of `schema`. */
export function recordBatch(arrow: ArrowModule, block: NativeBlock, schema: Arrow.Schema): Arrow.RecordBatch {
  const children = schema.fields.map((f, c) => columnData(arrow, f.type, block.columns[c]!, block.rows))
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: block.rows, nullCount: 0, children })
  return new arrow.RecordBatch(schema, struct)
}
