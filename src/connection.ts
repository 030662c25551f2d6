import { Cursor } from './cursor.js'
import { callNative, ConnectionError, InterfaceError, NotSupportedError, OperationalError, ProgrammingError, StatementError } from './errors.js'
import type { NativeAbort, NativeConnectOptions, NativeConnection, NativeModule, NativeResult, NativeStmtField } from './native.js'
import { RowStream, TaosResult, type RowArray, type RowObject } from './result.js'
import { SmlPrecision, SmlProtocol, type SchemalessOptions } from './schemaless.js'
import { insertTables, queryParams, Stmt, Stmt2, type BindTableData, type StatementHost, type TaosStmt2Option } from './statement.js'
import { envDsn } from './dsn.js'
import type { ResultOptions } from './types.js'

/**
 * Connection settings. Values given here override the DSN's. Defaults: `localhost:6041`,
 * user `root`, password `taosdata`, no database.
 */
export interface ConnectOptions extends ResultOptions {
  user?: string
  password?: string
  host?: string
  port?: number
  /** Database to use (like `use <db>`). */
  database?: string
  /** Timezone of the connection (IANA name, e.g. `'Asia/Shanghai'`). */
  timezone?: string
  /** TDengine Cloud token (sent as the DSN's `token` parameter). */
  token?: string
  /** PEM certificate(s) to trust for `wss://` besides the public web roots (a private CA). */
  ca?: string | Buffer
  /** How long each endpoint may take to accept the WebSocket and the login, in ms. */
  connectTimeoutMs?: number
}

/** Per-statement options. */
export interface ExecuteOptions {
  /** Request id for tracing (u64); generated when absent. */
  reqId?: number | bigint
  /**
   * Stops waiting for the statement when aborted: the call rejects with an `OperationalError`
   * at once, and whatever the statement produces later (a result) is freed. (The server still
   * runs the statement.)
   */
  signal?: AbortSignal
}

/** Per-query options: a request id and the shape of the values. */
export interface QueryOptions extends ExecuteOptions, ResultOptions {}

const ALLOWED: Record<'rowMode' | 'timestampAs' | 'bigintAs', readonly string[]> = {
  rowMode: ['array', 'object'],
  timestampAs: ['date', 'bigint', 'number', 'string'],
  bigintAs: ['bigint', 'number', 'string'],
}

function validateResultOptions(options: ResultOptions): void {
  for (const key of ['rowMode', 'timestampAs', 'bigintAs'] as const) {
    const value = options[key]
    if (value !== undefined && !ALLOWED[key].includes(value)) {
      throw new InterfaceError(`option ${key} must be one of ${ALLOWED[key].join(', ')}; got ${JSON.stringify(value)}`)
    }
  }
}

function aborted(signal: AbortSignal): OperationalError {
  return new OperationalError('the statement was aborted', { cause: signal.reason })
}

function toReqId(reqId: number | bigint | undefined): bigint | null {
  if (reqId === undefined) return null
  if (typeof reqId === 'number' && (!Number.isSafeInteger(reqId) || reqId < 0)) {
    throw new InterfaceError(`reqId must be a non-negative safe integer or a bigint, got ${reqId}`)
  }
  const id = BigInt(reqId)
  if (id < 0n || id > 0xffff_ffff_ffff_ffffn) throw new InterfaceError(`reqId must fit in 64 bits unsigned, got ${id}`)
  return id
}

/** What a finished write reports: no rows, an affected-row count. */
function affectedOnly(affectedRows: number): NativeResult {
  return { hasRows: false, affectedRows, precision: 'ms', fields: [], fetchBlock: async () => null, close: () => undefined }
}

/**
 * A WebSocket connection to TDengine (through taosAdapter). Many queries may run on it
 * concurrently. Close it with {@link Connection.close} or `await using`.
 *
 * The connection holds no credentials in JavaScript: they live in the native session only, so
 * neither `util.inspect` nor `JSON.stringify` of a connection, cursor, statement or result can
 * show them.
 */
export class Connection implements AsyncDisposable, StatementHost {
  private closed = false
  private readonly open = new Set<RowStream>()
  private readonly resultOptions: ResultOptions

  /** @internal */
  constructor(
    private readonly native: NativeConnection,
    options: ResultOptions,
  ) {
    this.resultOptions = {
      rowMode: options.rowMode,
      timestampAs: options.timestampAs,
      bigintAs: options.bigintAs,
      parseJson: options.parseJson,
    }
  }

