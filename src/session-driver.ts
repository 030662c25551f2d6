/**
 * The JavaScript driver of the WebAssembly build: the counterpart of the tokio driver
 * (`crates/taosjs-tokio`). It owns the WebSocket and the clock, and moves frames and time in and
 * out of the core's sans-IO session (`NativeSession`, crates/taosjs-napi/src/session.rs): it sends
 * what `pollTransmit` gives, feeds what arrives to `handleText`/`handleBinary`, sleeps until
 * `pollTimeout` and calls `handleTimeout`, and settles each call's promise from `pollEvent`. Every
 * protocol decision (request ids, results, statements, the login and goodbye timers, each call's
 * deadline, keepalive, protocol violations, `maxOpenResults`, what an abandoned call frees) is the
 * core's. Keepalive pings where the socket can send them (Node.js's `ws`); a browser's
 * `WebSocket` cannot, so there the session probes an idle connection with taosAdapter's
 * `version` request instead (see `KeepaliveProbe` in the core).
 *
 * The same driver moves the core's TMQ consumer (`NativeConsumerSession`,
 * crates/taosjs-napi/src/consumer_session.rs: the `/rest/tmq` conversation; `session-consumer.ts`).
 * REST needs no driver of this kind: one `fetch` per statement (`fetch-rest.ts`).
 *
 * On top of it, the classes here implement the same native interface as the addon's
 * tokio-driven classes (`NativeConnection`, `NativeResult`, `NativeStmt2`, `NativeStmt`,
 * `NativeAbort`), so the facade cannot tell which one sits behind a connection.
 *
 * @internal
 * @module
 */
import type * as Generated from '../index.js'
import { AbortError, ConnectionError, fromNative, InternalError, NotSupportedError, ResultError } from './errors.js'
import { restAffectedRowsColumn, restClient, restConnect, type RestBinding } from './fetch-rest.js'
import { consumerConfig, type ConsumerBinding } from './session-consumer.js'
import type {
  Abort,
  Ms,
  NativeAbort,
  NativeBindColumn,
  NativeConnection,
  NativeConnectOptions,
  NativeEvent,
  NativeModule,
  NativeResult,
  NativeSchemalessOptions,
  NativeStmt,
  NativeStmt2,
  NativeStmt2Prepared,
  NativeStmtField,
  NativeTestServer,
  NativeTestServerOptions,
  PackedResult,
} from './native.js'
import { runtimeName } from './runtime.js'
import type { DriverSocket, OpenSocket, SocketHandlers, SocketOptions } from './socket.js'

type Session = Generated.NativeSession
type Reply = Generated.NativeReply
type ReplyOf<K extends Reply['kind']> = Extract<Reply, { kind: K }>

/** What the driver uses of the WebAssembly module's exports. */
export interface SessionBinding extends RestBinding, ConsumerBinding {
  NativeSession: new (dsn: string | null | undefined, options: NativeConnectOptions | null | undefined, runtime: string, canPing: boolean) => Session
  /** The message of the last Rust panic (the module traps on a panic), if any. */
  takePanicMessage?: () => string | null | undefined
}

/**
 * A sans-IO conversation the {@link Driver} moves: the SQL session (`NativeSession`) or a TMQ
 * consumer (`NativeConsumerSession`). Times are ms since the driver's origin (the session reads
 * the time only where it needs it and ignores the rest).
 */
export interface Conversation {
  readonly isClosed: boolean
  readonly isFinished: boolean
  readonly urls: string[]
  readonly connectTimeoutMs: number
  readonly tlsCa?: string | null
  readonly tlsCert?: string | null
  readonly tlsKey?: string | null
  readonly tlsVerify: boolean
  connect(nowMs: number): number
  close(nowMs: number): void
  setDeadline(call: number, nowMs: number, timeoutMs?: number | null): void
  cancel(call: number): void
  pollTransmit(): Generated.NativeFrame | null | undefined
  handleText(text: string, nowMs: number): void
  handleBinary(data: Uint8Array, nowMs: number): void
  handlePong(data: Uint8Array, nowMs: number): void
  handleDisconnect(reason: string, nowMs: number): void
  pollTimeout(): number | null | undefined
  handleTimeout(nowMs: number): void
  pollEvent(): Generated.NativeSessionEvent | null | undefined
  pollSocket(): Generated.NativeSocketCommand | null | undefined
  handleSocketOpened(nowMs: number): void
  handleSocketFailed(nowMs: number, reason: string): void
}

