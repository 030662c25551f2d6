/**
 * Columnar results: a block (or a whole result) as typed arrays, the way the addon hands blocks
 * over, with a NULL mask, Arrow's validity bitmap and on-demand conversion to JS values.
 *
 * @module
 */
import { concatBytes } from './bytes.js'
import type { FixedData, NativeBlock, NativeColumn, TextKind } from './native.js'
import type { TaosField } from './types.js'
import type { ColumnReader } from './values.js'

/**
 * Rows of a result as columns: one block of {@link TaosResult.blocks}, or the whole result from
 * {@link TaosResult.toColumns}. No per-cell work happens unless a value is asked for.
 */
export interface ColumnBlock {
  rows: number
  columns: ResultColumn[]
  /** The column named `name` (the first, if several share it). */
  column(name: string): ResultColumn | undefined
}

/** One column of a {@link ColumnBlock}. */
export interface ResultColumn {
  field: TaosField
  /** One byte per row, 1 = NULL. */
  nulls: Uint8Array
  /** Arrow's validity bitmap: bit `i % 8` of byte `i >> 3` is 1 when row `i` has a value. */
  validity: Uint8Array
  /** How many rows are NULL. */
  nullCount: number
  /**
   * Raw values. Fixed-width types: the matching typed array — BOOL as 0/1 in a Uint8Array,
   * TINYINT … INT UNSIGNED as Int8Array … Uint32Array, BIGINT as BigInt64Array, BIGINT UNSIGNED
   * as BigUint64Array, FLOAT/DOUBLE as Float32Array/Float64Array, TIMESTAMP as a BigInt64Array
   * in the result's unit (ms, us or ns since the epoch); NULL rows hold 0. Variable types: one
   * Buffer (UTF-8 for VARCHAR/NCHAR/JSON and DECIMAL as exact text; the bytes of VARBINARY,
   * GEOMETRY (WKB) and BLOB), value `i` at `offsets[i] … offsets[i + 1]` (an empty range for NULL).
   */
  data: FixedData | Buffer
  /** Variable types: `rows + 1` byte offsets into `data`. */
  offsets: Int32Array | undefined
  /** Value `row` converted exactly as in rows (`null` for NULL). */
  value(row: number): unknown
  /** Every value converted exactly as in rows. */
  values(): unknown[]
}

/** @internal */
export function columnBlock(block: NativeBlock, fields: readonly TaosField[], readers: readonly ColumnReader[]): ColumnBlock {
  const columns = block.columns.map((c, i) => resultColumn(c, fields[i]!, readers[i]!, block.rows))
  return {
    rows: block.rows,
    columns,
    column: (name) => columns.find((c) => c.field.name === name),
  }
}

function resultColumn(c: NativeColumn, field: TaosField, reader: ColumnReader, rows: number): ResultColumn {
  let view: unknown
  let prepared = false
  const value = (row: number): unknown => {
    if (!prepared) {
      view = reader.prepare(c)
      prepared = true
    }
    return c.nulls[row] !== 0 ? null : reader.read(view, row)
  }
  return {
    field,
    nulls: c.nulls,
    validity: c.validity ?? validityOf(c.nulls),
    nullCount: c.nullCount ?? countNulls(c.nulls),
    data: c.data,
    offsets: c.offsets,
    value: (row) => (Number.isInteger(row) && row >= 0 && row < rows ? value(row) : undefined),
    values: () => Array.from({ length: rows }, (_, row) => value(row)),
  }
}

/** Rows that are NULL in a NULL mask. @internal */
export function countNulls(nulls: Uint8Array): number {
  let n = 0
  for (let i = 0; i < nulls.length; i++) n += nulls[i]!
  return n
}

/** Arrow's validity bitmap from one byte per row (1 = NULL). @internal */
export function validityOf(nulls: Uint8Array): Uint8Array {
  const bits = new Uint8Array((nulls.length + 7) >>> 3)
  for (let i = 0; i < nulls.length; i++) if (nulls[i] === 0) bits[i >>> 3]! |= 1 << (i & 7)
  return bits
}

