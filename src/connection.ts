import { EventEmitter } from './emitter.js'

import { utf8Slice } from './bytes.js'
import { abortError, CallLimits, checkMs, checkSignal, MAX_MS, unlessAborted, type CallOptions } from './call.js'
import { Cursor } from './cursor.js'
import { callNative, ConnectionError, fromNative, InterfaceError, NotSupportedError, ProgrammingError, StatementError } from './errors.js'
import type { NativeAbort, NativeConnectOptions, NativeConnection, NativeEvent, NativeModule, NativeResult, NativeStmtField } from './native.js'
import { RowStream, TaosResult, type RowArray, type RowObject } from './result.js'
import { SmlPrecision, SmlProtocol, type SchemalessOptions } from './schemaless.js'
import { bindPacked, insertTables, queryParams, Stmt, Stmt2, type BindTableData, type StatementHost, type TaosStmt2Option } from './statement.js'
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
  /**
   * Timezone of the connection (IANA name, e.g. `'Asia/Shanghai'`): SQL such as
   * `'2023-11-15 00:00:00'` or `today()` is read in it. (REST sends it as `conn_tz`.)
   */
  timezone?: string
  /**
   * WebSocket: a TDengine Cloud token (sent as the DSN's `token` parameter). REST: a token from
   * `/rest/login` (see `RestClient.login`), sent as `Authorization: Taosd <token>` instead of the
   * user and password.
   */
  token?: string
  /**
   * PEM certificate(s) to trust for `wss://`/`https://` besides the system's roots: a private CA, or the
   * server's own self-signed certificate.
   */
  ca?: string | Uint8Array
  /** PEM client certificate chain for `wss://` servers that ask for one (with `key`). */
  cert?: string | Uint8Array
  /** PEM private key of `cert`. */
  key?: string | Uint8Array
  /**
   * `false` accepts any server certificate (as Node's `tls`): the connection is encrypted but
   * not authenticated. For tests only. Default `true`.
   */
  rejectUnauthorized?: boolean
  /**
   * How long each endpoint may take to connect, in ms: WebSocket, to accept the WebSocket and the
   * login; REST, to open the socket (and, in `connect`, to answer `select server_version()`).
   * Default 10000.
   */
  connectTimeoutMs?: number
  /**
   * How long a request may wait for its answer unless the call says otherwise (`timeoutMs`), in
   * ms: a `TimeoutError` then. Default 300000 (5 minutes). The same for every transport (REST:
   * the HTTP request, answer included; `taos://`: the library's call).
   */
  requestTimeoutMs?: number
  /**
   * An idle connection pings the server after this many ms; a peer that answers nothing is
   * declared dead within three intervals. 0 turns it off. Default 10000.
   */
  keepaliveMs?: number
  /**
   * Reconnect attempts after the connection is lost (each tries every endpoint of the DSN in
   * order); 0 never reconnects, `Infinity` never gives up. Default 5. See README, Resilience,
   * for what is sent again after a reconnect.
   */
  retries?: number
  /** Wait before the second reconnect attempt (the first is immediate), doubled each time, in ms. Default 200. */
  retryBackoffMs?: number
  /** Longest wait between reconnect attempts, in ms. Default 2000. */
  retryBackoffMaxMs?: number
  /** Results the connection may hold open on the server at once; more is refused. Default 1000. */
  maxOpenResults?: number
  /** REST: sockets open at once (keep-alive, reused); more statements wait their turn. Default 10. */
  maxSockets?: number
  /** Gives up on connecting (rejects with an `AbortError`). */
  signal?: AbortSignal
}

/** Per-statement options. */
export interface ExecuteOptions extends CallOptions {
  /** Request id for tracing (u64); generated when absent. */
  reqId?: number | bigint
}

/** Per-query options: a request id and the shape of the values. */
export interface QueryOptions extends ExecuteOptions, ResultOptions {}

const ALLOWED: Record<'rowMode' | 'timestampAs' | 'bigintAs', readonly string[]> = {
  rowMode: ['array', 'object'],
  timestampAs: ['date', 'bigint', 'number', 'string'],
  bigintAs: ['bigint', 'number', 'string'],
}

