/**
 * `taosjs/testing`: an embedded TDengine-compatible server (taosAdapter's WebSocket and REST API
 * over an in-memory engine) for tests and demos. No TDengine installation needed.
 *
 * ```ts
 * import { connect } from 'taosjs'
 * import { TestServer } from 'taosjs/testing'
 * await using server = await TestServer.start()
 * await using conn = await connect(server.dsn)
 * ```
 *
 * @module
 */
import { callNative } from './errors.js'
import { loadNative, type NativeModule, type NativeTestServer } from './native.js'

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

/** A running embedded server. Stop it with {@link TestServer.close} or `await using`. */
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

  private hostForUrl(): string {
    const host = this.native.host === '0.0.0.0' ? '127.0.0.1' : this.native.host
    return host.includes(':') ? `[${host}]` : host
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