/**
 * A native module whose connections are driven from JavaScript. `startTestServer` is what the
 * runtime can offer for `taosjs/testing` (the embedded server is part of the native addon).
 */
export function sessionDriven(
  binding: SessionBinding,
  openSocket: OpenSocket,
  startTestServer: (options: NativeTestServerOptions) => Promise<NativeTestServer> = testServerUnavailable,
): NativeModule & { __panicForTests(): Promise<void> } {
  return {
    connect: (dsn, options) => (binding.isRestDsn(dsn ?? null) ? restConnect(binding, dsn, options) : SessionConnection.open(binding, openSocket, dsn, options)),
    restClient: (url, options) => restClient(binding, url, options),
    restAffectedRowsColumn: () => restAffectedRowsColumn(binding),
    consumerConfig: (entries, dsn) => consumerConfig(binding, openSocket, entries, dsn),
    startTestServer,
    // As the addon's `__panicForTests`: what a Rust panic inside the module becomes (not public).
    __panicForTests: async () => {
      const driver = new Driver(new binding.NativeSession(null, null, runtimeName(), false), binding)
      driver.read((s) => (s as Session & { __panicForTests(): void }).__panicForTests())
    },
  }
}

/** The `startTestServer` of a runtime without the native addon. */
export async function testServerUnavailable(): Promise<NativeTestServer> {
  throw new NotSupportedError(
    `TestServer is not available in ${runtimeName()}, where taosjs runs as WebAssembly: the embedded server is part of the native addon. ` +
      'Start it where the native addon loads (Node.js: `TestServer.start()` from taosjs/testing) or run the standalone taos-testserver, and connect to it with its ws:// DSN',
  )
}

const now = (): number => globalThis.performance.now()

/** One call in flight: its promise, and the abort handle it may be given up through. */
interface Waiting {
  resolve(reply: Reply): void
  reject(error: Error): void
  abort: SessionAbort | null
}

/**
 * Moves one connection's frames and time, and opens and drops its sockets when the session says
 * so (reconnects are the session's decisions). All its methods run on the JavaScript thread, one
 * at a time, so the session needs no lock.
 */
export class Driver<C extends Conversation = Session> {
  private socket: DriverSocket | undefined
  /** Counts the sockets handed out: what a replaced or dropped socket reports later is ignored. */
  private generation = 0
  /** The connection's events until the facade listens (`onEvent`), then the listener. */
  private readonly queuedEvents: NativeEvent[] = []
  private listener: ((event: NativeEvent) => void) | undefined
  private readonly origin = now()
  private readonly waiting = new Map<number, Waiting>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private timerAt: number | undefined
  /** Set when the module trapped inside this session: nothing may touch it any more. */
  private broken: Error | undefined
  private readonly finishedWaiters: Array<() => void> = []

  constructor(
    private readonly session: C,
    private readonly binding: Pick<SessionBinding, 'takePanicMessage'>,
    /** Opens the sockets the session asks for (absent: a driver that never reconnects). */
    private readonly reopen?: { openSocket: OpenSocket; options: SocketOptions },
  ) {}

  private elapsed(): number {
    return now() - this.origin
  }

  get isClosed(): boolean {
    return this.broken !== undefined || this.session.isClosed
  }

  get isFinished(): boolean {
    return this.broken !== undefined || this.session.isFinished
  }

