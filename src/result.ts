import { columnBlock, concatBlocks, type ColumnBlock } from './columns.js'
import { arrowSchema, loadArrow, recordBatch, type ArrowModule, type ArrowRecordBatch, type ArrowSchema } from './arrow.js'
import type { ArrowRecordBatchLike, ArrowTableLike } from './arrow-types.js'
import { CallLimits, unlessAborted, type CallOptions } from './call.js'
import { AbortError, callNative, InterfaceError, ResultError } from './errors.js'
import { firstBatch, nextBatch, type NativeBatch, type NativeBlock, type NativeResult } from './native.js'
import { rowReader, type RowReader } from './rows.js'
import { toTaosField, type Precision, type ResultOptions, type RowMode, type TaosField } from './types.js'
import { forget, freeWhenUnreachable } from './unreachable.js'
import { columnReader, type ColumnReader } from './values.js'

export type { ColumnBlock, ResultColumn } from './columns.js'

/** A row as an array of values in column order. */
export type RowArray = unknown[]
/** A row as an object keyed by column name. */
export type RowObject = Record<string, unknown>

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

/** Blocks the stream keeps ahead of its reader. */
const QUEUED_BLOCKS = 2

/**
 * Reads one result (a {@link NativeResult}) block by block and turns blocks into rows: each
 * column prepared once per block (`values.ts`), each row read from those views by a row function
 * compiled for the result's columns (`rows.ts`). Shared by
 * {@link TaosResult}, the cursor and TMQ messages; built by `Connection.openStream` (results the
 * server holds, tracked by their connection) and by `Message` (a message block in memory,
 * nothing to free). Holds at most a few
 * blocks: the one being read, {@link QUEUED_BLOCKS} queued and one request in flight.
 *
 * @internal
 */
export class RowStream implements Closable {
  readonly fields: TaosField[]
  readonly precision: Precision
  readonly hasRows: boolean
  readonly affectedRows: number
  private readonly readers: ColumnReader[]
  private readonly keys: string[]
  /** Row readers by mode, made on first use; `loaded` is the block each has loaded. */
  private readonly rowReaders: Partial<Record<RowMode, { reader: RowReader; loaded: NativeBlock | null }>> = {}
  /** Blocks that arrived and are not read yet. */
  private queue: NativeBlock[]
  /**
   * Blocks read ahead with the query that the next batch confirms, or voids when the session ran
   * the query again after a reconnect (see `NativeBatch.provisional`): not read before then.
   */
  private provisional: NativeBlock[] | null = null
  /** The block being read as rows, and the next row of it. */
  private current: NativeBlock | null = null
  private index = 0
  /** The server has no more blocks (it freed the result itself). */
  private exhausted: boolean
  private closed = false
  private closedReason: string | undefined
  /** Reads run one after another, so blocks are never read out of order. */
  private serial: Promise<void> = Promise.resolve()
  private pending = 0
  /** The request for more blocks, sent while the queued ones are read. */
  private request: Promise<NativeBatch> | null = null
  /** The limits of the read in progress: a request sent ahead carries them too. */
  private reading: CallLimits
  /** Rows handed out so far. */
  rowsRead = 0
  /** What must stay reachable while the stream is (a statement whose result this is). */
  owner: object | undefined
  /** Callbacks of {@link RowStream.whenDetached}, run once (also when the stream is collected). */
  private readonly detachedCallbacks: Array<() => void> = []
  private isDetached = false

  /**
   * @param native - the result's native object; its description and first blocks are read now
   * @param onClose - runs once when the stream is closed, finished, or collected unclosed
   * @param limits - the statement's: they govern every block fetch too
   */
  constructor(
    private readonly native: NativeResult,
    options: ResultOptions,
    private readonly onClose: () => void,
    private readonly limits: CallLimits = CallLimits.NONE,
  ) {
    this.reading = limits
    const first = firstBatch(native)
    const info = first.info
    if (info === undefined) throw new InterfaceError('a result arrived without its description')
    this.fields = info.fields.map(toTaosField)
    this.precision = info.precision
    this.hasRows = info.hasRows
    this.affectedRows = info.affectedRows
    this.readers = this.fields.map((f) => columnReader(f, this.precision, options))
    this.keys = this.fields.map((f) => f.name)
    this.queue = first.provisional === true ? [] : first.blocks
    if (first.provisional === true) this.provisional = first.blocks
    this.exhausted = first.finished || !info.hasRows
    // Rows left on the server: freed there if this stream is dropped unclosed (see unreachable.ts).
    if (!this.exhausted) freeWhenUnreachable(this, freeUnreachable(native, onClose, this.detachedCallbacks))
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
    if (this.isDetached || this.exhausted || this.closed) done()
    else this.detachedCallbacks.push(done)
  }

