import { CallLimits, type CallOptions } from './call.js'
import { InterfaceError, NotSupportedError, ProgrammingError } from './errors.js'
import type { RowArray, RowStream } from './result.js'
import { TypeId, type ResultOptions, type RowMode } from './types.js'

/**
 * A PEP-249 column description: `[name, type_code, display_size, internal_size, precision, scale,
 * null_ok]`. `type_code` is TDengine's type id; `internal_size` its length; `precision`/`scale`
 * are set for DECIMAL columns; `display_size` and `null_ok` are not known (`null`).
 */
export type ColumnDescription = [
  name: string,
  typeCode: number,
  displaySize: null,
  internalSize: number,
  precision: number | null,
  scale: number | null,
  nullOk: null,
]

/** What a cursor needs from its connection. @internal */
export interface CursorHost {
  runStatement(sql: string, options: ResultOptions & CursorExecuteOptions): Promise<RowStream>
  runPrepared(sql: string, rows: ReadonlyArray<readonly unknown[]>, options: ResultOptions & CursorExecuteOptions): Promise<RowStream>
  /** The number of `?` placeholders in `sql` (no I/O). */
  placeholders(sql: string): number
  readonly isClosed: boolean
}

/** Options of {@link Cursor.execute} and {@link Cursor.executemany}. */
export interface CursorExecuteOptions extends CallOptions {
  /** Request id for tracing (u64); generated when absent. */
  reqId?: number | bigint
}

/**
 * A PEP-249 cursor: `execute` a statement, then `fetchone`/`fetchmany`/`fetchall` its rows. Rows
 * are streamed from the server block by block.
 *
 * Differences from PEP-249 are those of JavaScript: methods that talk to the server return
 * Promises; "no more rows" is `null`.
 *
 * @typeParam Row - the row type (`unknown[]` by default; objects with `rowMode: 'object'`).
 */
export class Cursor<Row = RowArray> implements AsyncIterable<Row>, AsyncDisposable {
  /** Rows fetched by {@link Cursor.fetchmany} when no size is given. Default 1 (PEP-249). */
  arraysize = 1
  private stream: RowStream | null = null
  private closed = false
  private readonly rowMode: RowMode

  /** @internal */
  constructor(
    private readonly host: CursorHost,
    private readonly options: ResultOptions = {},
  ) {
    this.rowMode = options.rowMode ?? 'array'
  }

  /**
   * Column descriptions of the last query (7-item tuples, see {@link ColumnDescription}); `null`
   * before any `execute` and after statements that return no rows.
   */
  get description(): ColumnDescription[] | null {
    const stream = this.stream
    if (stream === null || stream.fields.length === 0) return null
    return stream.fields.map((f) => {
      const decimal = f.type === TypeId.Decimal || f.type === TypeId.Decimal64
      return [f.name, f.type, null, f.bytes, decimal ? f.precision : null, decimal ? f.scale : null, null]
    })
  }

  /**
   * For a write (INSERT, DDL): the affected rows. For a query: the number of rows fetched so far
   * (TDengine streams results and does not announce their size). -1 before any `execute`.
   */
  get rowcount(): number {
    if (this.stream === null) return -1
    if (this.stream.fields.length === 0) return this.stream.affectedRows
    return this.stream.rowsRead
  }

  /** Index (0-based) of the next row in the current result set; `null` when there is none. */
  get rownumber(): number | null {
    const stream = this.stream
    if (stream === null || stream.fields.length === 0) return null
    return stream.rowsRead
  }

  /**
   * Runs one SQL statement, replacing the previous result set. Resolves to {@link Cursor.rowcount}
   * (the affected rows for writes, 0 for queries).
   *
   * With `params` (an array, one value per `?`, PEP-249 qmark style) the statement runs as a
   * stmt2 prepared statement: values are sent as typed data, never spliced into the SQL text. A
   * statement without `?` runs as plain SQL with no or empty `params`; with parameters it is a
   * `ProgrammingError` before anything is sent.
   */
  async execute(sql: string, params?: readonly unknown[] | null, options: CursorExecuteOptions = {}): Promise<number> {
    this.checkOpen()
    CallLimits.of(options)
    if (params !== undefined && params !== null && !Array.isArray(params)) {
      throw new ProgrammingError(`execute(sql, params): params must be an array (one value per ?), got ${typeof params}`)
    }
    const hasParams = params !== undefined && params !== null
    const placeholders = hasParams ? this.host.placeholders(sql) : 0
    if (hasParams && placeholders === 0 && params.length > 0) {
      throw new ProgrammingError(`execute(sql, params): the statement has no ? placeholders, but ${params.length} parameters were given`)
    }
    this.releaseResult()
    const run = { ...this.options, reqId: options.reqId, signal: options.signal, timeoutMs: options.timeoutMs }
    const stream = placeholders === 0 ? await this.host.runStatement(sql, run) : await this.host.runPrepared(sql, [params!], run)
    return this.adopt(stream)
  }