/**
 * One block from several (a whole result): columns copied once into arrays of the total length;
 * variable columns' offsets rebased. One block is returned as it is.
 *
 * @internal
 */
export function concatBlocks(blocks: readonly NativeBlock[], columnCount: number): NativeBlock {
  if (blocks.length === 1) return blocks[0]!
  const rows = blocks.reduce((n, b) => n + b.rows, 0)
  const columns: NativeColumn[] = []
  for (let c = 0; c < columnCount; c++) {
    const parts = blocks.map((b) => b.columns[c]!)
    const nulls = new Uint8Array(rows)
    let at = 0
    for (let b = 0; b < blocks.length; b++) {
      nulls.set(parts[b]!.nulls, at)
      at += blocks[b]!.rows
    }
    const nullCount = parts.reduce((n, p) => n + (p.nullCount ?? countNulls(p.nulls)), 0)
    const column: NativeColumn = { nulls, validity: joinValidity(parts, blocks, nulls), nullCount, data: new Uint8Array(0) }
    const first = parts[0]
    if (first === undefined || first.offsets === undefined) {
      column.data = concatFixed(parts.map((p) => p.data as FixedData), rows, first?.data as FixedData | undefined)
    } else {
      Object.assign(column, concatVar(parts, blocks, rows))
    }
    columns.push(column)
  }
  return { rows, columns }
}

/**
 * The blocks' validity bitmaps joined: copied byte by byte while every block before the last
 * has a multiple of 8 rows (the server's blocks do), else built again from the NULL bytes.
 */
function joinValidity(parts: NativeColumn[], blocks: readonly NativeBlock[], nulls: Uint8Array): Uint8Array {
  const aligned = blocks.every((b, k) => k === blocks.length - 1 || b.rows % 8 === 0) && parts.every((p) => p.validity !== undefined)
  if (!aligned) return validityOf(nulls)
  const bits = new Uint8Array((nulls.length + 7) >>> 3)
  let at = 0
  for (let b = 0; b < blocks.length; b++) {
    bits.set(parts[b]!.validity!.subarray(0, (blocks[b]!.rows + 7) >>> 3), at)
    at += blocks[b]!.rows >>> 3
  }
  return bits
}

function concatFixed(parts: FixedData[], rows: number, sample: FixedData | undefined): FixedData {
  const Kind = (sample?.constructor ?? Uint8Array) as new (n: number) => FixedData
  const out = new Kind(rows)
  let at = 0
  for (const p of parts) {
    ;(out as Uint8Array).set(p as Uint8Array, at)
    at += p.length
  }
  return out
}

function concatVar(parts: NativeColumn[], blocks: readonly NativeBlock[], rows: number): Partial<NativeColumn> {
  const data = concatBytes(parts.map((p, b) => (p.data as Uint8Array).subarray(p.offsets![0]!, p.offsets![blocks[b]!.rows]!)))
  const offsets = new Int32Array(rows + 1)
  const texts = parts.map((p) => p.text)
  // The text kind of the whole: invalid if any part is, ASCII if all are, else UTF-8.
  const text: TextKind | undefined = texts.includes(undefined)
    ? undefined
    : texts.includes(3)
      ? 3
      : texts.every((t) => t === 1)
        ? 1
        : texts.every((t) => t === 0)
          ? 0
          : 2
  const utf16 = text === 2 ? new Int32Array(rows + 1) : undefined
  let row = 0
  let bytes = 0
  let units = 0
  for (let b = 0; b < parts.length; b++) {
    const p = parts[b]!
    const n = blocks[b]!.rows
    const o = p.offsets!
    // ASCII parts: their string offsets are their byte offsets.
    const u = p.utf16Offsets ?? o
    for (let i = 1; i <= n; i++) {
      offsets[row + i] = bytes + o[i]! - o[0]!
      if (utf16 !== undefined) utf16[row + i] = units + u[i]! - u[0]!
    }
    bytes += o[n]! - o[0]!
    units += u[n]! - u[0]!
    row += n
  }
  const out: Partial<NativeColumn> = { data, offsets }
  if (text !== undefined) out.text = text
  if (utf16 !== undefined) out.utf16Offsets = utf16
  return out
}