  private detached(): void {
    if (this.isDetached) return
    this.isDetached = true
    for (const done of this.detachedCallbacks.splice(0)) done()
  }

  /** What `JSON.stringify` shows: the description, not the blocks held. */
  toJSON(): object {
    return { fields: this.fields, precision: this.precision, affectedRows: this.affectedRows, rowsRead: this.rowsRead, closed: this.closed }
  }

  /** The next row, or undefined at the end. `call`: the limits of the caller's call. */
  next(mode: RowMode, call: CallLimits = CallLimits.NONE): Promise<RowArray | RowObject | undefined> {
    return this.serially(call, async () => {
      for (;;) {
        const row = this.rowNow(mode)
        if (row !== NOT_READY) return row
        if (!(await this.more())) return undefined
      }
    })
  }

  /** Up to `count` rows (fewer at the end); concurrent calls get consecutive, disjoint runs. */
  take(count: number, mode: RowMode, call: CallLimits = CallLimits.NONE): Promise<Array<RowArray | RowObject>> {
    return this.serially(call, async () => {
      const rows: Array<RowArray | RowObject> = []
      while (rows.length < count) {
        const row = this.rowNow(mode)
        if (row !== NOT_READY) {
          rows.push(row)
          continue
        }
        if (!(await this.more())) break
      }
      return rows
    })
  }

  /** The rest of the current block, or the next block's rows; an empty array at the end. */
  nextRows(mode: RowMode, call: CallLimits = CallLimits.NONE): Promise<Array<RowArray | RowObject>> {
    return this.serially(call, async () => {
      for (;;) {
        const block = this.current
        if (block !== null && this.index < block.rows) {
          const reader = this.rowReader(mode, block)
          const rows: Array<RowArray | RowObject> = new Array(block.rows - this.index)
          for (let r = 0; r < rows.length; r++) rows[r] = reader.row(this.index++) as RowArray | RowObject
          this.rowsRead += rows.length
          return rows
        }
        if (this.loadNext()) continue
        if (!(await this.more())) return []
      }
    })
  }

  /** The next whole block (rows not yet handed out), or undefined at the end. */
  nextBlock(call: CallLimits = CallLimits.NONE): Promise<ColumnBlock | undefined> {
    return this.serially(call, async () => {
      const block = await this.nextRawBlock()
      return block === undefined ? undefined : columnBlock(block, this.fields, this.readers)
    })
  }

  /** Every remaining row as one block of columns (copied once when there are several blocks). */
  allBlocks(call: CallLimits = CallLimits.NONE): Promise<ColumnBlock> {
    return this.serially(call, async () => {
      const blocks: NativeBlock[] = []
      for (;;) {
        const block = await this.nextRawBlock()
        if (block === undefined) break
        blocks.push(block)
      }
      const whole = blocks.length === 0 ? this.emptyBlock() : concatBlocks(blocks, this.fields.length)
      return columnBlock(whole, this.fields, this.readers)
    })
  }

  /** The next block as it arrived, not converted (for Arrow). */
  nextNativeBlock(call: CallLimits = CallLimits.NONE): Promise<NativeBlock | undefined> {
    return this.serially(call, () => this.nextRawBlock())
  }

  /**
   * The next row if it is already in memory and no read is queued, else {@link NOT_READY}:
   * lets iteration skip the queue for all but the first row of each batch.
   */
  nextBuffered(mode: RowMode): RowArray | RowObject | typeof NOT_READY {
    if (this.pending > 0) return NOT_READY
    return this.rowNow(mode)
  }

  /** The next row from blocks in memory (starting on the next block if needed), or NOT_READY. */
  private rowNow(mode: RowMode): RowArray | RowObject | typeof NOT_READY {
    if (this.closed) return NOT_READY
    let block = this.current
    if (block === null || this.index >= block.rows) {
      if (!this.loadNext()) return NOT_READY
      block = this.current!
    }
    this.rowsRead++
    return this.rowReader(mode, block).row(this.index++) as RowArray | RowObject
  }

