/**
 * `RestClient`: taosAdapter's REST API (`POST /rest/sql`) the way the Python connector's
 * `taosrest.RestClient` offers it — one call per statement, the adapter's answer as an object.
 * For the full API over REST (results streamed as rows or columns, cursors) use
 * `connect('http://…')`; both read answers with the same Rust decoder and value conversion.
 *
 * @module
 */
import { CallLimits, type CallOptions } from './call.js'
import { connectOptions, Connection, type ConnectOptions } from './connection.js'
import { fromNative, ProgrammingError } from './errors.js'
import { currentNative } from './native-loader.js'
import type { NativeConnection, NativeModule } from './native.js'

/** Options of {@link RestClient}: those of `connect()` that REST uses. Values given here override the URL's. */
export interface RestClientOptions
  extends Pick<ConnectOptions, 'user' | 'password' | 'database' | 'timezone' | 'token' | 'ca' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'maxSockets'> {
  /**
   * `true` (default): timestamps become JavaScript values as in query results — a `Date` for
   * millisecond results, a `bigint` count of µs/ns for microsecond/nanosecond results, so no digit
   * is lost. `false`: RFC 3339 text in UTC with 3, 6 or 9 fraction digits, as taosAdapter writes it
   * without a time zone.
   */
  convertTimestamp?: boolean
}

/** One column of a {@link RestResponse}: name, TDengine's type name, length (as taosAdapter sends it). */
export type RestColumnMeta = [name: string, type: string, length: number]

/**
 * A successful answer, shaped as taosAdapter sends it. A statement without a result set answers
 * `column_meta: [['affected_rows', 'INT', 4]]` and one row holding the affected-row count.
 * Values are those of query results: BIGINT as `bigint` (exact beyond 2^53), VARBINARY, GEOMETRY
 * and BLOB as `Buffer`, DECIMAL as exact text, JSON as its text, NULL as `null`.
 */
export interface RestResponse {
  /** Always 0: a non-zero code is thrown as an error carrying it in `errno`. */
  code: number
  column_meta: RestColumnMeta[]
  data: unknown[][]
  rows: number
}

/**
 * Per-statement options of {@link RestClient.sql}: `timeoutMs` (this request's deadline, instead
 * of `requestTimeoutMs`; a `TimeoutError` when it passes) and `signal` (gives up on the request:
 * an `AbortError`).
 */
export interface RestSqlOptions extends CallOptions {
  /** Request id for tracing (sent as `req_id`). */
  reqId?: number | bigint
}

/** What `RestClient` accepts besides `connect()`'s transport options. */
const REST_KEYS = new Set(['user', 'password', 'database', 'timezone', 'token', 'ca', 'connectTimeoutMs', 'requestTimeoutMs', 'maxSockets', 'convertTimestamp'])

/**
 * A client of taosAdapter's REST API.
 *
 * ```ts
 * await using client = new RestClient('http://localhost:6041', { user: 'root', password: 'taosdata' })
 * const { column_meta, data } = await client.sql('select ts, current from power.meters limit 2')
 * ```
 *
 * Requests reuse keep-alive sockets (at most `maxSockets` at a time) and each has a deadline
 * (`requestTimeoutMs`, or a call's own `timeoutMs`). Errors are the classes of `connect()`: a statement TDengine refuses is a
 * `QueryError` with its code, a wrong password a `ConnectionError`, an unreachable server a
 * `ConnectionError`, an answer that is not taosAdapter's a `ResultError` or `OperationalError`.
 */
export class RestClient implements AsyncDisposable {
  private readonly connection: Connection
  private readonly native: NativeConnection
  /** taosAdapter's `column_meta` for a statement without a result set, as the core knows it. */
  private readonly affectedRowsMeta: RestColumnMeta

  /**
   * @param url - `http://host:6041` or `https://…`; it may carry `user:password@` and a database
   *   path (`http://root:taosdata@host:6041/power`). No request is sent until the first
   *   statement.
   * @throws ProgrammingError when the URL is not an http(s) URL naming its host, or an option is
   *   unknown or of the wrong type (the rule of `connect()`'s DSN and options).
   */
  constructor(url: string, options: RestClientOptions = {}) {
    const native = currentNative()
    this.native = RestClient.open(native, url, options)
    this.connection = RestClient.wrap(this.native, options)
    const column = native.restAffectedRowsColumn()
    this.affectedRowsMeta = [column.name, column.typeName, column.bytes]
  }

  private static open(native: NativeModule, url: string, options: RestClientOptions): NativeConnection {
    if (typeof url !== 'string') throw new ProgrammingError(`RestClient: url must be a string, got ${typeof url}`)
    if (options === null || typeof options !== 'object') throw new ProgrammingError(`RestClient: options must be an object, got ${typeof options}`)
    const unknown = Object.keys(options).filter((k) => !REST_KEYS.has(k) && (options as Record<string, unknown>)[k] !== undefined)
    if (unknown.length > 0) throw new ProgrammingError(`RestClient: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...REST_KEYS].join(', ')})`)
    const { convertTimestamp, ...transport } = options
    if (convertTimestamp !== undefined && typeof convertTimestamp !== 'boolean') {
      throw new ProgrammingError(`RestClient: option convertTimestamp must be a boolean, got ${typeof convertTimestamp}`)
    }
    const nativeOptions = connectOptions(transport)
    try {
      return native.restClient(url, nativeOptions)
    } catch (err) {
      throw fromNative(err)
    }
  }

  private static wrap(native: NativeConnection, options: RestClientOptions): Connection {
    return new Connection(native, { timestampAs: options.convertTimestamp === false ? 'string' : undefined })
  }

  /**
   * Runs one statement and resolves to taosAdapter's answer (see {@link RestResponse}).
   *
   * @throws QueryError with TDengine's code when the statement is refused; ConnectionError when
   *   the server cannot be reached or refuses the credentials; OperationalError when the request
   *   times out, is aborted or the server fails (HTTP 5xx).
   */
  async sql(sql: string, options: RestSqlOptions = {}): Promise<RestResponse> {
    const result = await this.connection.query(sql, { reqId: options.reqId, timeoutMs: options.timeoutMs, signal: options.signal })
    if (result.fieldCount === 0) {
      return { code: 0, column_meta: [this.affectedRowsMeta], data: [[result.affectedRows]], rows: 1 }
    }
    const data = await result.toArray()
    const columnMeta = result.fields.map((f): RestColumnMeta => [f.name, f.typeName, f.bytes])
    return { code: 0, column_meta: columnMeta, data, rows: data.length }
  }

  /**
   * Asks the server for the token of this client's user and password (`GET /rest/login`): other
   * clients can then authenticate with `{ token }` instead of the password. `options` as for
   * {@link RestClient.sql} (without `reqId`).
   */
  async login(options?: CallOptions): Promise<string> {
    const limits = CallLimits.of(options)
    return limits.run(() => this.native.newAbort(), (ms, abort) => this.native.restToken(ms, abort))
  }

  /** Whether {@link RestClient.close} was called. */
  get isClosed(): boolean {
    return this.connection.isClosed
  }

  /** Drops the idle sockets; requests in flight fail. Safe to call more than once. */
  async close(): Promise<void> {
    await this.connection.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
