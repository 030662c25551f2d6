import { CallLimits, unlessAborted, type CallOptions } from './call.js'
import { AbortError, callNative, InterfaceError, ResultError } from './errors.js'
import type { NativeBlock, NativeColumn, NativeResult } from './native.js'
import {
  cellReader,
  toTaosField,
  type CellReader,
  type Precision,
  type ResultOptions,
  type RowMode,
  type TaosField,
} from './types.js'

/** A row as an array of values in column order. */
export type RowArray = unknown[]
/** A row as an object keyed by column name. */
export type RowObject = Record<string, unknown>

/**
 * One block of a result as columns, as it arrived from the server: no per-cell conversion unless
 * {@link ResultColumn.value} is called.
 */
export interface ColumnBlock {
  rows: number
  columns: ResultColumn[]
}

/** One column of a {@link ColumnBlock}. */
export interface ResultColumn {
  field: TaosField
  /** One byte per row, 1 = NULL. */
  nulls: Uint8Array
  /**
   * Raw values. Fixed-width types: the matching typed array (BOOL as 0/1 in a Uint8Array,
   * TIMESTAMP as a BigInt64Array in the result's unit, NULL slots hold 0). Variable types: one
   * Buffer (UTF-8 for VARCHAR/NCHAR/JSON/DECIMAL text), value `i` at `offsets[i]..offsets[i + 1]`.
   */
  data: NativeColumn['data']
  offsets: Int32Array | undefined
  /** Value `row` converted exactly as in rows (`null` for NULL). */
  value(row: number): unknown
}

/** @internal */
export const NOT_READY: unique symbol = Symbol('not ready')

/**
 * Something that owns server-side resources and is closed together with its connection.
 *
 * @internal
 */
export interface Closable {
  closeBecauseConnectionClosed(): void
}

/**
 * Reads one result (a {@link NativeResult}) block by block and turns blocks into rows. Shared by
 * {@link TaosResult} and the cursor; built only by `Connection.openStream`. Holds at most two
 * blocks: the current and the next.
 *
 * @internal
 */
export class RowStream implements Closable {
  readonly fields: TaosField[]
  readonly precision: Precision
  private readonly readers: CellReader[]
  private readonly keys: string[]
  private block: NativeBlock | null = null
  private index = 0
  /** The server has no more data for this result (it freed it itself). */
  private exhausted: boolean
  private closed = false
  private closedReason: string | undefined
  /** Reads run one after another, so blocks are never read out of order. */
  private queue: Promise<void> = Promise.resolve()
  private pending = 0
  /** The request for the block after the current one, sent as soon as the current one arrived. */
  private prefetched: Promise<NativeBlock | null> | null = null
  /** Rows handed out so far. */
  rowsRead = 0
  /** Callbacks of {@link RowStream.whenDetached}, run once. */
  private detachedCallbacks: Array<() => void> | null = []

  constructor(
    private readonly native: NativeResult,
    options: ResultOptions,
    private readonly onClose: (stream: RowStream) => void,
    /** The statement's limits: they govern every block fetch too. */
    private readonly limits: CallLimits = CallLimits.NONE,
  ) {
    this.fields = native.fields.map(toTaosField)
    this.precision = native.precision
    this.readers = this.fields.map((f) => cellReader(f, this.precision, options))
    this.keys = this.fields.map((f) => f.name)
    this.exhausted = !native.hasRows
  }

  /** Whether the statement produced rows (still open on the server or not). */
  get hasRows(): boolean {
    return this.native.hasRows
  }

  get affectedRows(): number {
    return this.native.affectedRows
  }

  get isClosed(): boolean {
    return this.closed
  }

  /**
   * Runs `done` once the result needs its connection no longer: the server has sent its last
   * block (or there were no rows), or the result is closed. Rows still buffered are readable
   * afterwards. (A pool returns the connection of `pool.query` then.)
   */
  whenDetached(done: () => void): void {
    if (this.detachedCallbacks === null || this.exhausted || this.closed) done()
    else this.detachedCallbacks.push(done)
  }