  /**
   * The handlers of the next socket. Making them retires the current socket's (and those of any
   * socket being opened), so whatever they report later is ignored.
   */
  handlers(): SocketHandlers {
    const generation = ++this.generation
    const live = (): boolean => generation === this.generation
    return {
      text: (data) => live() && this.run((s) => s.handleText(data, this.elapsed())),
      binary: (data) => live() && this.run((s) => s.handleBinary(data, this.elapsed())),
      pong: (data) => live() && this.run((s) => s.handlePong(data, this.elapsed())),
      closed: (reason) => {
        if (!live()) return
        this.socket = undefined
        this.generation++
        this.run((s) => s.handleDisconnect(reason, this.elapsed()))
      },
    }
  }

  /** The socket opened with the latest {@link Driver.handlers}. */
  attach(socket: DriverSocket): void {
    this.socket = socket
  }

  /** Hands the connection's events to `listener` (those so far first). */
  onEvent(listener: (event: NativeEvent) => void): void {
    this.listener = listener
    for (const event of this.queuedEvents.splice(0)) listener(event)
  }

  /** Reads something of the session (a getter, `placeholders`), converting a trap. */
  read<T>(f: (s: C) => T): T {
    if (this.broken) throw this.broken
    return this.guard(() => f(this.session))
  }

  /**
   * Starts a call and resolves with its reply. The session bounds it by `timeoutMs` (absent: the
   * connection's `requestTimeoutMs`); `abort` may give it up.
   */
  call(start: (s: C, nowMs: number) => number, timeoutMs: Ms = null, abort: SessionAbort | null = null): Promise<Reply> {
    return this.begin((s) => {
      const at = this.elapsed()
      const id = start(s, at)
      s.setDeadline(id, at, timeoutMs ?? null)
      return id
    }, abort)
  }

  /** Logs in on the attached socket (bounded by the session's connect timer, not a deadline). */
  login(): Promise<Reply> {
    return this.begin((s) => s.connect(this.elapsed()), null)
  }