export function validateResultOptions(options: ResultOptions): void {
  for (const key of ['rowMode', 'timestampAs', 'bigintAs'] as const) {
    const value = options[key]
    if (value !== undefined && !ALLOWED[key].includes(value)) {
      throw new InterfaceError(`option ${key} must be one of ${ALLOWED[key].join(', ')}; got ${JSON.stringify(value)}`)
    }
  }
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

/** Checks that `options` is an object; a ProgrammingError names `what` otherwise. */
function optionsObject<T extends object>(options: T | undefined | null, what: string): T {
  if (options === undefined || options === null) return {} as T
  if (typeof options !== 'object') throw new ProgrammingError(`${what} must be an object, got ${typeof options}`)
  return options
}

/** `'reconnecting'`: the connection was lost (or an attempt failed); attempt `attempt` starts in `delayMs`. */
export interface ReconnectingEvent {
  attempt: number
  delayMs: number
  /** What was lost or why the previous attempt failed. */
  reason: string
}

/** `'reconnected'`: logged in again (session state restored, safe requests sent again). */
export interface ReconnectedEvent {
  attempt: number
  /** `host:port` of the endpoint in use now. */
  endpoint: string
}

/** The events of a {@link Connection}, with their arguments. */
export interface ConnectionEvents {
  reconnecting: [event: ReconnectingEvent]
  reconnected: [event: ReconnectedEvent]
  /** The connection was lost and could not be restored (only emitted when someone listens). */
  error: [error: Error]
  /** Closed for good: by {@link Connection.close} (no error) or lost for good (the error). */
  close: [error: Error | undefined]
}

/**
 * A connection to TDengine, the same API whichever the DSN's scheme: taosAdapter's WebSocket
 * (`ws://`, `wss://`) or REST API (`http://`, `https://`), or TDengine's client library
 * (`taos://`). Many queries may run on it concurrently. Close it with {@link Connection.close}
 * or `await using`.
 *
 * Over REST every statement is one HTTP request and there is no session: prepared statements
 * (`statement2`, `statement`, `cursor.execute` with parameters) and schemaless writes reject with
 * a `NotSupportedError` that names the `ws://` DSN to use instead.
 *
 * A connection that is lost reconnects (`retries`, see README, Resilience) and tells its
 * listeners: it is an `EventEmitter` with `'reconnecting'`, `'reconnected'`, `'error'` and
 * `'close'` (see {@link ConnectionEvents}).
 *
 * The connection holds no credentials in JavaScript: they live in the native session only, so
 * neither `util.inspect` nor `JSON.stringify` of a connection, cursor, statement or result can
 * show them.
 */
export class Connection extends EventEmitter<ConnectionEvents> implements AsyncDisposable, StatementHost {
  private closed = false
  private closeEmitted = false
  /** Results with rows on the server, held weakly: one nobody can reach is freed (unreachable.ts). */
  private readonly open = new Set<WeakRef<RowStream>>()
  private readonly resultOptions: ResultOptions
  /** The connection's timezone (for Arrow timestamps). */
  private readonly timezone: string | undefined

  /** @internal */
  constructor(
    private readonly native: NativeConnection,
    options: ResultOptions,
  ) {
    super()
    native.onEvent((event) => this.onNativeEvent(event))
    this.timezone = native.timezone?.() ?? undefined
    this.resultOptions = {
      rowMode: options.rowMode,
      timestampAs: options.timestampAs,
      bigintAs: options.bigintAs,
      parseJson: options.parseJson,
    }
  }

  /**
   * Whether the connection is closed for good: {@link Connection.close} was called, or it was
   * lost and could not be restored. A connection that is reconnecting is not closed.
   */
  get isClosed(): boolean {
    return this.closed || this.native.isClosed
  }

  private onNativeEvent(event: NativeEvent): void {
    switch (event.kind) {
      case 'reconnecting':
        this.emit('reconnecting', { attempt: event.attempt ?? 0, delayMs: event.delayMs ?? 0, reason: event.reason ?? '' })
        break
      case 'reconnected':
        this.emit('reconnected', { attempt: event.attempt ?? 0, endpoint: event.endpoint ?? '' })
        break
      case 'close': {
        const error = event.error === undefined || event.error === null ? undefined : fromNative(event.error)
        this.emitClose(error)
        break
      }
    }
  }

  /** `'error'` (when listened to) then `'close'`, once. */
  private emitClose(error: Error | undefined): void {
    if (this.closeEmitted) return
    this.closeEmitted = true
    if (error !== undefined && this.listenerCount('error') > 0) this.emit('error', error)
    this.emit('close', error)
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
    return new TaosResult<Row>(stream, merged.rowMode ?? 'array', this.timezone)
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
  async statement2(sql?: string | null, option: TaosStmt2Option & CallOptions = {}): Promise<Stmt2> {
    this.checkOpen()
    option = optionsObject(option, 'statement2 options')
    const reqId = toReqId(option.reqId)
    const limits = CallLimits.of(option)
    const closeLate = (s: { close(): Promise<void> }) => void s.close().catch(() => undefined)
    const native = await limits.run(
      this.newAbort,
      (ms, abort) => this.native.stmt2Init(reqId, option.singleStbInsert ?? true, option.singleTableBindOnce ?? false, ms, abort),
      closeLate,
    )
    const stmt = new Stmt2(native, this)
    if (sql !== undefined && sql !== null) {
      try {
        await stmt.prepare(sql, { timeoutMs: limits.timeoutMs, signal: limits.signal })
      } catch (err) {
        await stmt.close().catch(() => undefined)
        throw err
      }
    }
    return stmt
  }

  /** Opens a stmt v1 prepared statement (call {@link Stmt.prepare} next). */
  async statement(options: CallOptions = {}): Promise<Stmt> {
    this.checkOpen()
    const limits = CallLimits.of(options)
    const closeLate = (s: { close(): Promise<void> }) => void s.close().catch(() => undefined)
    return new Stmt(await limits.run(this.newAbort, (ms, abort) => this.native.stmtInit(ms, abort), closeLate), this)
  }

  /**
   * Writes lines in InfluxDB line, OpenTSDB telnet or OpenTSDB JSON format, creating tables as
   * needed; resolves to the rows written. A malformed line is a `SchemalessError` naming it.
   */
  async schemalessInsert(
    lines: string | readonly string[],
    protocol: SmlProtocol,
    precision: SmlPrecision = SmlPrecision.NOT_CONFIGURED,
    options: SchemalessOptions & CallOptions = {},
  ): Promise<number> {
    this.checkOpen()
    options = optionsObject(options, 'schemalessInsert options')
    const list = typeof lines === 'string' ? [lines] : lines
    if (!Array.isArray(list)) throw new InterfaceError('schemalessInsert: lines must be a string or an array of strings')
    if (!Object.values(SmlProtocol).includes(protocol)) {
      throw new InterfaceError(`schemalessInsert: unknown protocol ${String(protocol)} (use SmlProtocol)`)
    }
    if (!(Object.values(SmlPrecision) as string[]).includes(precision)) {
      throw new InterfaceError(`schemalessInsert: unknown precision ${JSON.stringify(precision)} (use SmlPrecision)`)
    }
    const ttl = options.ttl ?? 0
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fff_ffff) throw new InterfaceError(`schemalessInsert: ttl must be a non-negative integer, got ${ttl}`)
    const reqId = toReqId(options.reqId)
    const limits = CallLimits.of(options)
    const native = {
      protocol,
      precision,
      ttl,
      ...(reqId === null ? {} : { reqId }),
      ...(options.tableNameKey === undefined ? {} : { tableNameKey: options.tableNameKey }),
    }
    const sent = protocol === SmlProtocol.JSON ? textsOf(list) : joinedLines(list)
    return limits.run(this.newAbort, (ms, abort) => this.native.schemalessInsert(sent, native, ms, abort))
  }

  /** @internal */
  openResult<Row>(native: NativeResult, options: ResultOptions, onClose?: () => void, limits: CallLimits = CallLimits.NONE): TaosResult<Row> {
    const merged = this.merge(options)
    return new TaosResult<Row>(this.openStream(native, merged, onClose, limits), merged.rowMode ?? 'array', this.timezone)
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
    for (const stream of [...this.open]) stream.deref()?.closeBecauseConnectionClosed()
    this.open.clear()
    await callNative(() => this.native.close())
    this.emitClose(undefined)
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
    const limits = CallLimits.of(options)
    // An abort cancels the call in the session, which frees what it produces.
    const native = await limits.run(this.newAbort, (timeoutMs, abort) => this.native.query(sql, reqId, timeoutMs, abort))
    return this.openStream(native, this.merge(options), undefined, limits)
  }

  /**
   * Runs `sql` with `?` parameters through stmt2: one row for a query or an insert, or many rows
   * for an insert (all bound at once, grouped by child table). @internal
   */
  async runPrepared(sql: string, rows: ReadonlyArray<readonly unknown[]>, options: QueryOptions): Promise<RowStream> {
    this.checkOpen()
    if (typeof sql !== 'string') throw new InterfaceError(`sql must be a string, got ${typeof sql}`)
    const reqId = toReqId(options.reqId)
    const limits = CallLimits.of(options)
    return this.prepared(sql, rows, reqId, this.merge(options), limits)
  }

  private async prepared(sql: string, rows: ReadonlyArray<readonly unknown[]>, reqId: bigint | null, options: ResultOptions, limits: CallLimits): Promise<RowStream> {
    const closeLate = (s: { close(): Promise<void> }) => void s.close().catch(() => undefined)
    const stmt = await limits.run(this.newAbort, (ms, abort) => this.native.stmt2Init(reqId, false, false, ms, abort), closeLate)
    let handedOver = false
    try {
      const prepared = await limits.run(this.newAbort, (ms, abort) => stmt.prepare(sql, ms, abort))
      if (prepared.isInsert) {
        const tables = insertTables(prepared.fields, rowsToTables(prepared.fields, rows))
        await limits.run(this.newAbort, (ms, abort) => bindPacked(stmt, tables, ms, abort))
        return this.openStream(affectedOnly(await limits.run(this.newAbort, (ms, abort) => stmt.exec(ms, abort))), options)
      }
      if (rows.length !== 1) throw new ProgrammingError('executemany runs writes; run a query with execute(sql, params)')
      const params = queryParams(rows[0]!)
      await limits.run(this.newAbort, (ms, abort) => bindPacked(stmt, params, ms, abort))
      await limits.run(this.newAbort, (ms, abort) => stmt.exec(ms, abort))
      const native = await limits.run(this.newAbort, (ms, abort) => stmt.result(ms, abort), (r) => r.close())
      // The result belongs to the statement: close the statement once the rows are done.
      handedOver = true
      return this.openStream(native, options, () => void stmt.close().catch(() => undefined), limits)
    } finally {
      if (!handedOver) await stmt.close().catch(() => undefined)
    }
  }

  /** A native abort handle (for {@link CallLimits.run}). @internal */
  readonly newAbort = (): NativeAbort => this.native.newAbort()

  /**
   * The one place a result becomes a {@link RowStream}: tracked, and closed with the connection.
   * `limits` (the statement's) also govern reading its rows.
   */
  private openStream(native: NativeResult, options: ResultOptions, onClose?: () => void, limits: CallLimits = CallLimits.NONE): RowStream {
    // What the stream's onClose holds must not hold the stream (it also runs when it is collected).
    const tracked: { ref?: WeakRef<RowStream> } = {}
    let stream: RowStream
    try {
      stream = new RowStream(native, options, () => {
        if (tracked.ref !== undefined) this.open.delete(tracked.ref)
        onClose?.()
      }, limits)
    } catch (err) {
      // A column we cannot read (unknown type): do not leave the result open on the server.
      native.close()
      onClose?.()
      throw err
    }
    if (this.closed) stream.closeBecauseConnectionClosed()
    else if (stream.hasRows) this.open.add((tracked.ref = new WeakRef(stream)))
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
    if (this.native.isClosed) throw new ConnectionError('connection is closed: it was lost and could not be restored')
  }
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
  options = optionsObject(options, 'connect options')
  const nativeOptions = checkConnectOptions(options)
  const signal = checkSignal(options.signal)
  if (signal?.aborted) throw abortError(signal)
  const effectiveDsn = dsn ?? envDsn()
  const pending = callNative(() => native.connect(effectiveDsn ?? null, nativeOptions))
  // An abort gives up waiting; a connection that opens anyway is closed.
  const conn = signal === undefined ? await pending : await unlessAborted(pending, signal, null, (late) => void late.close().catch(() => undefined))
  return new Connection(conn, options)
}

/**
 * Checks connection options without any I/O (a pool checks them when it is created) and returns
 * what the native layer takes.
 *
 * @internal
 */
export function checkConnectOptions(options: ConnectOptions): NativeConnectOptions {
  const nativeOptions = connectOptions(options)
  validateResultOptions(options)
  return nativeOptions
}

/** Every option `connect` knows, by kind. */
const STRING_OPTIONS = ['user', 'password', 'host', 'database', 'timezone', 'token'] as const
const PEM_OPTIONS = ['ca', 'cert', 'key'] as const
const MS_OPTIONS = ['connectTimeoutMs', 'requestTimeoutMs', 'keepaliveMs', 'retryBackoffMs', 'retryBackoffMaxMs', 'maxOpenResults', 'maxSockets'] as const
const KNOWN_OPTIONS = new Set<string>([
  ...STRING_OPTIONS,
  ...PEM_OPTIONS,
  ...MS_OPTIONS,
  'port',
  'retries',
  'rejectUnauthorized',
  'signal',
  'rowMode',
  'timestampAs',
  'bigintAs',
  'parseJson',
])

/**
 * The options the native layer takes, checked for their JavaScript type (a ProgrammingError
 * names the option); what the values mean — ranges, hosts, certificates — is checked in Rust.
 * (The pool checks its connection options with it before any I/O, and `RestClient` its own.)
 *
 * @internal
 */
export function connectOptions(options: ConnectOptions): NativeConnectOptions {
  const unknown = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k) && (options as Record<string, unknown>)[k] !== undefined)
  if (unknown.length > 0) {
    throw new ProgrammingError(`unknown connection option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...KNOWN_OPTIONS].join(', ')})`)
  }
  const out: NativeConnectOptions = {}
  for (const key of STRING_OPTIONS) {
    const value = options[key]
    if (value !== undefined) {
      if (typeof value !== 'string') throw new ProgrammingError(`option ${key} must be a string, got ${typeof value}`)
      out[key] = value
    }
  }
  for (const key of PEM_OPTIONS) {
    const value = options[key]
    if (value !== undefined) {
      if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new ProgrammingError(`option ${key} must be PEM text or a Buffer, got ${typeof value}`)
      out[key] = typeof value === 'string' ? value : utf8Slice(value, 0, value.length)
    }
  }
  for (const key of MS_OPTIONS) {
    const value = options[key]
    if (value !== undefined) out[key] = checkMs(key, value, key === 'keepaliveMs' || key.startsWith('retry') ? 0 : 1)
  }
  if (options.retries !== undefined) out.retries = options.retries === Infinity ? MAX_MS : checkMs('retries', options.retries, 0)
  if (options.rejectUnauthorized !== undefined) {
    if (typeof options.rejectUnauthorized !== 'boolean') throw new ProgrammingError(`option rejectUnauthorized must be a boolean, got ${typeof options.rejectUnauthorized}`)
    out.rejectUnauthorized = options.rejectUnauthorized
  }
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw new ProgrammingError(`option port must be an integer between 1 and 65535, got ${String(options.port)}`)
    }
    out.port = options.port
  }
  return out
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

