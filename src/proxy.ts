/**
 * `TestProxy`: a TCP proxy between a client and a TDengine (or the embedded `TestServer`) that
 * breaks the connection on command — the network failures a production client meets, made
 * reproducible for tests: a cut cable, a silent peer, a peer that stops reading, latency, a
 * garbled reply, a reset in the middle of a frame. Pure Node (`net`), no native code.
 *
 * ```ts
 * await using server = await TestServer.start()
 * await using proxy = await TestProxy.start({ target: server })
 * await using conn = await connect(proxy.dsn, { keepaliveMs: 500 })
 * proxy.blackhole()           // the server goes silent: calls time out, keepalive notices
 * proxy.heal()
 * proxy.cut()                 // every connection drops: the client reconnects
 * ```
 *
 * @module
 */
import net from 'node:net'
import { ProgrammingError } from './errors.js'

/** Where a {@link TestProxy} forwards to: anything with a host and a port (a `TestServer`), or `'host:port'`. */
export type ProxyTarget = string | { readonly host: string; readonly port: number; readonly dsn?: string }

/** Options of {@link TestProxy.start}. */
export interface TestProxyOptions {
  /** The server to forward to. A `TestServer` also lends its credentials to {@link TestProxy.dsn}. */
  target: ProxyTarget
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string
  /** Port to listen on. Default 0 (a free port). */
  port?: number
}

/** What {@link TestProxy.corrupt} puts in place of a frame's payload. */
export type Corruption = 'text' | 'binary'

/** One client connection and its upstream. */
class Pipe {
  /** Bytes from the server not yet cut into WebSocket frames (after the HTTP upgrade). */
  private pending = Buffer.alloc(0)
  private upgraded = false
  /** The client's bytes are only counted: an incomplete upgrade request or frame header, and
   * how much of the current frame's payload is still to come. */
  private clientHead = Buffer.alloc(0)
  private clientSkip = 0
  private clientUpgraded = false
  private readonly toClient: Array<() => void> = []
  private readonly toServer: Array<() => void> = []

  constructor(
    readonly client: net.Socket,
    readonly server: net.Socket,
    private readonly proxy: TestProxy,
  ) {
    client.on('data', (chunk: Buffer) => this.fromClient(chunk))
    server.on('data', (chunk: Buffer) => this.fromServer(chunk))
    const end = () => this.destroy()
    client.on('close', end)
    server.on('close', end)
    client.on('error', end)
    server.on('error', end)
    if (proxy.reading === false) client.pause()
  }

  destroy(reset = false): void {
    if (reset) {
      this.client.resetAndDestroy()
      this.server.resetAndDestroy()
    } else {
      this.client.destroy()
      this.server.destroy()
    }
    this.proxy.forget(this)
  }

  private fromClient(chunk: Buffer): void {
    this.countClientFrames(chunk)
    this.later(this.toServer, () => {
      if (!this.proxy.silent) this.server.write(chunk)
    })
  }

  /** Counts the data frames in the client's bytes as they arrive (after its upgrade request). */
  private countClientFrames(chunk: Buffer): void {
    let buf = chunk
    while (buf.length > 0) {
      if (this.clientSkip > 0) {
        const n = Math.min(this.clientSkip, buf.length)
        this.clientSkip -= n
        buf = buf.subarray(n)
        continue
      }
      // The upgrade request, or a frame's header (at most 14 bytes), may come in pieces.
      const head = this.clientHead.length === 0 ? buf : Buffer.concat([this.clientHead, buf])
      this.clientHead = Buffer.alloc(0)
      if (!this.clientUpgraded) {
        const end = head.indexOf('\r\n\r\n')
        if (end < 0) {
          this.clientHead = Buffer.from(head)
          return
        }
        this.clientUpgraded = true
        buf = head.subarray(end + 4)
        continue
      }
      const size = frameSize(head)
      if (size === undefined) {
        this.clientHead = Buffer.from(head)
        return
      }
      const opcode = head[0]! & 0x0f
      if (opcode === 1 || opcode === 2) this.proxy.clientFrames++
      const here = Math.min(size, head.length)
      this.clientSkip = size - here
      buf = head.subarray(here)
    }
  }

