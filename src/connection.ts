import { Cursor } from './cursor.js'
import { callNative, InterfaceError, NotSupportedError, OperationalError } from './errors.js'
import type { NativeConnectOptions, NativeConnection, NativeModule, NativeQueryResult } from './native.js'
import { RowStream, TaosResult, type RowArray, type RowObject } from './result.js'
import { dsnSecrets, envDsn } from './dsn.js'
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
   * at once, and a result that arrives later is freed. (The server still runs the statement.)
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

/**
 * A WebSocket connection to TDengine (through taosAdapter). Many queries may run on it
 * concurrently. Close it with {@link Connection.close} or `await using`.
 */
export class Connection implements AsyncDisposable {
  private closed = false
  private readonly open = new Set<RowStream>()
  private readonly resultOptions: ResultOptions

  /** @internal */
  constructor(
    private readonly native: NativeConnection,
    options: ResultOptions,
    private readonly secrets: ReadonlyArray<string | undefined>,
  ) {
    this.resultOptions = {
      rowMode: options.rowMode,
      timestampAs: options.timestampAs,
      bigintAs: options.bigintAs,
      parseJson: options.parseJson,
    }
  }

  /** Whether {@link Connection.close} was called. */
  get isClosed(): boolean {
    return this.closed
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
    if (this.closed) throw new InterfaceError('the connection is closed')
    return new Cursor<Row>(this, this.merge(options))
  }

  /** The server's version text, e.g. `'3.3.7.5'`. */
  async serverVersion(): Promise<string> {
    this.checkOpen()
    return callNative(() => this.native.serverVersion(), this.secrets)
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
    await callNative(() => this.native.close(), this.secrets)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** @internal */
  async runStatement(sql: string, options: QueryOptions): Promise<RowStream> {
    this.checkOpen()
    if (typeof sql !== 'string') throw new InterfaceError(`sql must be a string, got ${typeof sql}`)
    const reqId = toReqId(options.reqId)
    const signal = options.signal
    if (signal?.aborted) throw aborted(signal)
    const pending = callNative(() => this.native.query(sql, reqId), this.secrets)
    const reply = signal === undefined ? await pending : await this.unlessAborted(pending, signal)
    let stream: RowStream
    try {
      stream = new RowStream(this.native, reply, this.merge(options), (s) => this.open.delete(s), this.secrets)
    } catch (err) {
      // A column we cannot read (unknown type): do not leave the result open on the server.
      if (reply.resultId !== 0) this.native.freeResult(reply.resultId)
      throw err
    }
    if (this.closed) {
      stream.closeBecauseConnectionClosed()
    } else if (reply.resultId !== 0) {
      this.open.add(stream)
    }
    return stream
  }

  private unlessAborted(pending: Promise<NativeQueryResult>, signal: AbortSignal): Promise<NativeQueryResult> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(aborted(signal))
        // Nobody will read the result: free it when it arrives.
        pending.then(
          (reply) => reply.resultId !== 0 && this.native.freeResult(reply.resultId),
          () => undefined,
        )
      }
      signal.addEventListener('abort', onAbort, { once: true })
      pending.then(
        (reply) => {
          signal.removeEventListener('abort', onAbort)
          resolve(reply)
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(err)
        },
      )
    })
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
  const secrets = [options.password, options.token, ...dsnSecrets(effectiveDsn)]
  const conn = await callNative(() => native.connect(effectiveDsn ?? null, nativeOptions), secrets)
  return new Connection(conn, options, secrets)
}
