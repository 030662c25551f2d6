/**
 * REST in the WebAssembly build: taosAdapter's `/rest/sql` over the runtime's `fetch`, the
 * counterpart of the tokio driver's `RestClient` (crates/taosjs-tokio/src/rest). The core builds
 * every request and reads every answer (`NativeRestTarget`, crates/taosjs-napi/src/rest_target.rs
 * over `taosjs_core::rest`: URL, `Authorization`, `req_id`, `conn_tz`, the lossless JSON decoder,
 * the version check, the refusal's code); this module only sends the bytes, bounds the time (a
 * deadline per request, waiting for a turn included; `maxSockets` requests at a time) and, when
 * the runtime refuses a request, says why and what to do — in a page: mixed content, CORS,
 * Content-Security-Policy.
 *
 * @internal
 * @module
 */
import type * as Generated from '../index.js'
import { AbortError, ConnectionError, fromNative, TimeoutError } from './errors.js'
import { WholeResult, type Abort, type Ms, type NativeAbort, type NativeConnection, type NativeConnectOptions, type NativeEvent, type NativeResult, type NativeStmt, type NativeStmt2 } from './native.js'
import { runtimeName } from './runtime.js'

type Target = Generated.NativeRestTarget

/** What REST uses of the WebAssembly module's exports. */
export interface RestBinding {
  NativeRestTarget: new (dsn: string | null | undefined, options: NativeConnectOptions | null | undefined, restUrl: boolean) => Target
  restAffectedRowsColumn(): Generated.NativeRestColumn
  /** Whether a DSN names REST (`http://`, `https://`); a DSN that does not parse is not (its connection says why). */
  isRestDsn(dsn: string | null): boolean
}

/** `connect('http://…')`: the first endpoint that answers `select server_version()`, each within `connectTimeoutMs`. */
export async function restConnect(binding: RestBinding, dsn: string | null | undefined, options: NativeConnectOptions): Promise<NativeConnection> {
  const connection = new FetchConnection(new binding.NativeRestTarget(dsn ?? null, options, false))
  await connection.connect()
  return connection
}

/** `new RestClient(url)`: nothing is sent until the first statement. */
export function restClient(binding: RestBinding, url: string, options: NativeConnectOptions): NativeConnection {
  return new FetchConnection(new binding.NativeRestTarget(url, options, true))
}

export function restAffectedRowsColumn(binding: RestBinding): Generated.NativeRestColumn {
  return binding.restAffectedRowsColumn()
}

/** The parts of `fetch` used here (the runtime's; Node.js ≥ 18, browsers, Deno, Bun). */
type Fetch = (url: string, init: { method: string; headers: Array<[string, string]>; body?: Uint8Array; signal: AbortSignal; mode?: string; credentials?: string }) => Promise<{
  status: number
  arrayBuffer(): Promise<ArrayBuffer>
}>

interface PageContext {
  location?: { protocol?: string; href?: string; origin?: string }
  document?: unknown
}

/** Gives up on the requests of the calls it was passed to. */
class FetchAbort implements NativeAbort {
  aborted = false
  private readonly controllers = new Set<AbortController>()

  track(controller: AbortController): () => void {
    this.controllers.add(controller)
    return () => this.controllers.delete(controller)
  }

  abort(): void {
    this.aborted = true
    for (const c of this.controllers) c.abort(new AbortError('the call was aborted'))
    this.controllers.clear()
  }
}

/** Why a request was given up, so its rejection says so. */
class Closed extends Error {}

class FetchConnection implements NativeConnection {
  /** The endpoint `connect` found (a RestClient's only one). */
  private endpoint = 0
  private version = ''
  private closed = false
  private readonly inFlight = new Set<AbortController>()
  /** Requests waiting for a turn (`maxSockets` at a time). */
  private readonly queue: Array<() => void> = []
  private running = 0

  constructor(private readonly target: Target) {}