  /** Whether the connection is closed: {@link Connection.close} was called, or the server went away. */
  get isClosed(): boolean {
    return this.closed || this.native.isClosed
  }

  /** Runs a statement that returns no rows (INSERT, CREATE, …) and resolves to the affected rows. */
  async execute(sql: string, options: ExecuteOptions = {}): Promise<number> {
    const stream = await this.runStatement(sql, options)
    // A SELECT through execute(): its rows are not wanted, free them now.
    stream.close()
    return stream.affectedRows
  }

  /**
   * Runs a statement and returns its result, whose rows are streamed block by block.
   *
   * ```ts
   * const result = await conn.query('select ts, v from meters')
   * for await (const [ts, v] of result) console.log(ts, v)
   * ```
   */
  query<Row = RowArray>(sql: string, options?: QueryOptions & { rowMode?: 'array' }): Promise<TaosResult<Row>>
  query<Row = RowObject>(sql: string, options: QueryOptions & { rowMode: 'object' }): Promise<TaosResult<Row>>
  async query<Row>(sql: string, options: QueryOptions = {}): Promise<TaosResult<Row>> {
    const merged = this.merge(options)
    const stream = await this.runStatement(sql, { ...options, ...merged })
    return new TaosResult<Row>(stream, merged.rowMode ?? 'array')
  }

  /** A PEP-249 cursor on this connection. */
  cursor<Row = RowArray>(options: ResultOptions = {}): Cursor<Row> {
    this.checkOpen()
    return new Cursor<Row>(this, this.merge(options))
  }

  /**
   * Opens a stmt2 prepared statement, prepared with `sql` when given (Python's
   * `conn.statement2(sql, option)`). Close it with {@link Stmt2.close} or `await using`.
   */
  async statement2(sql?: string | null, option: TaosStmt2Option = {}): Promise<Stmt2> {
    this.checkOpen()
    const reqId = toReqId(option.reqId)
    const native = await callNative(() => this.native.stmt2Init(reqId, option.singleStbInsert ?? true, option.singleTableBindOnce ?? false))
    const stmt = new Stmt2(native, this)
    if (sql !== undefined && sql !== null) {
      try {
        await stmt.prepare(sql)
      } catch (err) {
        await stmt.close().catch(() => undefined)
        throw err
      }
    }
    return stmt
  }

  /** Opens a stmt v1 prepared statement (call {@link Stmt.prepare} next). */
  async statement(): Promise<Stmt> {
    this.checkOpen()
    return new Stmt(await callNative(() => this.native.stmtInit()), this)
  }