  private fromServer(chunk: Buffer): void {
    if (!this.upgraded) {
      // Until the end of the HTTP upgrade answer, bytes pass unchanged.
      const all = Buffer.concat([this.pending, chunk])
      const end = all.indexOf('\r\n\r\n')
      if (end < 0) {
        this.pending = all
        return
      }
      this.upgraded = true
      this.pending = Buffer.alloc(0)
      this.forward(all.subarray(0, end + 4), false)
      if (all.length > end + 4) this.frames(all.subarray(end + 4))
      return
    }
    this.frames(chunk)
  }

  /** Cuts server bytes into WebSocket frames (server frames are never masked). */
  private frames(chunk: Buffer): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    for (;;) {
      const size = frameSize(buf)
      if (size === undefined || buf.length < size) break
      const frame = buf.subarray(0, size)
      const opcode = frame[0]! & 0x0f
      this.forward(frame, opcode === 1 || opcode === 2)
      buf = buf.subarray(size)
    }
    this.pending = Buffer.from(buf)
  }

  /**
   * Sends server bytes on (after the delay). The faults are applied when the bytes leave, so a
   * fault set while an answer is on its way (delayed) hits that answer: mid-call.
   */
  private forward(bytes: Buffer, dataFrame: boolean): void {
    const copy = Buffer.from(bytes)
    this.later(this.toClient, () => {
      if (this.proxy.silent) return
      if (dataFrame && this.proxy.takeReset()) {
        // Half a frame, then a reset: the client sees a truncated frame and a dead socket.
        this.client.write(copy.subarray(0, Math.max(1, copy.length >> 1)), () => this.destroy(true))
        return
      }
      const corruption = dataFrame ? this.proxy.takeCorruption() : undefined
      this.client.write(corruption === undefined ? copy : garbage(corruption))
    })
  }

  /** Runs `send` after the proxy's delay, keeping the order of each direction. */
  private later(queue: Array<() => void>, send: () => void): void {
    const ms = this.proxy.delayMs
    if (ms <= 0 && queue.length === 0) {
      if (!this.client.destroyed && !this.server.destroyed) send()
      return
    }
    queue.push(send)
    setTimeout(() => {
      const next = queue.shift()
      if (next !== undefined && !this.client.destroyed && !this.server.destroyed) next()
    }, ms)
  }

  resume(): void {
    this.client.resume()
  }

  pause(): void {
    this.client.pause()
  }
}

/** The length of the first WebSocket frame in `buf`, when its header is complete. */
function frameSize(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined
  const masked = (buf[1]! & 0x80) !== 0
  let len = buf[1]! & 0x7f
  let header = 2
  if (len === 126) {
    if (buf.length < 4) return undefined
    len = buf.readUInt16BE(2)
    header = 4
  } else if (len === 127) {
    if (buf.length < 10) return undefined
    len = Number(buf.readBigUInt64BE(2))
    header = 10
  }
  return header + (masked ? 4 : 0) + len
}

/** A whole frame whose payload taosjs cannot read: text that is not JSON, or a binary reply too short. */
function garbage(kind: Corruption): Buffer {
  const opcode = kind === 'text' ? 1 : 2
  const payload = kind === 'text' ? Buffer.from('}{ this is not JSON') : Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03])
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload])
}

function parseTarget(target: ProxyTarget): { host: string; port: number } {
  if (typeof target === 'string') {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target)
    if (m === null) throw new ProgrammingError(`TestProxy target must be 'host:port', got ${JSON.stringify(target)}`)
    return { host: m[1]!, port: Number(m[2]) }
  }
  if (target === null || typeof target !== 'object' || typeof target.host !== 'string' || typeof target.port !== 'number') {
    throw new ProgrammingError('TestProxy target must be a TestServer, { host, port } or "host:port"')
  }
  return { host: target.host === '0.0.0.0' ? '127.0.0.1' : target.host, port: target.port }
}

/**
 * A TCP proxy that forwards to `target` until told to misbehave. Each fault lasts until
 * {@link TestProxy.heal} (except {@link TestProxy.cut}, which acts once, and the one-frame faults
 * {@link TestProxy.corrupt} and {@link TestProxy.resetMidFrame}). Stop it with
 * {@link TestProxy.close} or `await using`.
 */
