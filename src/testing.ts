/**
 * `taosjs/testing`: an embedded TDengine-compatible server (taosAdapter's WebSocket and REST API
 * over an in-memory engine) for tests and demos. No TDengine installation needed. `server.dsn`
 * connects over WebSocket, `server.restDsn` over REST.
 *
 * ```ts
 * import { connect } from 'taosjs'
 * import { TestServer } from 'taosjs/testing'
 * await using server = await TestServer.start()
 * await using conn = await connect(server.dsn)
 * ```
 *
 * The server can also be broken on purpose, to test how an application copes with a database
 * that restarts, vanishes or answers slowly: {@link TestServer.restart},
 * {@link TestServer.stop} / {@link TestServer.start}, {@link TestServer.setLatency} and
 * {@link TestServer.dropConnections}. Its data survives all of them. {@link TestProxy} sits
 * between a client and a server and breaks the connection on command (cut, silence, a peer that
 * stops reading, latency, garbage, a reset mid-frame).
 *
 * @module
 */
import { callNative, fromNative, ProgrammingError } from './errors.js'
export { TestProxy, type Corruption, type ProxyTarget, type TestProxyOptions } from './proxy.js'
import { loadNative } from './load-native.js'
import type { NativeModule, NativeTestServer } from './native.js'

/** Options of {@link TestServer.start}. */
export interface TestServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Port; default 0 (a free port). */
  port?: number
  /** Accounts; default root/taosdata. */
  users?: Array<{ user: string; password: string }>
  /** Rows per result block (default 4096, as TDengine). */
  blockRows?: number
}

/**
 * A running embedded server. Stop it with {@link TestServer.close} or `await using`.
 *
 * Fault injection: {@link restart}, {@link stop}, {@link start}, {@link setLatency} and
 * {@link dropConnections} act on the listener and the connections, never on the data — as when
 * taosAdapter restarts or the network fails while taosd keeps running. A dropped connection is
 * closed without a WebSocket close frame, as when the adapter's process dies.
 */
export class TestServer implements AsyncDisposable {
  private closed = false

  private constructor(
    private readonly native: NativeTestServer,
    private readonly user: string,
    private readonly password: string,
  ) {}

  /** Starts a server. */
  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    return TestServer.startWith(loadNative(), options)
  }

  /** @internal */
  static async startWith(native: NativeModule, options: TestServerOptions = {}): Promise<TestServer> {
    const server = await callNative(() => native.startTestServer({ ...options }))
    const first = options.users?.[0] ?? { user: 'root', password: 'taosdata' }
    return new TestServer(server, first.user, first.password)
  }

  /** The port the server listens on. */
  get port(): number {
    return this.native.port
  }

  /** The host the server listens on. */
  get host(): string {
    return this.native.host
  }

  /** `ws://host:port` (no credentials). */
  get url(): string {
    return `ws://${this.hostForUrl()}:${this.port}`
  }

  /** A DSN for `connect()`, with the first account's credentials. */
  get dsn(): string {
    return `ws://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@${this.hostForUrl()}:${this.port}`
  }

  /** `http://user:pass@host:port`: the same server over REST, for `connect()` or `RestClient`. */
  get restDsn(): string {
    return `http://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}@${this.hostForUrl()}:${this.port}`
  }

  private hostForUrl(): string {
    const host = this.native.host === '0.0.0.0' ? '127.0.0.1' : this.native.host
    return host.includes(':') ? `[${host}]` : host
  }

  /**
   * Drops every open connection and listens again on the same port, keeping all data: what a
   * client sees when taosAdapter restarts while taosd keeps running. Resolves once the server
   * accepts connections again.
   */
  async restart(): Promise<void> {
    await callNative(() => this.native.restart())
  }

  /**
   * Stops listening and drops every open connection, keeping all data: connecting fails with
   * "connection refused" until {@link start}. Stopping a stopped server does nothing.
   */
  async stop(): Promise<void> {
    await callNative(() => this.native.stop())
  }

  /**
   * Listens again on the same port after {@link stop}, serving the same data. Rejects with an
   * `OperationalError` if the port was taken meanwhile; does nothing while listening.
   */
  async start(): Promise<void> {
    await callNative(() => this.native.start())
  }

  /** Whether the server accepts connections: false after {@link stop} and {@link close}. */
  get listening(): boolean {
    return this.native.listening
  }

  /**
   * Delays every reply by `ms` milliseconds from now on (WebSocket, REST and TMQ; the
   * WebSocket handshake too), as a slow network would; 0 removes the delay. Requests in flight
   * on one connection are delayed side by side, not one after another.
   *
   * @throws ProgrammingError if `ms` is not a finite number ≥ 0.
   */
  setLatency(ms: number): void {
    if (typeof ms !== 'number') {
      throw new ProgrammingError(`setLatency expects a number of milliseconds, got ${typeof ms}`)
    }
    try {
      this.native.setLatency(ms)
    } catch (err) {
      throw fromNative(err)
    }
  }

  /**
   * Results the server holds open for its clients right now (queried, neither read to the end
   * nor freed), over every connection: a test can check that its code frees what it opens.
   */
  get openResults(): number {
    return this.native.openResults
  }

  /** The delay added to every reply, in milliseconds (see {@link setLatency}). */
  get latency(): number {
    return this.native.latency
  }

  /**
   * Ends every open connection at once (WebSocket, TMQ and REST keep-alive), without a close
   * frame; resolves once they are gone. The server keeps listening and new connections are
   * served as usual.
   */
  async dropConnections(): Promise<void> {
    await callNative(() => this.native.dropConnections())
  }

  /** Stops the server; open connections are dropped. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await callNative(() => this.native.close())
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