  /**
   * Writes lines in InfluxDB line, OpenTSDB telnet or OpenTSDB JSON format, creating tables as
   * needed; resolves to the rows written. A malformed line is a `SchemalessError` naming it.
   */
  async schemalessInsert(
    lines: string | readonly string[],
    protocol: SmlProtocol,
    precision: SmlPrecision = SmlPrecision.NOT_CONFIGURED,
    options: SchemalessOptions = {},
  ): Promise<number> {
    this.checkOpen()
    const list = typeof lines === 'string' ? [lines] : lines
    if (!Array.isArray(list) || list.some((l) => typeof l !== 'string')) {
      throw new InterfaceError('schemalessInsert: lines must be a string or an array of strings')
    }
    if (!Object.values(SmlProtocol).includes(protocol)) {
      throw new InterfaceError(`schemalessInsert: unknown protocol ${String(protocol)} (use SmlProtocol)`)
    }
    if (!(Object.values(SmlPrecision) as string[]).includes(precision)) {
      throw new InterfaceError(`schemalessInsert: unknown precision ${JSON.stringify(precision)} (use SmlPrecision)`)
    }
    const ttl = options.ttl ?? 0
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fff_ffff) throw new InterfaceError(`schemalessInsert: ttl must be a non-negative integer, got ${ttl}`)
    const reqId = toReqId(options.reqId)
    return callNative(() =>
      this.native.schemalessInsert([...list], {
        protocol,
        precision,
        ttl,
        ...(reqId === null ? {} : { reqId }),
        ...(options.tableNameKey === undefined ? {} : { tableNameKey: options.tableNameKey }),
      }),
    )
  }

  /** @internal */
  openResult<Row>(native: NativeResult, options: ResultOptions, onClose?: () => void): TaosResult<Row> {
    const merged = this.merge(options)
    return new TaosResult<Row>(this.openStream(native, merged, onClose), merged.rowMode ?? 'array')
  }

  /** The server's version text, e.g. `'3.3.7.5'`. */
  async serverVersion(): Promise<string> {
    this.checkOpen()
    return callNative(() => this.native.serverVersion())
  }

  /** PEP-249: TDengine has no transactions, so there is nothing to commit. */
  async commit(): Promise<void> {
    this.checkOpen()
  }

  /** PEP-249: TDengine has no transactions. */
  async rollback(): Promise<never> {
    throw new NotSupportedError('rollback: TDengine has no transactions')
  }

  /**
   * Closes the connection. Open results are freed with the session; reading them afterwards
   * throws an `InterfaceError`. Safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const stream of [...this.open]) stream.closeBecauseConnectionClosed()
    this.open.clear()
    await callNative(() => this.native.close())
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** The number of `?` placeholders in `sql`. @internal */
  placeholders(sql: string): number {
    this.checkOpen()
    if (typeof sql !== 'string') throw new InterfaceError(`sql must be a string, got ${typeof sql}`)
    return this.native.placeholders(sql)
  }

  /** @internal */
  async runStatement(sql: string, options: QueryOptions): Promise<RowStream> {
    this.checkOpen()
    if (typeof sql !== 'string') throw new InterfaceError(`sql must be a string, got ${typeof sql}`)
    const reqId = toReqId(options.reqId)
    const signal = options.signal
    if (signal?.aborted) throw aborted(signal)
    const abort = signal === undefined ? null : this.native.newAbort()
    const pending = callNative(() => this.native.query(sql, reqId, abort))
    // An abort cancels the call in the session, which frees what it produces.
    const native = signal === undefined ? await pending : await unlessAborted(pending, signal, abort)
    return this.openStream(native, this.merge(options))
  }

  /**
   * Runs `sql` with `?` parameters through stmt2: one row for a query or an insert, or many rows
   * for an insert (all bound at once, grouped by child table). @internal
   */
  async runPrepared(sql: string, rows: ReadonlyArray<readonly unknown[]>, options: QueryOptions): Promise<RowStream> {
    this.checkOpen()
    if (typeof sql !== 'string') throw new InterfaceError(`sql must be a string, got ${typeof sql}`)
    const reqId = toReqId(options.reqId)
    const signal = options.signal
    if (signal?.aborted) throw aborted(signal)
    // An abort cancels the statement's call in flight in the session (which frees what it
    // produces); a result already handed over when the signal fires is closed here.
    const abort = signal === undefined ? null : this.native.newAbort()
    const running = this.prepared(sql, rows, reqId, this.merge(options), abort)
    if (signal === undefined) return running
    return unlessAborted(running, signal, abort, (stream) => stream.close())
  }

  private async prepared(
    sql: string,
    rows: ReadonlyArray<readonly unknown[]>,
    reqId: bigint | null,
    options: ResultOptions,
    abort: NativeAbort | null,
  ): Promise<RowStream> {
    const stmt = await callNative(() => this.native.stmt2Init(reqId, false, false, abort))
    let handedOver = false
    try {
      const prepared = await callNative(() => stmt.prepare(sql))
      if (prepared.isInsert) {
        await callNative(() => stmt.bind(insertTables(prepared.fields, rowsToTables(prepared.fields, rows))))
        return this.openStream(affectedOnly(await callNative(() => stmt.exec())), options)
      }
      if (rows.length !== 1) throw new ProgrammingError('executemany runs writes; run a query with execute(sql, params)')
      await callNative(() => stmt.bind([queryParams(rows[0]!)]))
      await callNative(() => stmt.exec())
      const native = await callNative(() => stmt.result())
      // The result belongs to the statement: close the statement once the rows are done.
      handedOver = true
      return this.openStream(native, options, () => void stmt.close().catch(() => undefined))
    } finally {
      if (!handedOver) await stmt.close().catch(() => undefined)
    }
  }

  /** The one place a result becomes a {@link RowStream}: tracked, and closed with the connection. */
  private openStream(native: NativeResult, options: ResultOptions, onClose?: () => void): RowStream {
    let stream: RowStream
    try {
      stream = new RowStream(native, options, (s) => {
        this.open.delete(s)
        onClose?.()
      })
    } catch (err) {
      // A column we cannot read (unknown type): do not leave the result open on the server.
      native.close()
      onClose?.()
      throw err
    }
    if (this.closed) stream.closeBecauseConnectionClosed()
    else if (native.hasRows) this.open.add(stream)
    return stream
  }

  private merge(options: ResultOptions): ResultOptions {
    validateResultOptions(options)
    return {
      rowMode: options.rowMode ?? this.resultOptions.rowMode,
      timestampAs: options.timestampAs ?? this.resultOptions.timestampAs,
      bigintAs: options.bigintAs ?? this.resultOptions.bigintAs,
      parseJson: options.parseJson ?? this.resultOptions.parseJson,
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new InterfaceError('the connection is closed')
    if (this.native.isClosed) throw new ConnectionError('connection is closed: the server went away')
  }
}