  private detached(): void {
    const callbacks = this.detachedCallbacks
    if (callbacks === null) return
    this.detachedCallbacks = null
    for (const done of callbacks) done()
  }

  /** The next row, or undefined at the end. `call`: the limits of the caller's call. */
  next(mode: RowMode, call: CallLimits = CallLimits.NONE): Promise<RowArray | RowObject | undefined> {
    return this.serially(() => this.nextRow(mode, call))
  }

  /** Up to `count` rows (fewer at the end); concurrent calls get consecutive, disjoint runs. */
  take(count: number, mode: RowMode, call: CallLimits = CallLimits.NONE): Promise<Array<RowArray | RowObject>> {
    return this.serially(async () => {
      const rows: Array<RowArray | RowObject> = []
      while (rows.length < count) {
        const block = this.block
        if (!this.closed && block !== null && this.index < block.rows) {
          rows.push(this.rowAt(block, this.index++, mode))
          this.rowsRead++
          continue
        }
        const row = await this.nextRow(mode, call)
        if (row === undefined) break
        rows.push(row)
      }
      return rows
    })
  }

  /** The next whole block (rows not yet handed out), or undefined at the end. */
  nextBlock(call: CallLimits = CallLimits.NONE): Promise<ColumnBlock | undefined> {
    return this.serially(async () => {
      for (;;) {
        if (this.closedReason !== undefined) throw new InterfaceError(this.closedReason)
        if (this.closed) return undefined
        const block = this.block
        if (block !== null && this.index < block.rows) {
          if (this.index > 0) throw new InterfaceError('blocks() cannot continue a block whose rows were already read one by one')
          this.index = block.rows
          this.rowsRead += block.rows
          return this.columnBlock(block)
        }
        if (this.exhausted) {
          this.finish()
          return undefined
        }
        await this.fetchNextBlock(call)
      }
    })
  }

  private columnBlock(block: NativeBlock): ColumnBlock {
    return {
      rows: block.rows,
      columns: block.columns.map((c, i) => {
        const reader = this.readers[i]!
        return {
          field: this.fields[i]!,
          nulls: c.nulls,
          data: c.data,
          offsets: c.offsets,
          value: (row: number) => (c.nulls[row] !== 0 ? null : reader(c, row)),
        }
      }),
    }
  }

  /**
   * The next row if it is already in memory and no read is queued, else {@link NOT_READY}:
   * lets iteration skip the queue for all but the first row of each block.
   */
  nextBuffered(mode: RowMode): RowArray | RowObject | typeof NOT_READY {
    const block = this.block
    if (this.pending > 0 || this.closed || block === null || this.index >= block.rows) return NOT_READY
    this.rowsRead++
    return this.rowAt(block, this.index++, mode)
  }

  private serially<T>(op: () => Promise<T>): Promise<T> {
    this.pending++
    const run = this.queue.then(op, op)
    const settled = () => {
      this.pending--
    }
    this.queue = run.then(settled, settled)
    return run
  }

  private async nextRow(mode: RowMode, call: CallLimits): Promise<RowArray | RowObject | undefined> {
    for (;;) {
      if (this.closedReason !== undefined) throw new InterfaceError(this.closedReason)
      if (this.closed) return undefined
      const block = this.block
      if (block !== null && this.index < block.rows) {
        const row = this.rowAt(block, this.index++, mode)
        this.rowsRead++
        return row
      }
      if (this.exhausted) {
        this.finish()
        return undefined
      }
      await this.fetchNextBlock(call)
    }
  }