  private begin(start: (s: C) => number, abort: SessionAbort | null): Promise<Reply> {
    if (this.broken) return Promise.reject(this.broken)
    if (abort?.aborted) return Promise.reject(abortedError())
    let id: number
    try {
      id = this.guard(() => start(this.session))
    } catch (err) {
      return Promise.reject(err)
    }
    const pending = new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, abort })
    })
    abort?.track(this as Driver<Conversation>, id)
    this.pump()
    return pending
  }

  /** The caller gave up on `id`: the session frees what its reply produces. */
  cancel(id: number): void {
    const waiting = this.waiting.get(id)
    if (waiting === undefined || this.broken) return
    this.waiting.delete(id)
    waiting.reject(abortedError())
    this.run((s) => s.cancel(id))
  }

  /** Runs something that queues frames without a completion (free_result), then sends them. */
  run(f: (s: C) => void): void {
    if (this.broken) return
    try {
      this.guard(() => f(this.session))
    } catch {
      return // a trap: guard has failed every call already
    }
    this.pump()
  }

  /** Closes the session (frees results, closes statements, says goodbye) and waits until it is done. */
  close(): Promise<void> {
    if (this.isFinished) {
      this.socket?.close()
      return Promise.resolve()
    }
    const done = new Promise<void>((resolve) => this.finishedWaiters.push(resolve))
    this.run((s) => s.close(this.elapsed()))
    return done
  }

  // ----- moving frames, completions and time ----------------------------------------------------

  /** Sends what the session queued, settles what completed, and sets the next wake-up. */
  private pump(): void {
    try {
      this.guard(() => {
        for (let frame = this.session.pollTransmit(); frame; frame = this.session.pollTransmit()) this.transmit(frame)
        for (let command = this.session.pollSocket(); command; command = this.session.pollSocket()) this.obey(command)
        for (let event = this.session.pollEvent(); event; event = this.session.pollEvent()) this.settle(event)
      })
    } catch {
      return // a trap: guard has failed every call already
    }
    if (this.isFinished) {
      this.finish()
      return
    }
    this.schedule()
    this.socket?.keepAlive(this.waiting.size > 0 || this.session.isClosed)
  }

  /** Drops the socket, and opens another when the session asks for one. */
  private obey(command: Generated.NativeSocketCommand): void {
    const old = this.socket
    this.socket = undefined
    const handlers = this.handlers()
    old?.close()
    if (command.kind !== 'Open') return
    const generation = this.generation
    const current = (): boolean => generation === this.generation && !this.isFinished
    if (this.reopen === undefined) {
      queueMicrotask(() => current() && this.run((s) => s.handleSocketFailed(this.elapsed(), 'this connection cannot open sockets')))
      return
    }
    this.reopen.openSocket(command.url, this.reopen.options, handlers).then(
      (socket) => {
        if (!current()) return socket.close()
        this.socket = socket
        this.run((s) => s.handleSocketOpened(this.elapsed()))
      },
      (err: unknown) => current() && this.run((s) => s.handleSocketFailed(this.elapsed(), err instanceof Error ? err.message : String(err))),
    )
  }

  private transmit(frame: Generated.NativeFrame): void {
    const socket = this.socket
    if (socket === undefined) return // gone: the session learns it from `closed`
    try {
      if (frame.kind === 'Close') socket.close()
      else if (frame.kind === 'Ping') socket.ping?.(frame.data)
      else socket.send(frame.kind === 'Text' ? frame.text : frame.data)
    } catch (err) {
      this.socket = undefined
      this.generation++ // what the socket reports from now on is old news
      socket.close()
      this.session.handleDisconnect(`sending failed: ${err instanceof Error ? err.message : String(err)}`, this.elapsed())
    }
  }

  private settle(event: Generated.NativeSessionEvent): void {
    switch (event.kind) {
      case 'Completed':
        return this.complete(event)
      case 'Reconnecting':
        return this.emit({ kind: 'reconnecting', attempt: event.attempt, delayMs: event.delayMs, reason: event.reason })
      case 'Reconnected':
        return this.emit({ kind: 'reconnected', attempt: event.attempt, endpoint: event.endpoint })
      case 'Closed':
        return this.emit(event.error === null || event.error === undefined ? { kind: 'close' } : { kind: 'close', error: event.error })
    }
  }

  private emit(event: NativeEvent): void {
    if (this.listener === undefined) this.queuedEvents.push(event)
    else this.listener(event)
  }

  private complete(done: Extract<Generated.NativeSessionEvent, { kind: 'Completed' }>): void {
    const waiting = this.waiting.get(done.call)
    if (waiting === undefined) return // cancelled: the session already freed what it produced
    this.waiting.delete(done.call)
    waiting.abort?.untrack(done.call)
    if (done.reply) waiting.resolve(done.reply)
    else waiting.reject(fromNative(done.error ?? 'InternalError: a call completed without reply or error'))
  }

  private schedule(): void {
    const at = this.session.pollTimeout()
    if (at === this.timerAt) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = at ?? undefined
    if (at === null || at === undefined) return
    this.timer = setTimeout(() => {
      this.timer = this.timerAt = undefined
      this.run((s) => s.handleTimeout(this.elapsed()))
    }, Math.max(0, at - this.elapsed()))
    // The socket decides whether the process stays alive (see keepAlive), not the timer; between
    // sockets (a reconnect's backoff) the timer holds it while calls wait.
    if (this.socket !== undefined || this.waiting.size === 0) (this.timer as { unref?: () => void }).unref?.()
  }

  private finish(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = this.timerAt = undefined
    const socket = this.socket
    this.socket = undefined
    socket?.close()
    for (const resolve of this.finishedWaiters.splice(0)) resolve()
  }

  /**
   * Runs `f` on the session. A Rust panic inside the WebAssembly module is a trap (the build
   * aborts on panics): the session may be half-updated, so it is never used again, and every call
   * on it fails with an InternalError.
   */
  private guard<T>(f: () => T): T {
    try {
      return f()
    } catch (err) {
      if (!isTrap(err)) throw err
      const panic = this.binding.takePanicMessage?.() ?? undefined
      const broken = new InternalError(
        `taosjs's WebAssembly module failed (${panic ? `Rust panicked: ${panic}` : err.message}; this is a bug): the connection is closed`,
        { cause: err },
      )
      this.broken = broken
      for (const waiting of this.waiting.values()) waiting.reject(broken)
      this.waiting.clear()
      this.finish()
      throw broken
    }
  }
}

