/**
 * A pool of connections: `createPool({ dsn, max })`, then `pool.query`/`pool.execute` for one
 * statement, or `pool.connect()` for a lease on one connection (in Node.js, Bun and Deno, and in
 * browsers through `taosjs/browser`). Semantics follow node-postgres's
 * `Pool` where they fit: connections are opened on demand up to `max`, waiting callers are
 * served first come, first served, idle connections close after `idleTimeoutMs`, a broken
 * connection is discarded and replaced.
 *
 * @module
 */
import { checkConnectOptions, openConnection, type Connection, type ConnectOptions, type ExecuteOptions, type QueryOptions } from './connection.js'
import { checkSignal } from './call.js'
import { EventEmitter } from './emitter.js'
import { AbortError, InterfaceError, ProgrammingError, TimeoutError } from './errors.js'
import type { NativeModule } from './native.js'
import { readyNative } from './native-loader.js'
import type { RowArray, RowObject, TaosResult } from './result.js'

/**
 * Options of {@link createPool}: the pool's own, plus every option of `connect()` (user,
 * password, database, timeouts, TLS, result options, …), used for each connection it opens.
 */
export interface PoolOptions extends ConnectOptions {
  /**
   * Where to connect, as for `connect(dsn)`. Default: `TDENGINE_DSN` when set, otherwise
   * `ws://root:taosdata@localhost:6041`.
   */
  dsn?: string | null
  /** Most connections open at once (leased, idle or being opened). An integer ≥ 1; default 10. */
  max?: number
  /**
   * Connections kept open even when idle: opened when the pool is created and reopened when one
   * is discarded. An integer between 0 and `max`; default 0.
   */
  min?: number
  /**
   * How long a connection may stay idle before it is closed (never below `min`), in ms;
   * 0 keeps idle connections open. Default 10,000.
   */
  idleTimeoutMs?: number
  /**
   * How long `connect()`, `query()` and `execute()` wait for a connection (queued behind
   * earlier callers, or while one is opened) before they reject with a `TimeoutError`, in ms.
   * An integer ≥ 1; default 30,000.
   */
  acquireTimeoutMs?: number
  /**
   * Age after which a connection is retired: closed when idle, or when it is released, and
   * replaced on demand. In ms; 0 (the default) lets connections live as long as they work.
   */
  maxLifetimeMs?: number
}

/** Options of {@link Pool.connect}. */
export interface AcquireOptions {
  /** Gives up waiting for a connection: the call rejects with an `AbortError`. */
  signal?: AbortSignal
  /** Overrides the pool's `acquireTimeoutMs` for this call. */
  timeoutMs?: number
}

/** Options of {@link Pool.end}. */
export interface EndOptions {
  /**
   * How long to wait for leased connections to be released, in ms; past it they are closed
   * under their users (calls on them fail). Default 10,000.
   */
  timeoutMs?: number
}

/** Events of a {@link Pool}, with the arguments of their listeners. */
export interface PoolEvents {
  /** A connection was opened. */
  connect: [connection: Connection]
  /** A connection was leased (by `connect()`, `query()` or `execute()`). */
  acquire: [connection: Connection]
  /** A lease was released. */
  release: [connection: Connection]
  /** A connection left the pool (idle too long, too old, broken, released with an error, end()). */
  remove: [connection: Connection]
  /**
   * Opening a connection failed while nobody was waiting for it (keeping `min` connections
   * open), or an idle connection was lost. Emitted only when somebody listens.
   */
  error: [error: Error]
}

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 0x7fff_ffff

const DEFAULTS = { max: 10, min: 0, idleTimeoutMs: 10_000, acquireTimeoutMs: 30_000, maxLifetimeMs: 0 } as const

/** Keys that belong to the pool, not to its connections. */
const POOL_KEYS = ['dsn', ...Object.keys(DEFAULTS)] as const

interface Settings {
  dsn: string | undefined
  max: number
  min: number
  idleTimeoutMs: number
  acquireTimeoutMs: number
  maxLifetimeMs: number
  connectOptions: ConnectOptions
}