  /** The row reader of `mode`, with `block` loaded. */
  private rowReader(mode: RowMode, block: NativeBlock): RowReader {
    const r = (this.rowReaders[mode] ??= { reader: rowReader(this.readers, mode, this.keys), loaded: null })
    if (r.loaded !== block) {
      r.reader.load(block.columns)
      r.loaded = block
    }
    return r.reader
  }

  /** Starts on the next queued block; false when none is queued. */
  private loadNext(): boolean {
    if (this.closed) return false
    const block = this.queue.shift()
    if (block === undefined) return false
    this.checkShape(block)
    this.current = block
    this.index = 0
    this.maybeRequest()
    return true
  }

  private async nextRawBlock(): Promise<NativeBlock | undefined> {
    for (;;) {
      if (this.current !== null && this.index < this.current.rows) {
        throw new InterfaceError('blocks cannot continue a block whose rows were already read one by one')
      }
      if (!this.closed) {
        const block = this.queue.shift()
        if (block !== undefined) {
          this.checkShape(block)
          this.rowsRead += block.rows
          this.maybeRequest()
          return block
        }
      }
      if (!(await this.more())) return undefined
    }
  }

  private emptyBlock(): NativeBlock {
    const columns = this.fields.map(() => ({ nulls: new Uint8Array(0), data: new Uint8Array(0), offsets: new Int32Array(1) }))
    return { rows: 0, columns }
  }

  private checkShape(block: NativeBlock): void {
    if (block.columns.length !== this.fields.length) {
      throw new ResultError(`block has ${block.columns.length} columns, the result has ${this.fields.length}`)
    }
  }

  /**
   * Waits for more blocks. False at the end (the result is then finished, or closed); throws
   * when the result was closed with rows left or a read failed.
   */
  private async more(): Promise<boolean> {
    if (this.closedReason !== undefined) throw new InterfaceError(this.closedReason)
    if (this.closed) return false
    if (this.queue.length > 0) return true
    if (this.exhausted) {
      this.finish()
      return false
    }
    this.maybeRequest()
    const limits = this.reading
    try {
      limits.throwIfAborted()
      // The request's own continuation queues what it brought.
      const request = this.request!
      await (limits.signal === undefined ? request : unlessAborted(request, limits.signal, null))
    } catch (err) {
      // The rows cannot be read in order any more, or the result is unusable: free it now;
      // later reads say why instead of looking like a clean end.
      this.closedReason ??= err instanceof AbortError ? 'reading this result was aborted' : `an earlier read of this result failed: ${(err as Error).message}`
      this.close()
      throw err
    }
    if (this.closed) return this.more() // closed while the request was in flight
    return true
  }

  /** Asks for more blocks when few are queued and none are on their way. */
  private maybeRequest(): void {
    if (this.request !== null || this.exhausted || this.closed) return
    if (this.queue.length >= QUEUED_BLOCKS) return
    const native = this.native
    const timeoutMs = this.reading.timeoutMs ?? null
    const request = callNative(() => nextBatch(native, timeoutMs, null)).then((batch) => {
      if (this.request === request && !this.closed) {
        this.request = null
        if (this.provisional !== null) {
          if (batch.restarted !== true) this.queue.push(...this.provisional)
          this.provisional = null
        } else if (batch.restarted === true) {
          // Never without provisional blocks: rows handed out would be handed out twice.
          throw new ResultError('the result was run again after a reconnect although rows of it had been read')
        }
        this.queue.push(...batch.blocks)
        if (batch.finished) {
          this.exhausted = true
          this.detached()
        }
        this.maybeRequest()
      }
      return batch
    })
    // Errors surface when the request is awaited; one abandoned by close() must not become an
    // unhandled rejection.
    request.catch(() => undefined)
    this.request = request
  }

  /** Runs `op` after the reads before it, under the statement's limits and `call`'s. */
  private serially<T>(call: CallLimits, op: () => Promise<T>): Promise<T> {
    this.pending++
    const read = () => {
      this.reading = this.limits.or(call)
      return op()
    }
    const run = this.serial.then(read, read)
    const settled = () => {
      this.pending--
    }
    this.serial = run.then(settled, settled)
    return run
  }

  private hasUnread(): boolean {
    return !this.exhausted || this.queue.length > 0 || this.provisional !== null || (this.current !== null && this.index < this.current.rows)
  }

  private release(): void {
    this.closed = true
    this.current = null
    this.queue.length = 0
    this.provisional = null
    this.request = null // an answer still on its way is ignored (and cannot reject unhandled)
    forget(this)
    this.onClose()
    this.detached()
  }