/** What a WebAssembly trap throws (`unreachable` after a Rust panic, out-of-bounds access, …). */
const WasmRuntimeError = (globalThis as { WebAssembly?: { RuntimeError?: new () => Error } }).WebAssembly?.RuntimeError

function isTrap(err: unknown): err is Error {
  return WasmRuntimeError !== undefined && err instanceof WasmRuntimeError
}

function abortedError(): AbortError {
  return new AbortError('the call was aborted')
}

/** `NativeAbort` of a JavaScript-driven connection: gives up on the calls it was passed to. */
export class SessionAbort implements NativeAbort {
  aborted = false
  private readonly calls = new Set<number>()
  private driver: Driver<Conversation> | undefined

  track(driver: Driver<Conversation>, call: number): void {
    this.driver = driver
    this.calls.add(call)
  }

  untrack(call: number): void {
    this.calls.delete(call)
  }

  abort(): void {
    this.aborted = true
    for (const call of [...this.calls]) this.driver?.cancel(call)
    this.calls.clear()
  }
}

export function expect<K extends Reply['kind']>(reply: Reply, kind: K): ReplyOf<K> {
  if (reply.kind !== kind) throw new InternalError(`the session answered a call with an unexpected reply: ${reply.kind} (expected ${kind})`)
  return reply as ReplyOf<K>
}

/**
 * A driver for `conversation` over the first of its endpoints whose WebSocket opens, logged in
 * (the session's login, the consumer's version check). `reopen`: the conversation may ask for
 * sockets later (the session's reconnects). Failing every endpoint is a ConnectionError naming
 * each (the facade of a consumer makes it a TmqError, as the native addon's does).
 */