/** An integer option in `min..max`; the error names it and the value. */
function checkInteger(name: string, value: unknown, min: number, max: number, unit = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value) ?? String(value)}`
    throw new ProgrammingError(`option ${name} must be an integer between ${min} and ${max}${unit}, got ${shown}`)
  }
  return value
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError('waiting for a pooled connection was aborted', { cause: signal.reason })
}

/** Splits and checks the options of {@link createPool}; no I/O. */
function settings(options: unknown): Settings {
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object' || Array.isArray(options)) throw new ProgrammingError(`pool options must be an object, got ${typeof options}`)
  const given = options as Record<string, unknown>
  const connectOptions: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(given)) if (!(POOL_KEYS as readonly string[]).includes(key)) connectOptions[key] = value
  if (connectOptions['signal'] !== undefined) {
    throw new ProgrammingError('option signal is not a pool option: pass it to a call (pool.connect({ signal }), pool.query(sql, { signal }))')
  }
  const ms = ' (milliseconds)'
  const max = given['max'] === undefined ? DEFAULTS.max : checkInteger('max', given['max'], 1, MAX_TIMER_MS)
  const min = given['min'] === undefined ? DEFAULTS.min : checkInteger('min', given['min'], 0, MAX_TIMER_MS)
  if (min > max) throw new ProgrammingError(`option min (${min}) must not exceed max (${max})`)
  const dsn = given['dsn']
  if (dsn !== undefined && dsn !== null && typeof dsn !== 'string') throw new ProgrammingError(`option dsn must be a string, got ${typeof dsn}`)
  const result: Settings = {
    dsn: dsn ?? undefined,
    max,
    min,
    idleTimeoutMs: given['idleTimeoutMs'] === undefined ? DEFAULTS.idleTimeoutMs : checkInteger('idleTimeoutMs', given['idleTimeoutMs'], 0, MAX_TIMER_MS, ms),
    acquireTimeoutMs: given['acquireTimeoutMs'] === undefined ? DEFAULTS.acquireTimeoutMs : checkInteger('acquireTimeoutMs', given['acquireTimeoutMs'], 1, MAX_TIMER_MS, ms),
    maxLifetimeMs: given['maxLifetimeMs'] === undefined ? DEFAULTS.maxLifetimeMs : checkInteger('maxLifetimeMs', given['maxLifetimeMs'], 0, MAX_TIMER_MS, ms),
    connectOptions: connectOptions as ConnectOptions,
  }
  // The connection options are checked now, so a mistake shows at createPool, not at first use.
  checkConnectOptions(result.connectOptions)
  return result
}

/** One open connection of the pool. */
interface Slot {
  readonly connection: Connection
  leased: boolean
  /** Past `maxLifetimeMs`: closed instead of being reused. */
  expired: boolean
  idleTimer: ReturnType<typeof setTimeout> | undefined
  lifetimeTimer: ReturnType<typeof setTimeout> | undefined
  /** Stops listening to the connection's `'close'` event. */
  unlisten: () => void
}

/** A caller waiting for a connection, served in arrival order. */
interface Waiter {
  resolve(slot: Slot): void
  reject(error: Error): void
}

/**
 * A pool of connections to one TDengine. Create it with {@link createPool}; end it with
 * {@link Pool.end} or `await using`.
 *
 * ```ts
 * import { createPool } from 'taosjs'
 * await using pool = createPool({ dsn: 'ws://root:taosdata@localhost:6041/power', max: 8 })
 * await pool.execute('insert into d1001 values (now, 10.3)')
 * const rows = await (await pool.query('select * from meters limit 10')).toArray()
 * {
 *   await using lease = await pool.connect()   // one connection for several calls
 *   const stmt = await lease.statement2('insert into ? using meters tags (?, ?) values (?, ?)')
 *   // …
 * }                                           // released here
 * ```
 *
 * Connections are opened on demand, up to `max`; when all are leased, callers wait in a first
 * come, first served queue, each for at most `acquireTimeoutMs`. A connection that is closed
 * (it failed for good, or a user closed it) is discarded instead of being handed out again, and
 * replaced when needed. Session state set on a leased connection (`use <db>`) stays with it for
 * the next user: give the database in the DSN instead.
 *
 * Events (an `EventEmitter` with Node.js's API in every runtime, browsers included): `'connect'`,
 * `'acquire'`, `'release'`, `'remove'`, `'error'` — see {@link PoolEvents}.
 *
 * In a browser (`import { createPool } from 'taosjs/browser'`) the pool is the same; its first
 * connection loads the WebAssembly build when `ready()` or `connect()` has not yet.
 */
export class Pool extends EventEmitter<PoolEvents> implements AsyncDisposable {
  private readonly slots = new Set<Slot>()
  /** Idle slots, the most recently released last (reused first, so the others can time out). */
  private readonly idleSlots: Slot[] = []
  private readonly waiters: Waiter[] = []
  private opening = 0
  /** Set by end(), before anything else it does (so nothing opens while it closes). */
  private ending: Promise<void> | undefined
  private isEnding = false
  /** Resolves end()'s wait once no connection is open or being opened. */
  private drained: (() => void) | undefined
  /** Connections being closed; end() waits for them. */
  private readonly closing = new Set<Promise<void>>()

  /** @internal */
  constructor(
    private readonly settings: Settings,
    private readonly open: () => Promise<Connection>,
  ) {
    super()
    this.fill()
  }

  /** Connections open or being opened (leased + idle + opening); never more than `max`. */
  get total(): number {
    return this.slots.size + this.opening
  }

  /** Connections open and not leased. */
  get idle(): number {
    return this.idleSlots.length
  }

  /** Callers waiting for a connection. */
  get waiting(): number {
    return this.waiters.length
  }

  /** Whether {@link Pool.end} was called. */
  get ended(): boolean {
    return this.isEnding
  }

  /**
   * Leases a connection: an idle one, a new one (below `max`), or the next one released, in the
   * order callers asked. Release it with {@link PoolLease.release} or `await using`.
   *
   * @throws TimeoutError when no connection is available within `acquireTimeoutMs`.
   * @throws AbortError when `signal` fires first.
   * @throws ConnectionError when the connection opened for this caller fails to open.
   * @throws InterfaceError when the pool is ending or has ended.
   */
  async connect(options: AcquireOptions = {}): Promise<PoolLease> {
    const slot = await this.acquire(options)
    return new PoolLease(slot.connection, (destroy) => this.release(slot, destroy))
  }

  /**
   * Runs a statement on a pooled connection and returns its result, as
   * {@link Connection.query}. The connection stays leased while the result needs it: until its
   * rows are read to the end or it is closed (a result dropped unread is returned when it is
   * garbage-collected — close it instead). `signal` also stops the wait for a connection.
   */
  query<Row = RowArray>(sql: string, options?: QueryOptions & { rowMode?: 'array' }): Promise<TaosResult<Row>>
  query<Row = RowObject>(sql: string, options: QueryOptions & { rowMode: 'object' }): Promise<TaosResult<Row>>
  async query<Row>(sql: string, options: QueryOptions = {}): Promise<TaosResult<Row>> {
    const lease = await this.connect({ signal: options.signal })
    let result: TaosResult<Row>
    try {
      result = await lease.connection.query<Row>(sql, options as QueryOptions & { rowMode: 'object' })
    } catch (err) {
      lease.release()
      throw err
    }
    // Also when the result is garbage-collected unread: its stream is freed then (unreachable.ts).
    result.whenDetached(() => lease.releaseIfHeld())
    return result
  }

  /**
   * Runs a statement that returns no rows (INSERT, CREATE, …) on a pooled connection, as
   * {@link Connection.execute}, and resolves to the affected rows. `signal` also stops the wait
   * for a connection.
   */
  async execute(sql: string, options: ExecuteOptions = {}): Promise<number> {
    const lease = await this.connect({ signal: options.signal })
    try {
      return await lease.connection.execute(sql, options)
    } finally {
      lease.release()
    }
  }

  /**
   * Ends the pool: callers still waiting reject with an `InterfaceError`, idle connections
   * close now, leased ones when they are released (or after `timeoutMs`, closed under their
   * users). Resolves once every connection is closed. Later calls reject; calling `end` again
   * returns the same promise.
   */
  end(options: EndOptions = {}): Promise<void> {
    if (this.ending !== undefined) return this.ending
    let timeoutMs: number
    try {
      timeoutMs = options.timeoutMs === undefined ? 10_000 : checkInteger('timeoutMs', options.timeoutMs, 0, MAX_TIMER_MS, ' (milliseconds)')
    } catch (err) {
      return Promise.reject(err)
    }
    this.isEnding = true
    this.ending = this.shutDown(timeoutMs)
    return this.ending
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.end()
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    for (const waiter of this.waiters.splice(0)) waiter.reject(new InterfaceError('the pool is ending'))
    for (const slot of [...this.idleSlots]) this.discard(slot)
    if (this.total > 0) {
      const drained = new Promise<void>((resolve) => (this.drained = resolve))
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
      await Promise.race([drained, timedOut])
      clearTimeout(timer)
      // Leases not released in time: close their connections under their users.
      for (const slot of [...this.slots]) this.discard(slot)
      // Connections still being opened are closed as they arrive.
      if (this.opening > 0) await drained
    }
    while (this.closing.size > 0) await Promise.all(this.closing)
  }

  private acquire(options: AcquireOptions): Promise<Slot> {
    if (this.isEnding) return Promise.reject(new InterfaceError('the pool has ended'))
    let signal: AbortSignal | undefined
    let timeoutMs: number
    try {
      if (options === null || typeof options !== 'object') throw new ProgrammingError(`connect options must be an object, got ${options === null ? 'null' : typeof options}`)
      signal = checkSignal(options.signal)
      timeoutMs = options.timeoutMs === undefined ? this.settings.acquireTimeoutMs : checkInteger('timeoutMs', options.timeoutMs, 1, MAX_TIMER_MS, ' (milliseconds)')
    } catch (err) {
      return Promise.reject(err)
    }
    if (signal?.aborted) return Promise.reject(abortError(signal))
    // An idle connection goes to a new caller only when nobody waits before it.
    if (this.waiters.length === 0) {
      const slot = this.takeIdle()
      if (slot !== undefined) return Promise.resolve(this.lease(slot))
    }
    return new Promise<Slot>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const at = this.waiters.indexOf(waiter)
        if (at >= 0) this.waiters.splice(at, 1)
      }
      const waiter: Waiter = {
        resolve: (slot) => {
          done()
          resolve(this.lease(slot))
        },
        reject: (error) => {
          done()
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        waiter.reject(
          new TimeoutError(
            `no pooled connection became available within ${timeoutMs} ms (max ${this.settings.max}: ${this.slots.size - this.idleSlots.length} leased, ${this.opening} opening)`,
          ),
        )
      }, timeoutMs)
      const onAbort = () => waiter.reject(abortError(signal!))
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(waiter)
      this.grow()
    })
  }

  private lease(slot: Slot): Slot {
    slot.leased = true
    this.emit('acquire', slot.connection)
    return slot
  }

  /** The most recently used idle connection still open; closed ones are discarded on the way. */
  private takeIdle(): Slot | undefined {
    for (;;) {
      const slot = this.idleSlots.pop()
      if (slot === undefined) return undefined
      clearTimeout(slot.idleTimer)
      slot.idleTimer = undefined
      if (!slot.connection.isClosed && !slot.expired) return slot
      this.discard(slot)
    }
  }

  /** Opens connections for callers that no connection being opened will serve, up to `max`. */
  private grow(): void {
    while (!this.isEnding && this.waiters.length > this.opening && this.total < this.settings.max) this.openOne()
  }

  /** Opens connections up to `min`. */
  private fill(): void {
    while (!this.isEnding && this.total < this.settings.min) this.openOne()
  }

  private openOne(): void {
    this.opening++
    this.open().then(
      (connection) => {
        this.opening--
        const slot = this.adopt(connection)
        this.emit('connect', connection)
        this.handOver(slot)
      },
      (err: unknown) => {
        this.opening--
        const error = err instanceof Error ? err : new InterfaceError(String(err))
        // The oldest caller hears why it cannot have a connection; with nobody waiting, the
        // failure goes to 'error' listeners (keeping `min` open).
        const waiter = this.waiters[0]
        if (waiter !== undefined) waiter.reject(error)
        else this.emitError(error)
        this.grow()
        this.checkDrained()
      },
    )
  }

  /** Tracks a newly opened connection. */
  private adopt(connection: Connection): Slot {
    const slot: Slot = { connection, leased: false, expired: false, idleTimer: undefined, lifetimeTimer: undefined, unlisten: () => undefined }
    this.slots.add(slot)
    const onClose = () => {
      // Closed for good while idle: drop it now (a leased one is dropped when released).
      if (this.idleSlots.includes(slot)) {
        this.emitError(new InterfaceError('an idle pooled connection was closed'))
        this.discard(slot)
      }
    }
    // Connections are EventEmitters with resilience; until then there is no event to follow.
    const events = connection as unknown as Partial<Pick<EventEmitter, 'on' | 'off'>>
    if (typeof events.on === 'function' && typeof events.off === 'function') {
      events.on.call(connection, 'close', onClose)
      slot.unlisten = () => events.off!.call(connection, 'close', onClose)
    }
    if (this.settings.maxLifetimeMs > 0) {
      slot.lifetimeTimer = setTimeout(() => {
        slot.expired = true
        if (this.idleSlots.includes(slot)) this.discard(slot)
      }, this.settings.maxLifetimeMs)
      unref(slot.lifetimeTimer)
    }
    return slot
  }

  /** A connection is free (new or released): to the first waiter, else idle. */
  private handOver(slot: Slot): void {
    if (this.isEnding || slot.connection.isClosed || slot.expired) {
      this.discard(slot)
      return
    }
    slot.leased = false
    const waiter = this.waiters[0]
    if (waiter !== undefined) {
      waiter.resolve(slot)
      return
    }
    this.idleSlots.push(slot)
    if (this.settings.idleTimeoutMs > 0 && this.slots.size > this.settings.min) {
      slot.idleTimer = setTimeout(() => {
        slot.idleTimer = undefined
        if (this.slots.size > this.settings.min) this.discard(slot)
      }, this.settings.idleTimeoutMs)
      unref(slot.idleTimer)
    }
  }

  private release(slot: Slot, destroy: boolean): void {
    if (!this.slots.has(slot)) return // closed by end() under its user
    slot.leased = false
    this.emit('release', slot.connection)
    if (destroy) this.discard(slot)
    else this.handOver(slot)
  }

  /** Closes a connection and forgets it; replaces it when callers wait or below `min`. */
  private discard(slot: Slot): void {
    if (!this.slots.delete(slot)) return
    const at = this.idleSlots.indexOf(slot)
    if (at >= 0) this.idleSlots.splice(at, 1)
    clearTimeout(slot.idleTimer)
    clearTimeout(slot.lifetimeTimer)
    slot.unlisten()
    const closing = slot.connection.close().catch(() => undefined)
    this.closing.add(closing)
    void closing.then(() => this.closing.delete(closing))
    this.emit('remove', slot.connection)
    this.grow()
    this.fill()
    this.checkDrained()
  }

  private checkDrained(): void {
    if (this.isEnding && this.total === 0) this.drained?.()
  }

  private emitError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error)
  }
}

/**
 * One connection leased from a {@link Pool}: its statement methods, and the
 * {@link PoolLease.connection} itself for everything else. Release it exactly once, with
 * {@link PoolLease.release} or `await using`; afterwards every method throws an
 * `InterfaceError`. Read results and close statements before releasing: the connection goes to
 * the next caller.
 */
export class PoolLease implements AsyncDisposable {
  private released = false

  /** @internal */
  constructor(
    private readonly leased: Connection,
    private readonly onRelease: (destroy: boolean) => void,
  ) {}

  /** The leased connection. @throws InterfaceError once released. */
  get connection(): Connection {
    if (this.released) throw new InterfaceError('the pooled connection was released; acquire another with pool.connect()')
    return this.leased
  }

  /** Whether {@link PoolLease.release} was called. */
  get isReleased(): boolean {
    return this.released
  }

  /** {@link Connection.query} on the leased connection. */
  readonly query: Connection['query'] = ((sql: string, options?: QueryOptions) =>
    this.live((c) => c.query(sql, options as QueryOptions & { rowMode: 'object' }))) as Connection['query']

  /** {@link Connection.execute} on the leased connection. */
  readonly execute: Connection['execute'] = (sql, options) => this.live((c) => c.execute(sql, options))

  /** {@link Connection.cursor} on the leased connection. */
  readonly cursor: Connection['cursor'] = (options) => this.connection.cursor(options)

  /** {@link Connection.statement2} on the leased connection. */
  readonly statement2: Connection['statement2'] = (sql, option) => this.live((c) => c.statement2(sql, option))

  /** {@link Connection.statement} on the leased connection. */
  readonly statement: Connection['statement'] = () => this.live((c) => c.statement())

  /** {@link Connection.schemalessInsert} on the leased connection. */
  readonly schemalessInsert: Connection['schemalessInsert'] = (lines, protocol, precision, options) =>
    this.live((c) => c.schemalessInsert(lines, protocol, precision, options))

  /** {@link Connection.serverVersion} of the leased connection. */
  readonly serverVersion: Connection['serverVersion'] = () => this.live((c) => c.serverVersion())

  /**
   * Returns the connection to the pool. With `error` (any value but `undefined`/`false`), or
   * when the connection is closed, the pool closes it and opens another when needed.
   *
   * @throws InterfaceError when the lease was already released.
   */
  release(error?: unknown): void {
    if (this.released) throw new InterfaceError('the pooled connection was already released')
    this.released = true
    this.onRelease(error !== undefined && error !== false)
  }

  /** Releases unless already released. @internal */
  releaseIfHeld(): void {
    if (!this.released) this.release()
  }

  /** Releases the lease unless it already was. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.releaseIfHeld()
  }

  /** Runs an async call on the connection; a released lease rejects instead of throwing. */
  private live<T>(call: (connection: Connection) => Promise<T>): Promise<T> {
    try {
      return call(this.connection)
    } catch (err) {
      return Promise.reject(err)
    }
  }
}

/**
 * Creates a pool of connections (no I/O unless `min` > 0: connections open on first use).
 *
 * @param options - the pool's options ({@link PoolOptions}) and the options of every connection
 *   it opens, as for `connect()`.
 * @throws ProgrammingError naming the option, for a negative or non-numeric size or timeout,
 *   `min` above `max`, or an option nobody knows.
 */
export function createPool(options: PoolOptions = {}): Pool {
  return createPoolWith(readyNative, options)
}

/**
 * {@link createPool} through the given native module (tests pass a fake). The module is loaded
 * when the first connection opens, after the options were checked.
 *
 * @internal
 */
export function createPoolWith(native: () => NativeModule | Promise<NativeModule>, options: PoolOptions = {}): Pool {
  const s = settings(options)
  return new Pool(s, async () => openConnection(await native(), s.dsn, s.connectOptions))
}

/** Node.js's timers keep the process alive unless unref'd (a pool's timers must not); a browser's are numbers. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  ;(timer as { unref?: () => void }).unref?.()
}