/**
 * Line and telnet lines as they cross to the native call: a few strings of up to
 * {@link JOINED_CHARS} characters, each its lines joined as the wire joins them (`\n`); the core
 * counts the lines in them, so an error names the same line. A string per line would cost a
 * native conversion each, and flatten every line built with `+` or a template into a new heap
 * string; one string per batch (~1 MB for 10k lines) is a large object V8 maps fresh pages for
 * each time, where strings this size stay in the young generation's reused pages.
 */
function joinedLines(list: readonly unknown[]): string[] {
  const out: string[] = []
  let from = 0
  let chars = 0
  for (let i = 0; i < list.length; i++) {
    const line = list[i]
    if (typeof line !== 'string') throw new InterfaceError('schemalessInsert: lines must be a string or an array of strings')
    chars += line.length + 1
    if (chars >= JOINED_CHARS) {
      out.push(i === from ? line : list.slice(from, i + 1).join('\n'))
      from = i + 1
      chars = 0
    }
  }
  if (from < list.length) out.push(from === 0 ? (list as string[]).join('\n') : list.slice(from).join('\n'))
  return out
}

/** Characters per joined string: under V8's largest young-generation object (128 KiB) even at two bytes a character. */
const JOINED_CHARS = 32 * 1024

/** OpenTSDB JSON texts, one string each (each is one document). */
function textsOf(list: readonly unknown[]): string[] {
  if (list.some((l) => typeof l !== 'string')) throw new InterfaceError('schemalessInsert: lines must be a string or an array of strings')
  return [...(list as string[])]
}