  /**
   * Frees the server-side result now (unless the server already did). Idempotent. Rows not read
   * yet are gone: reading afterwards throws instead of looking like the end.
   */
  close(): void {
    if (this.closed) return
    if (this.hasUnread()) this.closedReason ??= 'the result is closed'
    const onServer = !this.exhausted
    this.release()
    if (onServer) {
      try {
        this.native.close()
      } catch {
        // The connection is gone; the server frees the result with the session.
      }
    }
  }

  /** Reached the end: frees nothing (the server already did) and later reads find no rows. */
  private finish(): void {
    if (!this.closed) this.release()
  }

  closeBecauseConnectionClosed(): void {
    if (this.closed) return
    if (this.hasUnread()) this.closedReason = 'the connection is closed'
    this.release()
  }
}

/**
 * What freeing a stream that was garbage-collected unclosed does: what {@link RowStream.close}
 * does, from values the stream held (never the stream itself, see unreachable.ts).
 */
function freeUnreachable(native: NativeResult, onClose: () => void, detachedCallbacks: Array<() => void>): () => void {
  return () => {
    native.close()
    onClose()
    for (const done of detachedCallbacks.splice(0)) done()
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
    /** The connection's timezone, for Arrow timestamps. */
    private readonly timezone: string | undefined = undefined,
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
   * Keeps `owner` (the statement whose result this is) reachable while the rows are: collecting
   * the statement would close it under its result. @internal
   */
  keepReachable(owner: object): void {
    this.stream.owner = owner
  }

  /**
   * Streams rows. Each block's columns are prepared once and rows handed out from memory; a few
   * blocks are held at a time while the next ones are on their way. Breaking out of the loop
   * frees the result. The query's `timeoutMs` and `signal` govern each block fetch;
   * {@link TaosResult.rows} takes other ones, and {@link TaosResult.rowBatches} avoids even the
   * one promise per row that `for await` costs.
   */
  [Symbol.asyncIterator](): AsyncIterator<Row> {
    return this.iterateRows(CallLimits.NONE)
  }

  /**
   * Streams rows like `for await (const row of result)`, with `timeoutMs` for each block fetch
   * and a `signal` that stops reading (the loop throws an `AbortError`; the result is freed).
   */
  rows(options: CallOptions = {}): AsyncIterable<Row> {
    const limits = CallLimits.of(options)
    return { [Symbol.asyncIterator]: () => this.iterateRows(limits) }
  }

  private iterateRows(call: CallLimits): AsyncIterator<Row> {
    const stream = this.stream
    const mode = this.rowMode
    const waitForRow = async (): Promise<IteratorResult<Row>> => {
      try {
        const row = await stream.next(mode, call)
        if (row === undefined) return { done: true, value: undefined }
        return { done: false, value: row as Row }
      } catch (err) {
        stream.close()
        throw err
      }
    }
    return {
      // Not an async function: each call of one allocates its suspended frame, and most rows are
      // in memory already (≈ 0.02 µs/row, bench/rows-ablation.mjs). Same promises as before.
      next(): Promise<IteratorResult<Row>> {
        let buffered: RowArray | RowObject | typeof NOT_READY
        try {
          buffered = stream.nextBuffered(mode)
        } catch (err) {
          return Promise.reject(err)
        }
        return buffered !== NOT_READY ? Promise.resolve({ done: false, value: buffered as Row }) : waitForRow()
      },
      async return(): Promise<IteratorResult<Row>> {
        stream.close()
        return { done: true, value: undefined }
      },
    }
  }

  /**
   * Streams the rows a block at a time, as arrays of rows in the result's row mode: one promise
   * per block instead of one per row. `options` govern each block fetch.
   *
   * ```ts
   * for await (const rows of result.rowBatches()) for (const [ts, v] of rows) total += v
   * ```
   */
  rowBatches(options: CallOptions = {}): AsyncIterable<Row[]> {
    const stream = this.stream
    const mode = this.rowMode
    const call = CallLimits.of(options)
    return iterate(stream, async () => {
      const rows = await stream.nextRows(mode, call)
      return rows.length === 0 ? undefined : (rows as Row[])
    })
  }

  /**
   * Streams the result block by block as columns (typed arrays and buffers, no per-cell work
   * unless a value is asked for): for column-wise processing. Use it instead of row iteration,
   * not after it. Breaking out of the loop frees the result. `options` govern each block fetch.
   */
  blocks(options: CallOptions = {}): AsyncIterable<ColumnBlock> {
    const stream = this.stream
    const call = CallLimits.of(options)
    return iterate(stream, () => stream.nextBlock(call))
  }

  /**
   * Every remaining row as columns: one typed array per fixed-width column (BigInt64Array for
   * BIGINT and TIMESTAMP, Float64Array for DOUBLE, Uint8Array for BOOL, …), one buffer with
   * offsets per variable column, a NULL mask and Arrow's validity bitmap each (see
   * {@link ResultColumn}). The blocks are copied once into whole columns (not at all when the
   * result is one block). Frees the result.
   */
  async toColumns(options: CallOptions = {}): Promise<ColumnBlock> {
    const call = CallLimits.of(options)
    try {
      return await this.stream.allBlocks(call)
    } finally {
      this.stream.close()
    }
  }

  /**
   * Every remaining row as an Apache Arrow `Table` (one record batch per block), built from the
   * blocks' buffers without converting cells: timestamps as Arrow timestamps in the result's unit
   * (UTC, or the connection's `timezone`), BIGINT UNSIGNED as uint64, NCHAR/VARCHAR/JSON as utf8,
   * VARBINARY/GEOMETRY/BLOB as binary, DECIMAL as Arrow decimals, NULLs as Arrow nulls. Needs the
   * optional `apache-arrow` package (`npm install apache-arrow`). Frees the result.
   *
   * The value is an `apache-arrow` `Table`; name it to get its full type, e.g.
   * `await result.toArrow<Table>()` (taosjs's own types compile without `apache-arrow`).
   */
  async toArrow<Table = ArrowTableLike>(options: CallOptions = {}): Promise<Table> {
    const call = CallLimits.of(options)
    const batches: ArrowRecordBatch[] = []
    let arrow: ArrowModule
    try {
      arrow = await loadArrow('toArrow')
      for (;;) {
        const block = await this.stream.nextNativeBlock(call)
        if (block === undefined) break
        batches.push(recordBatch(arrow, block, this.arrowSchema(arrow)))
      }
    } finally {
      this.stream.close()
    }
    return new arrow.Table(this.arrowSchema(arrow), batches) as unknown as Table
  }

  /**
   * Streams the result as Apache Arrow record batches, one per block (see
   * {@link TaosResult.toArrow}); name the batch type to get it, e.g.
   * `result.arrowBatches<RecordBatch>()`. Breaking out of the loop frees the result.
   */
  arrowBatches<Batch = ArrowRecordBatchLike>(options: CallOptions = {}): AsyncIterable<Batch> {
    const stream = this.stream
    const call = CallLimits.of(options)
    let arrow: ArrowModule | undefined
    return iterate(stream, async () => {
      arrow ??= await loadArrow('arrowBatches')
      const block = await stream.nextNativeBlock(call)
      return block === undefined ? undefined : (recordBatch(arrow, block, this.arrowSchema(arrow)) as unknown as Batch)
    })
  }

  private schema: ArrowSchema | undefined

  private arrowSchema(arrow: ArrowModule): ArrowSchema {
    return (this.schema ??= arrowSchema(arrow, this.stream.fields, this.stream.precision, this.timezone))
  }

  /** All remaining rows, in the result's row mode. */
  async toArray(options: CallOptions = {}): Promise<Row[]> {
    const call = CallLimits.of(options)
    const rows: Row[] = []
    try {
      for (;;) {
        const batch = await this.stream.nextRows(this.rowMode, call)
        if (batch.length === 0) return rows
        for (let i = 0; i < batch.length; i++) rows.push(batch[i] as Row)
      }
    } catch (err) {
      this.stream.close()
      throw err
    }
  }

  /** All remaining rows as objects keyed by column name (like the Python connector's `fetch_all_into_dict`). */
  async fetchAllIntoDict(options: CallOptions = {}): Promise<RowObject[]> {
    const call = CallLimits.of(options)
    try {
      return (await this.stream.take(Infinity, 'object', call)) as RowObject[]
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

/** An async iterable over `next()` results that frees the stream on errors and early exits. */
function iterate<T>(stream: RowStream, next: () => Promise<T | undefined>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({
      async next(): Promise<IteratorResult<T>> {
        try {
          const value = await next()
          return value === undefined ? { done: true, value: undefined } : { done: false, value }
        } catch (err) {
          stream.close()
          throw err
        }
      },
      async return(): Promise<IteratorResult<T>> {
        stream.close()
        return { done: true, value: undefined }
      },
    }),
  }
}