  /**
   * Runs a write once per row of `seqOfParams`, all rows bound in one stmt2 bind (rows with the
   * same child table name are grouped). Resolves to the rows written.
   */
  async executemany(sql: string, seqOfParams: ReadonlyArray<readonly unknown[]>, options: CursorExecuteOptions = {}): Promise<number> {
    this.checkOpen()
    CallLimits.of(options)
    if (!Array.isArray(seqOfParams)) throw new ProgrammingError('executemany(sql, seqOfParams): seqOfParams must be an array of rows')
    if (this.host.placeholders(sql) === 0) {
      throw new ProgrammingError('executemany(sql, seqOfParams): the statement has no ? placeholders; run it with execute(sql)')
    }
    this.releaseResult()
    const run = { ...this.options, reqId: options.reqId, signal: options.signal, timeoutMs: options.timeoutMs }
    return this.adopt(await this.host.runPrepared(sql, seqOfParams, run))
  }

  private adopt(stream: RowStream): number {
    if (this.closed) {
      stream.close()
      throw new InterfaceError('the cursor was closed while the statement ran')
    }
    // Another execute() may have finished meanwhile: the last to finish wins, none leaks.
    this.stream?.close()
    this.stream = stream
    return this.rowcount
  }

  /** The next row, or `null` when there are no more. */
  async fetchone(options: CallOptions = {}): Promise<Row | null> {
    const call = CallLimits.of(options)
    const row = await this.requireStream().next(this.rowMode, call)
    return row === undefined ? null : (row as Row)
  }

  /** Up to `size` rows (default {@link Cursor.arraysize}); an empty array at the end. */
  async fetchmany(size: number = this.arraysize, options: CallOptions = {}): Promise<Row[]> {
    if (!Number.isInteger(size) || size < 0) {
      throw new ProgrammingError(`fetchmany size must be a non-negative integer, got ${String(size)}`)
    }
    const call = CallLimits.of(options)
    return (await this.requireStream().take(size, this.rowMode, call)) as Row[]
  }

  /** All remaining rows. */
  async fetchall(options: CallOptions = {}): Promise<Row[]> {
    const call = CallLimits.of(options)
    return (await this.requireStream().take(Infinity, this.rowMode, call)) as Row[]
  }

  /** Stored procedures do not exist in TDengine. */
  async callproc(name: string, _params?: unknown): Promise<never> {
    throw new NotSupportedError(`callproc(${JSON.stringify(name)}): TDengine has no stored procedures`)
  }

  /** TDengine statements return one result set. */
  async nextset(): Promise<never> {
    throw new NotSupportedError('nextset: TDengine statements return a single result set')
  }

  /** PEP-249 no-op. */
  setinputsizes(_sizes: unknown): void {}

  /** PEP-249 no-op. */
  setoutputsize(_size: number, _column?: number): void {}

  /** Frees the current result set; the cursor cannot be used afterwards. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true
    this.releaseResult()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Iterates over the remaining rows of the current result set. */
  async *[Symbol.asyncIterator](): AsyncIterator<Row> {
    for (;;) {
      const row = await this.fetchone()
      if (row === null) return
      yield row
    }
  }

  private releaseResult(): void {
    this.stream?.close()
    this.stream = null
  }

  private checkOpen(): void {
    if (this.closed) throw new InterfaceError('the cursor is closed')
    if (this.host.isClosed) throw new InterfaceError('the connection is closed')
  }

  private requireStream(): RowStream {
    this.checkOpen()
    const stream = this.stream
    if (stream === null) throw new ProgrammingError('no result set: call execute() first')
    if (stream.fields.length === 0) throw new ProgrammingError('the last statement did not produce a result set')
    return stream
  }
}