/**
 * `pending`, unless `signal` fires first: then the call rejects at once, `abort` (if any) cancels
 * it natively, and `late` receives what still arrives.
 */
function unlessAborted<T>(pending: Promise<T>, signal: AbortSignal, abort: NativeAbort | null, late?: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(aborted(signal))
      abort?.abort()
      pending.then(
        (value) => late?.(value),
        () => undefined,
      )
    }
    signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}

/**
 * Opens a connection through the given native module. `connect()` in the package entry point
 * passes the real addon; tests pass a fake.
 *
 * @internal
 */
export async function openConnection(
  native: NativeModule,
  dsn: string | undefined,
  options: ConnectOptions = {},
): Promise<Connection> {
  validateResultOptions(options)
  const effectiveDsn = dsn ?? envDsn()
  const nativeOptions: NativeConnectOptions = {}
  for (const key of ['user', 'password', 'host', 'database', 'timezone', 'token'] as const) {
    const value = options[key]
    if (value !== undefined) {
      if (typeof value !== 'string') throw new InterfaceError(`option ${key} must be a string`)
      nativeOptions[key] = value
    }
  }
  if (options.ca !== undefined) {
    if (typeof options.ca !== 'string' && !Buffer.isBuffer(options.ca)) throw new InterfaceError('option ca must be PEM text or a Buffer')
    nativeOptions.ca = options.ca.toString()
  }
  if (options.connectTimeoutMs !== undefined) {
    const ms = options.connectTimeoutMs
    if (!Number.isInteger(ms) || ms <= 0 || ms > 0xffff_ffff) {
      throw new InterfaceError(`option connectTimeoutMs must be a positive integer, got ${String(ms)}`)
    }
    nativeOptions.connectTimeoutMs = ms
  }
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw new InterfaceError(`option port must be an integer between 1 and 65535, got ${String(options.port)}`)
    }
    nativeOptions.port = options.port
  }
  const conn = await callNative(() => native.connect(effectiveDsn ?? null, nativeOptions))
  return new Connection(conn, options)
}

/**
 * Rows of positional parameters (one per `?`, in SQL order) → tables for stmt2: the table name
 * and tag values come from the row's table-name and tag placeholders; rows of the same table
 * are bound together.
 */
function rowsToTables(fields: readonly NativeStmtField[], rows: ReadonlyArray<readonly unknown[]>): BindTableData[] {
  const byName = new Map<string, { name: string | null; tags: unknown[]; columns: unknown[][] }>()
  const colCount = fields.filter((f) => f.bindType === 'column').length
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) throw new StatementError(`row ${r}: parameters must be an array, got ${String(row)}`)
    if (row.length !== fields.length) {
      throw new StatementError(`row ${r}: the statement has ${fields.length} placeholders, ${row.length} parameters were given`)
    }
    let name: string | null = null
    const tags: unknown[] = []
    const values: unknown[] = []
    fields.forEach((f, k) => {
      if (f.bindType === 'tbname') {
        if (typeof row[k] !== 'string') throw new StatementError(`row ${r}: the table name must be a string, got ${String(row[k])}`)
        name = row[k] as string
      } else if (f.bindType === 'tag') tags.push(row[k])
      else values.push(row[k])
    })
    const key = name ?? ''
    let table = byName.get(key)
    if (table === undefined) {
      table = { name, tags, columns: Array.from({ length: colCount }, () => []) }
      byName.set(key, table)
    }
    values.forEach((v, c) => table.columns[c]!.push(v))
  })
  return [...byName.values()]
}