export class TestProxy implements AsyncDisposable {
  /** @internal */ silent = false
  /** @internal */ reading = true
  /** @internal */ delayMs = 0
  /** @internal */ clientFrames = 0
  private corruptions: Corruption[] = []
  private resets = 0
  private readonly pipes = new Set<Pipe>()
  private closed = false

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
    private readonly targetDsn: string | undefined,
  ) {}

  /** Starts a proxy listening on a free local port. */
  static async start(options: TestProxyOptions): Promise<TestProxy> {
    if (options === null || typeof options !== 'object') throw new ProgrammingError('TestProxy.start needs { target }')
    const target = parseTarget(options.target)
    const targetDsn = typeof options.target === 'object' ? options.target.dsn : undefined
    const server = net.createServer()
    const proxy = new TestProxy(server, target, targetDsn)
    server.on('connection', (client) => proxy.accept(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return proxy
  }

  /** The host the proxy listens on. */
  get host(): string {
    return (this.server.address() as net.AddressInfo).address
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port
  }

  /** `ws://host:port` of the proxy (no credentials). */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host
    return `ws://${host}:${this.port}`
  }

  /**
   * A DSN for `connect()` through the proxy: the target `TestServer`'s DSN (credentials
   * included) with the proxy's address; for other targets, {@link TestProxy.url}.
   */
  get dsn(): string {
    if (this.targetDsn === undefined) return this.url
    return this.targetDsn.replace(/@[^/?]+/, `@${this.url.slice('ws://'.length)}`)
  }

  /** Client connections open through the proxy now. */
  get connections(): number {
    return this.pipes.size
  }

  /**
   * Data frames (WebSocket text and binary messages: requests) received from clients so far,
   * counted as they arrive — before any {@link TestProxy.delay} and even while
   * {@link TestProxy.blackhole} drops them. A test waits on it to know that a call was sent.
   */
  get framesFromClients(): number {
    return this.clientFrames
  }

  /** Drops every open connection at once, both ways (new connections are still accepted). */
  cut(): void {
    for (const pipe of [...this.pipes]) pipe.destroy()
  }

  /**
   * From now on forwards nothing either way: connections stay open but every byte is dropped,
   * as when the server (or the network) goes silent. New connections are accepted and silent too.
   */
  blackhole(): void {
    this.silent = true
  }

  /**
   * Stops reading what clients send (their socket buffers fill up and their writes stall), as
   * a server that stopped reading; answers already on their way still arrive.
   */
  stopReading(): void {
    this.reading = false
    for (const pipe of this.pipes) pipe.pause()
  }

  /** Delays every chunk in both directions by `ms` (0: no delay), keeping their order. */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ProgrammingError(`delay(ms): ms must be a non-negative number, got ${ms}`)
    this.delayMs = ms
  }

  /**
   * Replaces the payload of the next data frame from the server with one taosjs cannot read:
   * `'text'` (default) sends text that is not JSON, `'binary'` a binary reply shorter than its
   * header. Call it again to corrupt more frames.
   */
  corrupt(kind: Corruption = 'text'): void {
    if (kind !== 'text' && kind !== 'binary') throw new ProgrammingError(`corrupt(kind): kind must be 'text' or 'binary', got ${String(kind)}`)
    this.corruptions.push(kind)
  }

  /** Sends the first half of the next data frame from the server, then resets the connection. */
  resetMidFrame(): void {
    this.resets++
  }

  /** Ends every fault: forwards again, reads again, no delay, no pending corruption or reset. */
  heal(): void {
    this.silent = false
    this.reading = true
    this.delayMs = 0
    this.corruptions = []
    this.resets = 0
    for (const pipe of this.pipes) pipe.resume()
  }

  /** Stops listening and drops every connection. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.cut()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host)
    client.setNoDelay(true)
    upstream.setNoDelay(true)
    this.pipes.add(new Pipe(client, upstream, this))
  }

  /** @internal */
  forget(pipe: Pipe): void {
    this.pipes.delete(pipe)
  }

  /** @internal */
  takeCorruption(): Corruption | undefined {
    return this.corruptions.shift()
  }

  /** @internal */
  takeReset(): boolean {
    if (this.resets === 0) return false
    this.resets--
    return true
  }
}