  private async fetchNextBlock(call: CallLimits): Promise<void> {
    const limits = this.limits.or(call)
    const pending = this.prefetched ?? this.requestBlock(limits)
    this.prefetched = null
    let next: NativeBlock | null
    try {
      limits.throwIfAborted()
      next = await (limits.signal === undefined ? pending : unlessAborted(pending, limits.signal, null))
    } catch (err) {
      if (err instanceof AbortError) {
        // The rows cannot be read in order any more: free the result now.
        this.closedReason ??= 'reading this result was aborted'
        this.close()
        throw err
      }
      // The result is unusable now; later reads say why instead of looking like a clean end.
      this.closedReason ??= `an earlier read of this result failed: ${(err as Error).message}`
      this.close()
      throw err
    }
    if (this.closed) return // closed while the fetch was in flight
    if (next === null) {
      this.exhausted = true
      this.block = null
      this.detached()
      return
    }
    if (next.columns.length !== this.fields.length) {
      throw new ResultError(`block has ${next.columns.length} columns, the result has ${this.fields.length}`)
    }
    this.block = next
    this.index = 0
    // Ask for the next block while this one is turned into rows: the server's answer and the JS
    // work overlap. One request at a time per result (the core refuses a second), at most two
    // blocks held.
    this.prefetched = this.requestBlock(limits)
  }

  private requestBlock(limits: CallLimits): Promise<NativeBlock | null> {
    const request = callNative(() => this.native.fetchBlock(limits.timeoutMs ?? null, null))
    // Errors surface when the block is awaited; a request abandoned by close() must not become
    // an unhandled rejection.
    request.catch(() => undefined)
    return request
  }

  private rowAt(block: NativeBlock, i: number, mode: RowMode): RowArray | RowObject {
    const columns = block.columns
    const readers = this.readers
    if (mode === 'object') {
      const row: RowObject = {}
      for (let c = 0; c < columns.length; c++) {
        const col = columns[c]!
        row[this.keys[c]!] = col.nulls[i] !== 0 ? null : readers[c]!(col, i)
      }
      return row
    }
    const row: RowArray = new Array(columns.length)
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!
      row[c] = col.nulls[i] !== 0 ? null : readers[c]!(col, i)
    }
    return row
  }

  /**
   * Frees the server-side result now (unless the server already did). Idempotent. Rows not read
   * yet are gone: reading afterwards throws instead of looking like the end.
   */
  close(): void {
    if (this.closed) return
    if (!this.exhausted || (this.block !== null && this.index < this.block.rows)) this.closedReason ??= 'the result is closed'
    this.closed = true
    this.block = null
    this.prefetched = null // an answer still on its way is ignored (and cannot reject unhandled)
    if (!this.exhausted) {
      try {
        this.native.close()
      } catch {
        // The connection is gone; the server frees the result with the session.
      }
    }
    this.onClose(this)
    this.detached()
  }

  /** Reached the end: frees nothing (the server already did) and later reads find no rows. */
  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.block = null
    this.prefetched = null
    this.onClose(this)
    this.detached()
  }

  closeBecauseConnectionClosed(): void {
    if (this.closed) return
    if (!this.exhausted || (this.block !== null && this.index < this.block.rows)) this.closedReason = 'the connection is closed'
    this.closed = true
    this.block = null
    this.prefetched = null
    this.onClose(this)
    this.detached()
  }
}

/**
 * The result of {@link Connection.query}: column descriptions plus rows, streamed block by block
 * from the server.
 *
 * Read it once, with `for await`, {@link TaosResult.toArray} or {@link TaosResult.fetchAllIntoDict}.
 * The server-side result is freed when the rows are exhausted, when a `for await` loop exits early
 * (`break`, `return`, `throw`), on {@link TaosResult.close} or `await using`, and when the
 * connection closes.
 *
 * @typeParam Row - the row type (`unknown[]` by default, an object type with `rowMode: 'object'`).
 */
export class TaosResult<Row = RowArray> implements AsyncIterable<Row>, AsyncDisposable {
  /** @internal */
  constructor(
    private readonly stream: RowStream,
    private readonly rowMode: RowMode,
  ) {}