export async function openDriver<C extends Conversation>(conversation: C, binding: Pick<SessionBinding, 'takePanicMessage'>, openSocket: OpenSocket, reopen: boolean): Promise<Driver<C>> {
  const failures: string[] = []
  const socketOptions: SocketOptions = { timeoutMs: conversation.connectTimeoutMs }
  const [ca, cert, key] = [conversation.tlsCa, conversation.tlsCert, conversation.tlsKey]
  if (ca !== null && ca !== undefined) socketOptions.ca = ca
  if (cert !== null && cert !== undefined) socketOptions.cert = cert
  if (key !== null && key !== undefined) socketOptions.key = key
  if (!conversation.tlsVerify) socketOptions.rejectUnauthorized = false
  const driver = new Driver(conversation, binding, reopen ? { openSocket, options: socketOptions } : undefined)
  const urls = conversation.urls
  for (const url of urls) {
    try {
      driver.attach(await openSocket(url, socketOptions, driver.handlers()))
      break
    } catch (err) {
      // Only a failure to reach this endpoint is worth trying the next one for.
      if (!(err instanceof ConnectionError)) throw err
      failures.push(`${endpointOf(url)}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  if (failures.length === urls.length) throw new ConnectionError(`cannot connect to TDengine (${failures.join('; ')})`)
  expect(await driver.login(), 'Connected')
  return driver
}

/** The endpoint part of a WebSocket URL, as errors name it. */
function endpointOf(url: string): string {
  return /^wss?:\/\/([^/]+)/.exec(url)?.[1] ?? url
}

class SessionConnection implements NativeConnection {
  private constructor(private readonly driver: Driver<Session>) {}

  /** Opens the first endpoint's WebSocket that accepts, then logs in. */
  static async open(binding: SessionBinding, openSocket: OpenSocket, dsn: string | null | undefined, options: NativeConnectOptions): Promise<SessionConnection> {
    const session = new binding.NativeSession(dsn ?? null, options, runtimeName(), openSocket.canPing())
    return new SessionConnection(await openDriver(session, binding, openSocket, true))
  }

  query(sql: string, reqId?: bigint | null, timeoutMs?: Ms, abort?: Abort): Promise<NativeResult> {
    return this.driver
      .call((s) => s.queryRows(sql, reqId ?? null, BATCH_BLOCKS), timeoutMs, asSessionAbort(abort))
      .then((reply) => new SessionResult(this.driver, expect(reply, 'Query')))
  }

  placeholders(sql: string): number {
    return this.driver.read((s) => s.placeholders(sql))
  }

  newAbort(): NativeAbort {
    return new SessionAbort()
  }

  get isClosed(): boolean {
    return this.driver.isClosed
  }

  onEvent(callback: (event: NativeEvent) => void): void {
    this.driver.onEvent(callback)
  }

  serverVersion(): string {
    return this.driver.read((s) => s.serverVersion)
  }

  timezone(): string | null {
    return this.driver.read((s) => s.timezone) ?? null
  }

  close(): Promise<void> {
    return this.driver.close()
  }

  async stmt2Init(reqId: bigint | null, singleStbInsert: boolean, singleTableBindOnce: boolean, timeoutMs?: Ms, abort?: Abort): Promise<NativeStmt2> {
    const reply = await this.driver.call((s) => s.stmt2Init(reqId, singleStbInsert, singleTableBindOnce), timeoutMs, asSessionAbort(abort))
    return new SessionStmt2(this.driver, expect(reply, 'StmtInit').stmtId)
  }

  async stmtInit(timeoutMs?: Ms, abort?: Abort): Promise<NativeStmt> {
    const reply = await this.driver.call((s) => s.stmtInit(), timeoutMs, asSessionAbort(abort))
    return new SessionStmt(this.driver, expect(reply, 'StmtInit').stmtId)
  }

  async schemalessInsert(lines: string[], options: NativeSchemalessOptions, timeoutMs?: Ms, abort?: Abort): Promise<number> {
    const reply = await this.driver.call((s) => s.schemalessInsert(lines, options as Generated.NativeSchemalessOptions), timeoutMs, asSessionAbort(abort))
    return expect(reply, 'Schemaless').affectedRows
  }

  async restToken(): Promise<string> {
    // As the native addon says for ws:// (transport.rs, `Transport::rest`).
    throw new NotSupportedError('the REST token (/rest/login) exists only over REST (http:// or https://)')
  }
}

export function asSessionAbort(abort: Abort): SessionAbort | null {
  if (abort === null || abort === undefined) return null
  if (!(abort instanceof SessionAbort)) throw new InternalError('an abort handle of another connection kind was passed')
  return abort
}

/**
 * Blocks a query brings with it and a fetch brings (as the native addon's `transport.rs`): a
 * one-block result comes whole with its query, in one completion.
 */
const BATCH_BLOCKS = 2

/**
 * A result as the addon's are: its description (and later each block) packed in one buffer in
 * `block.rs`'s layout, read by the same `unpackBatch` — in the WebAssembly build every buffer that
 * crosses costs, so one per batch, not one per column.
 */
class SessionResult implements PackedResult {
  private first: Uint8Array | null
  private readonly hasRows: boolean
  private readonly resultId: bigint
  private closed = false

  constructor(
    private readonly driver: Driver,
    reply: ReplyOf<'Query'>,
  ) {
    this.first = reply.packed
    this.hasRows = reply.hasRows
    this.resultId = reply.resultId
  }

  take(): Uint8Array | null {
    const first = this.first
    this.first = null
    return first
  }

  async fetchBatch(timeoutMs?: Ms, abort?: Abort): Promise<Uint8Array> {
    if (!this.hasRows) throw new ResultError('the statement produced no rows to fetch')
    if (this.closed) throw new ResultError('the result is closed')
    return expect(await this.driver.call((s) => s.fetchBatch(this.resultId, BATCH_BLOCKS), timeoutMs, asSessionAbort(abort)), 'Batch').packed
  }

  close(): void {
    if (this.hasRows && !this.closed) {
      this.closed = true
      this.driver.run((s) => s.freeResult(this.resultId))
    }
  }
}

class SessionStmt2 implements NativeStmt2 {
  constructor(
    private readonly driver: Driver,
    private readonly stmtId: bigint,
  ) {}

  async prepare(sql: string, timeoutMs?: Ms, abort?: Abort): Promise<NativeStmt2Prepared> {
    const reply = await this.driver.call((s) => s.stmt2Prepare(this.stmtId, sql), timeoutMs, asSessionAbort(abort))
    return expect(reply, 'Stmt2Prepared').prepared as NativeStmt2Prepared
  }

  async bind(packed: Uint8Array, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    expect(await this.driver.call((s) => s.stmt2BindPacked(this.stmtId, packed), timeoutMs, asSessionAbort(abort)), 'Done')
  }

  async exec(timeoutMs?: Ms, abort?: Abort): Promise<number> {
    return expect(await this.driver.call((s) => s.stmt2Exec(this.stmtId), timeoutMs, asSessionAbort(abort)), 'Affected').rows
  }

  async result(timeoutMs?: Ms, abort?: Abort): Promise<NativeResult> {
    const reply = await this.driver.call((s) => s.stmt2Result(this.stmtId), timeoutMs, asSessionAbort(abort))
    return new SessionResult(this.driver, expect(reply, 'Query'))
  }

  async close(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    expect(await this.driver.call((s) => s.stmt2Close(this.stmtId), timeoutMs, asSessionAbort(abort)), 'Done')
  }
}

class SessionStmt implements NativeStmt {
  constructor(
    private readonly driver: Driver,
    private readonly stmtId: bigint,
  ) {}

  private call(start: (s: Session) => number, timeoutMs: Ms, abort: Abort): Promise<Reply> {
    return this.driver.call(start, timeoutMs, asSessionAbort(abort))
  }

  private async done(start: (s: Session) => number, timeoutMs: Ms, abort: Abort): Promise<void> {
    expect(await this.call(start, timeoutMs, abort), 'Done')
  }

  async prepare(sql: string, timeoutMs?: Ms, abort?: Abort): Promise<boolean> {
    return expect(await this.call((s) => s.stmtPrepare(this.stmtId, sql), timeoutMs, abort), 'StmtPrepared').isInsert
  }

  setTableName(name: string, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s) => s.stmtSetTableName(this.stmtId, name), timeoutMs, abort)
  }

  setTags(tags: NativeBindColumn[], timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s) => s.stmtSetTags(this.stmtId, tags as Generated.NativeBindColumn[]), timeoutMs, abort)
  }

  bind(columns: NativeBindColumn[], timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s) => s.stmtBind(this.stmtId, columns as Generated.NativeBindColumn[]), timeoutMs, abort)
  }

  addBatch(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s) => s.stmtAddBatch(this.stmtId), timeoutMs, abort)
  }

  async exec(timeoutMs?: Ms, abort?: Abort): Promise<number> {
    return expect(await this.call((s) => s.stmtExec(this.stmtId), timeoutMs, abort), 'Affected').rows
  }

  async tagFields(timeoutMs?: Ms, abort?: Abort): Promise<NativeStmtField[]> {
    return expect(await this.call((s) => s.stmtTagFields(this.stmtId), timeoutMs, abort), 'StmtFields').fields as NativeStmtField[]
  }

  async colFields(timeoutMs?: Ms, abort?: Abort): Promise<NativeStmtField[]> {
    return expect(await this.call((s) => s.stmtColFields(this.stmtId), timeoutMs, abort), 'StmtFields').fields as NativeStmtField[]
  }

  async useResult(timeoutMs?: Ms, abort?: Abort): Promise<NativeResult> {
    return new SessionResult(this.driver, expect(await this.call((s) => s.stmtUseResult(this.stmtId), timeoutMs, abort), 'Query'))
  }

  close(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s) => s.stmtClose(this.stmtId), timeoutMs, abort)
  }
}