  async connect(): Promise<void> {
    const failures: string[] = []
    const bases = this.target.baseUrls
    const limit = this.target.connectTimeoutMs
    for (let endpoint = 0; endpoint < bases.length; endpoint++) {
      try {
        const { status, body } = await this.send(this.target.probe(endpoint), limit, null, 'connect')
        this.version = native(() => this.target.decodeProbe(status, body))
        this.endpoint = endpoint
        return
      } catch (err) {
        // The server answered and refused (decodeProbe: a code): others would refuse alike.
        if (err instanceof Error && (err as { errno?: number }).errno !== undefined) throw err
        failures.push(`${hostOf(bases[endpoint]!)}: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
    throw new ConnectionError(`cannot connect to TDengine over REST (${failures.join('; ')})`)
  }

  async query(sql: string, reqId?: bigint | null, timeoutMs?: Ms, abort?: Abort): Promise<NativeResult> {
    const request = native(() => this.target.sql(this.endpoint, sql, reqId ?? null))
    const { status, body } = await this.send(request, timeoutMs ?? this.target.requestTimeoutMs, abort, 'request')
    return new WholeResult(native(() => this.target.decodeAnswer(status, body)))
  }

  async restToken(timeoutMs?: Ms, abort?: Abort): Promise<string> {
    const { status, body } = await this.send(this.target.login(this.endpoint), timeoutMs ?? this.target.requestTimeoutMs, abort, 'request')
    return native(() => this.target.decodeLogin(status, body))
  }

  placeholders(sql: string): number {
    return this.target.placeholders(sql)
  }

  newAbort(): NativeAbort {
    return new FetchAbort()
  }

  get isClosed(): boolean {
    return this.closed
  }

  onEvent(_callback: (event: NativeEvent) => void): void {
    // REST holds no session: every statement is a request of its own, nothing to reconnect.
  }

  serverVersion(): string {
    return this.version
  }

  timezone(): string | null {
    return this.target.timezone ?? null
  }

  /** Fails what is in flight and what waits; later calls fail. */
  async close(): Promise<void> {
    this.closed = true
    for (const c of this.inFlight) c.abort(new Closed())
    this.inFlight.clear()
    for (const start of this.queue.splice(0)) start()
  }

  async stmt2Init(): Promise<NativeStmt2> {
    throw fromNative(this.target.lacks('stmt2 (prepared statements and parameters)'))
  }

  async stmtInit(): Promise<NativeStmt> {
    throw fromNative(this.target.lacks('stmt (prepared statements)'))
  }

  async schemalessInsert(): Promise<number> {
    throw fromNative(this.target.lacks('schemaless writing'))
  }

  /**
   * Sends `request` and reads the whole answer within `limitMs` (waiting for a turn included),
   * unless `abort` gives up or the connection closes first.
   */
  private async send(request: Generated.NativeHttpRequest, limitMs: number, abort: Abort, what: 'connect' | 'request'): Promise<{ status: number; body: Uint8Array }> {
    const base = baseOf(request.url)
    if (this.closed) throw new ConnectionError('connection is closed')
    const refusal = pageRefuses(request.url)
    if (refusal !== undefined) throw refusal
    const fetchImpl = (globalThis as { fetch?: Fetch }).fetch
    if (typeof fetchImpl !== 'function') throw new ConnectionError(`${runtimeName()} has no fetch, which REST needs: use a ws:// DSN (the same host and port)`)
    const controller = new AbortController()
    const untrack = abort instanceof FetchAbort ? abort.track(controller) : () => false
    if (abort instanceof FetchAbort && abort.aborted) controller.abort(new AbortError('the call was aborted'))
    const timer = setTimeout(() => controller.abort(timedOut(base, limitMs, what)), limitMs)
    this.inFlight.add(controller)
    let holding = false
    try {
      await this.turn(controller.signal)
      holding = true
      const headers = request.headers.map((h): [string, string] => [h.name, h.value])
      const init = { method: request.method, headers, signal: controller.signal, credentials: 'omit' }
      const response = await fetchImpl(request.url, request.method === 'GET' ? init : { ...init, body: request.body })
      const body = new Uint8Array(await response.arrayBuffer())
      return { status: response.status, body }
    } catch (err) {
      throw this.failure(err, controller.signal, base)
    } finally {
      clearTimeout(timer)
      untrack()
      this.inFlight.delete(controller)
      if (holding) this.leave()
    }
  }

  /** Waits until fewer than `maxSockets` requests are running (or `signal` gives up). */
  private async turn(signal: AbortSignal): Promise<void> {
    if (this.running < Math.max(1, this.target.maxSockets)) {
      this.running++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const start = (): void => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted || this.closed) reject(signal.reason ?? new Closed())
        else {
          this.running++
          resolve()
        }
      }
      const onAbort = (): void => {
        const i = this.queue.indexOf(start)
        if (i >= 0) this.queue.splice(i, 1)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.queue.push(start)
    })
  }

  /** Gives a turn back, to the next request waiting. */
  private leave(): void {
    this.running--
    this.queue.shift()?.()
  }

  /** What a failed request becomes: the reason it was given up, or what the runtime reported. */
  private failure(err: unknown, signal: AbortSignal, base: string): Error {
    if (signal.aborted) {
      const reason: unknown = signal.reason
      if (reason instanceof Closed) return new ConnectionError('connection closed: the connection was closed by the client')
      if (reason instanceof Error) return reason
      return new AbortError('the call was aborted')
    }
    if (err instanceof Error && (err as { errno?: unknown }).errno !== undefined) return err
    return unreachable(base, err)
  }
}

/** Runs a call into the module, turning its error (`"<Class>: [0xCODE] text"`) into its class. */
function native<T>(f: () => T): T {
  try {
    return f()
  } catch (err) {
    throw fromNative(err)
  }
}

function baseOf(url: string): string {
  return /^https?:\/\/[^/]+/i.exec(url)?.[0] ?? url
}

function hostOf(base: string): string {
  return base.replace(/^https?:\/\//i, '')
}

function timedOut(base: string, ms: number, what: 'connect' | 'request'): Error {
  if (what === 'connect') return new ConnectionError(`no answer within ${ms} ms`)
  return new TimeoutError(`no answer from ${base} within ${ms} ms; the statement may still run on the server`)
}

/** A request the page may not send at all: http:// from an https:// page (mixed content). */
function pageRefuses(url: string): Error | undefined {
  const page = globalThis as PageContext
  if (page.location?.protocol === 'https:' && /^http:/i.test(url)) {
    return new ConnectionError(
      `the browser refuses ${baseOf(url)} from the https:// page ${page.location.href ?? ''}: a secure page may not send requests over plain http:// (mixed content). ` +
        'Fix: connect with https:// (taosAdapter with TLS, or behind a TLS proxy), or serve the page over http://',
    )
  }
  return undefined
}

/**
 * `fetch` rejected without an answer. Node.js says why in `cause` (ECONNREFUSED, …); a browser
 * tells a page nothing (a TypeError "Failed to fetch" for a server that is down, a CORS refusal
 * and a Content-Security-Policy block alike): say what it can be and how to tell.
 */
function unreachable(base: string, err: unknown): ConnectionError {
  const page = globalThis as PageContext
  const message = err instanceof Error ? err.message : String(err)
  const cause = (err as { cause?: { message?: string; code?: string } } | undefined)?.cause
  if (page.document === undefined) {
    const why = cause?.message ?? cause?.code ?? message
    return new ConnectionError(`cannot reach ${base}: ${why}`, { cause: err })
  }
  const origin = page.location?.origin ?? 'the page'
  const crossOrigin = page.location?.origin !== undefined && !base.toLowerCase().startsWith(page.location.origin.toLowerCase())
  const cors = crossOrigin
    ? `; or the browser refused the answer by CORS: ${base} is another origin than ${origin}, so taosAdapter must answer the preflight (OPTIONS) and the request with Access-Control-Allow-Origin for it and allow the Authorization header — its default (cors.allowAllOrigins = true) does; if it was turned off, add ${origin} to cors.allowOrigins, and a proxy in front of taosAdapter must pass OPTIONS and the Access-Control-* headers`
    : ''
  return new ConnectionError(
    `the browser could not send the request to ${base} and gives pages no reason ("${message}"): taosAdapter is not running or not reachable at that address${cors}; ` +
      `or the page's Content-Security-Policy (connect-src) or an extension blocked it. The browser console names the cause`,
    { cause: err },
  )
}