  /** The result's columns: name, type and length. Empty for statements without a result set. */
  get fields(): TaosField[] {
    return this.stream.fields
  }

  /** Number of columns. */
  get fieldCount(): number {
    return this.stream.fields.length
  }

  /** Rows written by an INSERT (0 for queries). */
  get affectedRows(): number {
    return this.stream.affectedRows
  }

  /** Timestamp precision of the result. */
  get precision(): Precision {
    return this.stream.precision
  }

  /** Rows read so far. */
  get rowCount(): number {
    return this.stream.rowsRead
  }

  /** Whether the server-side result has been freed. */
  get closed(): boolean {
    return this.stream.isClosed
  }

  /** See {@link RowStream.whenDetached}. @internal */
  whenDetached(done: () => void): void {
    this.stream.whenDetached(done)
  }

  /**
   * Streams rows; at most two blocks are held at a time. Breaking out of the loop frees the
   * result. The query's `timeoutMs` and `signal` govern each block fetch; {@link TaosResult.rows}
   * takes other ones.
   */
  [Symbol.asyncIterator](): AsyncIterator<Row> {
    return this.iterate(CallLimits.NONE)
  }

  /**
   * Streams rows like `for await (const row of result)`, with `timeoutMs` for each block fetch
   * and a `signal` that stops reading (the loop throws an `AbortError`; the result is freed).
   */
  rows(options: CallOptions = {}): AsyncIterable<Row> {
    const limits = CallLimits.of(options)
    return { [Symbol.asyncIterator]: () => this.iterate(limits) }
  }

  private iterate(call: CallLimits): AsyncIterator<Row> {
    const stream = this.stream
    const mode = this.rowMode
    return {
      async next(): Promise<IteratorResult<Row>> {
        const buffered = stream.nextBuffered(mode)
        if (buffered !== NOT_READY) return { done: false, value: buffered as Row }
        try {
          const row = await stream.next(mode, call)
          if (row === undefined) return { done: true, value: undefined }
          return { done: false, value: row as Row }
        } catch (err) {
          stream.close()
          throw err
        }
      },
      async return(): Promise<IteratorResult<Row>> {
        stream.close()
        return { done: true, value: undefined }
      },
    }
  }

  /**
   * Streams the result block by block as columns (typed arrays and buffers, no per-cell work):
   * for column-wise processing or building Arrow vectors. Use it instead of row iteration, not
   * after it. Breaking out of the loop frees the result. `options` govern each block fetch.
   */
  blocks(options: CallOptions = {}): AsyncIterable<ColumnBlock> {
    const stream = this.stream
    const call = CallLimits.of(options)
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<ColumnBlock>> {
          try {
            const block = await stream.nextBlock(call)
            return block === undefined ? { done: true, value: undefined } : { done: false, value: block }
          } catch (err) {
            stream.close()
            throw err
          }
        },
        async return(): Promise<IteratorResult<ColumnBlock>> {
          stream.close()
          return { done: true, value: undefined }
        },
      }),
    }
  }

  /** All remaining rows, in the result's row mode. */
  async toArray(options: CallOptions = {}): Promise<Row[]> {
    const rows: Row[] = []
    for await (const row of this.rows(options)) rows.push(row)
    return rows
  }

  /** All remaining rows as objects keyed by column name (like the Python connector's `fetch_all_into_dict`). */
  async fetchAllIntoDict(options: CallOptions = {}): Promise<RowObject[]> {
    const call = CallLimits.of(options)
    const rows: RowObject[] = []
    try {
      for (;;) {
        const row = await this.stream.next('object', call)
        if (row === undefined) return rows
        rows.push(row as RowObject)
      }
    } finally {
      this.stream.close()
    }
  }

  /** Frees the server-side result. Safe to call more than once. */
  async close(): Promise<void> {
    this.stream.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
