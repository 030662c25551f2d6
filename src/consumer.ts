/**
 * Data subscription (TMQ): {@link Consumer}, {@link tmqConnect} and {@link Message}.
 *
 * ```ts
 * import { Consumer } from 'taosjs'
 * await using consumer = new Consumer({ 'group.id': 'g1', 'auto.offset.reset': 'earliest' }, 'ws://root:taosdata@localhost:6041')
 * await consumer.subscribe(['topic_meters'])
 * for await (const message of consumer.messages({ signal: AbortSignal.timeout(60_000) })) {
 *   for await (const row of message) console.log(message.topic, row)
 *   await consumer.commit(message)
 * }
 * ```
 *
 * The protocol (poll queue, message ids, offsets, auto-commit) is the Rust core's; this file
 * holds the API and what only JavaScript needs: configuration values of the wrong JS kind,
 * bigint offsets, value conversion through the same {@link RowStream} as query results.
 *
 * @module
 */
import { CallLimits, type CallOptions } from './call.js'
import { validateResultOptions } from './connection.js'
import { envDsn } from './dsn.js'
import { AbortError, fromNative, NotSupportedError, TmqError, type Error } from './errors.js'
import { currentNative } from './native-loader.js'
import { WholeResult, type NativeAbort, type NativeConfigEntry, type NativeConsumer, type NativeConsumerConfig, type NativeMessage, type NativeModule } from './native.js'
import { NOT_READY, RowStream, type ColumnBlock, type RowArray, type RowObject } from './result.js'
import { type Precision, type ResultOptions, type RowMode, type TaosField } from './types.js'

/**
 * A consumer's configuration: TDengine's consumer keys with their values. Booleans and numbers
 * may be given as such or as text (`'false'` is false). Keys:
 *
 * | key | value | default |
 * |---|---|---|
 * | `group.id` | consumer group (required) | — |
 * | `client.id` | client id shown by `show consumers` | — |
 * | `host` / `td.connect.ip`, `port` / `td.connect.port` | taosAdapter endpoint | the DSN's, else `localhost:6041` |
 * | `td.connect.user`, `td.connect.pass` | credentials | the DSN's, else `root` / `taosdata` |
 * | `td.connect.token` | TDengine Cloud token | — |
 * | `td.connect.db` | database | — |
 * | `td.connect.websocket.scheme` | `ws` or `wss` | the DSN's, else `ws` |
 * | `auto.offset.reset` | `earliest`, `latest` or `none`: where a group without committed offsets starts | the server's (`latest`) |
 * | `enable.auto.commit` | commit before a poll once the interval passed | `true` |
 * | `auto.commit.interval.ms` | auto-commit interval | `5000` |
 * | `msg.with.table.name` | blocks carry their table's name | `true` |
 * | `experimental.snapshot.enable` | read data already flushed to disk too | server default |
 * | `msg.enable.batchmeta` | several schema changes in one meta message | server default |
 * | `msg.consume.excluded` | skip data written by replication (taosX) | server default |
 * | `msg.consume.rawdata` | raw messages for replication (not decoded) | server default |
 * | `session.timeout.ms` | 6000–1800000 | server default |
 * | `max.poll.interval.ms` | ≥ 1000 | server default |
 * | `request.timeout.ms` | how long a call may wait for its answer (a poll: its timeout plus this); a call's own `timeoutMs` replaces it | `10000` |
 * | `connect.timeout.ms` | how long opening the connection may take | `10000` |
 *
 * `undefined` and `null` values are ignored. An unknown key or a value of the wrong kind is a
 * {@link TmqError} naming the key, thrown by the constructor before any I/O.
 */
export type ConsumerConfig = Readonly<Record<string, string | number | boolean | null | undefined>> | ReadonlyMap<string, string | number | boolean | null | undefined>

/** Options of a consumer that are not TDengine configuration: how message rows look. */
export interface ConsumerOptions extends ResultOptions {}

/** One vgroup of a topic. */
export interface TopicPartition {
  topic: string
  vgroupId: number
}

/** A vgroup of a topic and an offset in it. */
export interface TopicOffset extends TopicPartition {
  offset: bigint | number
}

/** A vgroup assigned to the consumer: where it stands and the range of its write-ahead log. */
export interface TopicAssignment extends TopicPartition {
  /** Where the consumer's last message began (or where subscribe/seek put it). */
  offset: bigint
  /** The first offset of the vgroup's log. */
  begin: bigint
  /** One past the last offset of the vgroup's log. */
  end: bigint
}

/** A partition with its offset, or `null` when there is none (nothing committed). */
export interface PartitionOffset extends TopicPartition {
  offset: bigint | null
}

/** What a message carries: rows, a schema change, rows of tables created with them, or raw data. */
export type MessageType = 'data' | 'meta' | 'data+meta' | 'raw'

/** One block of a message: the rows of one table, as columns. */
export interface MessageBlock extends ColumnBlock {
  /** The table the rows belong to, when the server sent table names (`msg.with.table.name`). */
  tableName: string | null
  fields: TaosField[]
}

/**
 * Options of {@link Consumer.poll}: the {@link CallOptions} of every call. `timeoutMs` bounds the
 * answer *after* the poll's own waiting time (default `request.timeout.ms`); an aborted poll
 * rejects with an `AbortError` at once, and a message the server (or, over `taos://`, the client
 * library) handed out meanwhile is delivered by the next poll, over every transport.
 */
export interface PollOptions extends CallOptions {}

/** Options of {@link Consumer.messages}. */
export interface MessagesOptions extends PollOptions {
  /** How long each poll waits for a message, in ms (default 1000). */
  pollTimeoutMs?: number
}

const MESSAGE_NATIVE: unique symbol = Symbol('native message')

function toEntries(config: ConsumerConfig): NativeConfigEntry[] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new TmqError(`the consumer configuration must be an object of key → value, got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}`)
  }
  const pairs = config instanceof Map ? [...config.entries()] : Object.entries(config)
  const entries: NativeConfigEntry[] = []
  for (const [key, value] of pairs) {
    if (typeof key !== 'string') throw new TmqError(`configuration keys must be strings, got ${typeof key}`)
    if (value === undefined || value === null) continue
    if (typeof value === 'string') entries.push({ key, value })
    else if (typeof value === 'boolean') entries.push({ key, value: String(value) })
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new TmqError(`invalid value for \`${key}\`: expected a finite number, got ${value}`)
      entries.push({ key, value: String(value) })
    } else {
      throw new TmqError(`invalid value for \`${key}\`: expected a string, number or boolean, got ${Array.isArray(value) ? 'an array' : typeof value}`)
    }
  }
  return entries
}

function toOffset(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value)
  throw new TmqError(`${what} must be an integer (a bigint, or a number up to 2^53), got ${String(value)}`)
}

function checkPartition(topic: unknown, vgroupId: unknown, what: string): TopicPartition {
  if (typeof topic !== 'string' || topic === '') throw new TmqError(`${what}: topic must be a non-empty string, got ${String(topic)}`)
  if (typeof vgroupId !== 'number' || !Number.isInteger(vgroupId)) throw new TmqError(`${what}: vgroupId must be an integer, got ${String(vgroupId)}`)
  return { topic, vgroupId }
}

function partitionsOf(value: unknown, what: string): TopicPartition[] {
  if (!Array.isArray(value)) throw new TmqError(`${what} takes (topic, vgroupId) or an array of { topic, vgroupId }`)
  return value.map((p: unknown) => {
    const { topic, vgroupId } = (p ?? {}) as Partial<TopicPartition>
    return checkPartition(topic, vgroupId, what)
  })
}

function pollTimeout(timeoutMs: unknown): number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new TmqError(`poll timeout must be a non-negative number of milliseconds, got ${String(timeoutMs)}`)
  }
  return timeoutMs
}

/**
 * A TMQ consumer (TDengine's data subscription) over taosAdapter's WebSocket (`ws://`, `wss://`)
 * or TDengine's client library (`taos://`).
 *
 * Delivery is **at least once**: a message's rows count as consumed only once its offset is
 * committed — by {@link Consumer.commit} after you processed it, or with `enable.auto.commit`
 * (the default) by the commit that runs before a later poll once `auto.commit.interval.ms`
 * passed, which covers only messages polled before that poll (over `taos://`, the client
 * library commits on its own timer). Anything polled but not committed
 * when the consumer closes or dies is delivered again to the next consumer of the group; design
 * processing to be idempotent.
 */
export class Consumer<Row = RowArray> implements AsyncIterable<Message<Row>>, AsyncDisposable {
  private readonly config: NativeConsumerConfig
  private readonly resultOptions: ResultOptions
  private opening: Promise<NativeConsumer> | null = null
  /** The native consumer once connected (its `isClosed` says when the server went away). */
  private opened: NativeConsumer | null = null
  private closed = false

  /**
   * Checks the configuration (a {@link TmqError} naming the key when it is wrong); connects on
   * first use. Use {@link tmqConnect} to connect at once.
   *
   * @param config - TDengine's consumer keys ({@link ConsumerConfig}); `group.id` is required.
   * @param dsn - `ws://user:pass@host:port` (also `wss://`, or `taos://` for the native client
   *   library's consumer); may carry the endpoint and credentials. When absent, `TDENGINE_DSN` is
   *   used if set. Configuration keys win over it. REST (`http(s)://`) has no TMQ.
   * @param options - how message rows look (`rowMode`, `timestampAs`, `bigintAs`, `parseJson`).
   */
  constructor(config: ConsumerConfig, dsn?: string | null, options: ConsumerOptions = {}) {
    this.config = Consumer.checkConfig(currentNative(), config, dsn, options)
    this.resultOptions = { ...options }
  }

  /** @internal */
  static checkConfig(native: NativeModule, config: ConsumerConfig, dsn: string | null | undefined, options: ConsumerOptions): NativeConsumerConfig {
    if (dsn !== undefined && dsn !== null && typeof dsn !== 'string') throw new TmqError(`dsn must be a string, got ${typeof dsn}`)
    try {
      validateResultOptions(options)
    } catch (err) {
      throw new TmqError((err as Error).message)
    }
    const entries = toEntries(config)
    try {
      return native.consumerConfig(entries, dsn ?? envDsn() ?? null)
    } catch (err) {
      throw asTmq(err)
    }
  }

  /** @internal */
  static withNative<Row>(native: NativeModule, config: ConsumerConfig, dsn?: string | null, options: ConsumerOptions = {}): Consumer<Row> {
    const consumer = Object.create(Consumer.prototype) as Consumer<Row>
    Object.assign(consumer, { config: Consumer.checkConfig(native, config, dsn, options), resultOptions: { ...options }, opening: null, opened: null, closed: false })
    return consumer
  }

  /** The consumer group. */
  get groupId(): string {
    return this.config.groupId
  }

  /**
   * Whether {@link Consumer.close} was called or the connection was lost: a consumer does not
   * reconnect (open a new one with the same `group.id`; it resumes at the committed offsets).
   */
  get isClosed(): boolean {
    return this.closed || (this.opened?.isClosed ?? false)
  }

  /** Connects now (the first call of the consumer does it otherwise). @internal */
  async connect(): Promise<this> {
    await this.native()
    return this
  }

  /** Subscribes to topics, replacing the current subscription. An unknown topic is a {@link TmqError} with TDengine's code (993). */
  async subscribe(topics: string | readonly string[], options?: CallOptions): Promise<void> {
    const list = typeof topics === 'string' ? [topics] : topics
    if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== 'string' || t === '')) {
      throw new TmqError('subscribe takes a topic name or a non-empty array of topic names')
    }
    return this.call(options, (native, ms, abort) => native.subscribe([...list], ms, abort))
  }

  /** Leaves every topic (the consumer can subscribe again). */
  async unsubscribe(options?: CallOptions): Promise<void> {
    return this.call(options, (native, ms, abort) => native.unsubscribe(ms, abort))
  }

  /**
   * Waits up to `timeoutMs` for the next message; resolves to null when none arrived. If the
   * server stops answering, rejects with a {@link TmqError} within `timeoutMs` plus
   * `request.timeout.ms` (or `options.timeoutMs`). An aborted `options.signal` rejects with an
   * `AbortError` at once; the message is not lost (the next poll delivers it).
   */
  async poll(timeoutMs = 1000, options?: PollOptions): Promise<Message<Row> | null> {
    const wait = pollTimeout(timeoutMs)
    const message = await this.call(options, (native, ms, abort) => native.poll(wait, ms, abort))
    return message === null ? null : new Message<Row>(message, this.resultOptions)
  }

  /**
   * Commits `message` (its vgroup's committed offset becomes where it ends), or, without one
   * (`undefined` or `null`), everything polled so far.
   */
  async commit(message?: Message<unknown> | null, options?: CallOptions): Promise<void> {
    if (message === undefined || message === null) return this.call(options, (native, ms, abort) => native.commit(ms, abort))
    if (!(message instanceof Message)) throw new TmqError('commit takes a Message polled from this consumer, or nothing')
    return this.call(options, (native, ms, abort) => native.commitMessage(message[MESSAGE_NATIVE], ms, abort))
  }

  /** Commits offsets of partitions: `[{ topic, vgroupId, offset }]`. */
  async commitOffsets(offsets: readonly TopicOffset[], options?: CallOptions): Promise<void> {
    if (!Array.isArray(offsets)) throw new TmqError('commitOffsets takes an array of { topic, vgroupId, offset }')
    const list = offsets.map((o: TopicOffset) => ({ ...checkPartition(o?.topic, o?.vgroupId, 'commitOffsets'), offset: toOffset(o?.offset, 'offset') }))
    return this.call(options, (native, ms, abort) => native.commitOffsets(list, ms, abort))
  }

  /** The vgroups assigned to the consumer, of one topic or of every subscribed topic (`undefined`/`null`). */
  async assignment(topic?: string | null, options?: CallOptions): Promise<TopicAssignment[]> {
    if (topic !== undefined && topic !== null && (typeof topic !== 'string' || topic === '')) throw new TmqError('assignment takes a topic name or nothing')
    return this.call(options, (native, ms, abort) => native.assignment(topic ?? null, ms, abort))
  }

  /**
   * Moves the consumer in one vgroup: the next message starts at `offset` (the reference page's
   * `seek(topic, vg_id, offset)`; also `seek({ topic, vgroupId, offset })`).
   */
  async seek(topic: string, vgroupId: number, offset: bigint | number, options?: CallOptions): Promise<void>
  async seek(partition: TopicOffset, options?: CallOptions): Promise<void>
  async seek(topicOrPartition: string | TopicOffset, ...rest: unknown[]): Promise<void> {
    const byObject = typeof topicOrPartition === 'object' && topicOrPartition !== null
    const p = byObject ? topicOrPartition : { topic: topicOrPartition, vgroupId: rest[0], offset: rest[1] }
    const options = (byObject ? rest[0] : rest[2]) as CallOptions | undefined
    const { topic, vgroupId: vg } = checkPartition(p.topic, p.vgroupId, 'seek')
    const at = toOffset(p.offset, 'offset')
    return this.call(options, (native, ms, abort) => native.seek(topic, vg, at, ms, abort))
  }

  /**
   * Seeks partitions (every assigned one when none are named) to the start of their log:
   * everything is read again. Takes `(topic, vgroupId)`, an array of `{ topic, vgroupId }`, or
   * nothing (`undefined`/`null`), then the call options.
   */
  async seekToBeginning(topic: string, vgroupId: number, options?: CallOptions): Promise<void>
  async seekToBeginning(partitions?: readonly TopicPartition[] | null, options?: CallOptions): Promise<void>
  async seekToBeginning(...args: unknown[]): Promise<void> {
    return this.seekToEdge(args, false, 'seekToBeginning')
  }

  /** Seeks partitions (every assigned one when none are named) to the end of their log: only new data is read. Arguments as {@link Consumer.seekToBeginning}. */
  async seekToEnd(topic: string, vgroupId: number, options?: CallOptions): Promise<void>
  async seekToEnd(partitions?: readonly TopicPartition[] | null, options?: CallOptions): Promise<void>
  async seekToEnd(...args: unknown[]): Promise<void> {
    return this.seekToEdge(args, true, 'seekToEnd')
  }

  /** The offset committed by the group (null: nothing committed yet). */
  async committed(topic: string, vgroupId: number, options?: CallOptions): Promise<bigint | null>
  async committed(partitions: readonly TopicPartition[], options?: CallOptions): Promise<PartitionOffset[]>
  async committed(topicOrPartitions: string | readonly TopicPartition[], ...rest: unknown[]): Promise<bigint | null | PartitionOffset[]> {
    return this.offsets('committed', topicOrPartitions, rest)
  }

  /** Where the consumer stands: the offset of the next message. */
  async position(topic: string, vgroupId: number, options?: CallOptions): Promise<bigint | null>
  async position(partitions: readonly TopicPartition[], options?: CallOptions): Promise<PartitionOffset[]>
  async position(topicOrPartitions: string | readonly TopicPartition[], ...rest: unknown[]): Promise<bigint | null | PartitionOffset[]> {
    return this.offsets('position', topicOrPartitions, rest)
  }

  /** The topics the consumer is subscribed to. */
  async listTopics(options?: CallOptions): Promise<string[]> {
    return this.call(options, (native, ms, abort) => native.listTopics(ms, abort))
  }

  /**
   * Polls (each poll waiting up to `pollTimeoutMs`, default 1000) until `signal` aborts (the
   * loop then ends quietly) or the consumer is closed; null polls are skipped. `timeoutMs`
   * bounds each poll's answer as in {@link Consumer.poll}.
   */
  messages(options: MessagesOptions = {}): AsyncIterable<Message<Row>> {
    const timeout = pollTimeout(options.pollTimeoutMs ?? 1000)
    const limits = CallLimits.of({ timeoutMs: options.timeoutMs, signal: options.signal })
    const signal = limits.signal
    const pollOptions: PollOptions = { timeoutMs: limits.timeoutMs, signal }
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Message<Row>>> => {
          for (;;) {
            if (this.closed || signal?.aborted) return { done: true, value: undefined }
            let message: Message<Row> | null
            try {
              message = await this.poll(timeout, pollOptions)
            } catch (err) {
              if (signal?.aborted || this.closed) return { done: true, value: undefined }
              throw err
            }
            if (message !== null) return { done: false, value: message }
          }
        },
        return: async (): Promise<IteratorResult<Message<Row>>> => ({ done: true, value: undefined }),
      }),
    }
  }

  /** `for await (const message of consumer)`: polls until the consumer is closed (see {@link Consumer.messages} for a signal). */
  [Symbol.asyncIterator](): AsyncIterator<Message<Row>> {
    return this.messages()[Symbol.asyncIterator]()
  }

  /**
   * Closes the consumer; calls still waiting reject. Nothing is committed: what was polled and
   * not committed goes to the group again. Safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const opening = this.opening
    if (opening === null) return
    let native: NativeConsumer
    try {
      native = await opening
    } catch {
      return
    }
    try {
      await native.close()
    } catch (err) {
      throw asTmq(err)
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private native(): Promise<NativeConsumer> {
    if (this.closed) return Promise.reject(new TmqError('the consumer is closed'))
    if (this.opening === null) {
      const opening = this.config.connect().then(
        (native) => {
          this.opened = native
          return native
        },
        (err: unknown) => {
          throw asTmq(err)
        },
      )
      this.opening = opening
      // A failed connection can be retried by the next call.
      opening.catch(() => {
        if (this.opening === opening) this.opening = null
      })
    }
    return this.opening
  }

  /**
   * Runs one native consumer call under `options` (checked before anything is sent): its
   * `timeoutMs` and abort handle go to the core, an aborted signal rejects with an `AbortError`
   * at once; every other failure is a {@link TmqError}.
   */
  private async call<T>(options: CallOptions | undefined, request: (native: NativeConsumer, timeoutMs: number | null, abort: NativeAbort | null) => Promise<T>): Promise<T> {
    const limits = CallLimits.of(options)
    const native = await this.native()
    try {
      return await limits.run(() => native.newAbort(), (ms, abort) => request(native, ms, abort))
    } catch (err) {
      throw asTmq(err)
    }
  }

  private async seekToEdge(args: unknown[], toEnd: boolean, what: string): Promise<void> {
    let partitions: TopicPartition[] | null = null
    let options: CallOptions | undefined
    if (typeof args[0] === 'string') {
      partitions = [checkPartition(args[0], args[1], what)]
      options = args[2] as CallOptions | undefined
    } else {
      if (args[0] !== undefined && args[0] !== null) partitions = partitionsOf(args[0], what)
      options = args[1] as CallOptions | undefined
    }
    return this.call(options, (native, ms, abort) => native.seekToEdge(partitions, toEnd, ms, abort))
  }

  private async offsets(which: 'committed' | 'position', topicOrPartitions: unknown, rest: unknown[]): Promise<bigint | null | PartitionOffset[]> {
    const single = typeof topicOrPartitions === 'string'
    const partitions = single ? [checkPartition(topicOrPartitions, rest[0], which)] : partitionsOf(topicOrPartitions, which)
    const options = (single ? rest[1] : rest[0]) as CallOptions | undefined
    const values = await this.call(options, (native, ms, abort) => (which === 'committed' ? native.committed(partitions, ms, abort) : native.position(partitions, ms, abort)))
    if (single) return values[0] ?? null
    return partitions.map((p, i) => ({ ...p, offset: values[i] ?? null }))
  }
}

/**
 * Creates a consumer and connects it (Python's `Consumer(conf)` connects at once). See
 * {@link Consumer} for the arguments.
 */
export async function tmqConnect<Row = RowArray>(config: ConsumerConfig, dsn?: string | null, options: ConsumerOptions = {}): Promise<Consumer<Row>> {
  return new Consumer<Row>(config, dsn, options).connect()
}

/**
 * A polled message. Its rows are already in memory (read them any number of times), decoded
 * like query results: every type lossless, NULL as `null`. Meta messages carry the schema change
 * as parsed JSON in {@link Message.meta}.
 *
 * @typeParam Row - the row type (`unknown[]`, or objects with `rowMode: 'object'`).
 */
export class Message<Row = RowArray> implements AsyncIterable<Row> {
  /** @internal */
  readonly [MESSAGE_NATIVE]: NativeMessage
  readonly topic: string
  readonly database: string
  readonly vgroupId: number
  /** The offset TDengine reports for the message (where a data message starts, where a meta message ends). */
  readonly offset: bigint
  readonly type: MessageType
  /** The schema change (create/alter/drop of tables) as parsed JSON, for `meta` and `data+meta` messages; else null. */
  readonly meta: unknown
  /** The table of each block (null entries when the server sent no table names). */
  readonly tableNames: ReadonlyArray<string | null>
  /** Rows in the message. */
  readonly rowCount: number
  private fieldsCache: TaosField[] | undefined

  /** @internal */
  constructor(
    native: NativeMessage,
    private readonly options: ResultOptions,
  ) {
    this[MESSAGE_NATIVE] = native
    this.topic = native.topic
    this.database = native.database
    this.vgroupId = native.vgroupId
    this.offset = native.offset
    this.type = native.type
    const meta = native.meta
    this.meta = meta === null || meta === undefined ? null : (JSON.parse(meta) as unknown)
    this.tableNames = native.tableNames.map((n) => n ?? null)
    this.rowCount = native.blockRows.reduce((a, b) => a + b, 0)
  }

  /** The columns of the message's first block ([] for messages without rows); see {@link Message.blocks} for each block's. */
  get fields(): TaosField[] {
    if (this.fieldsCache === undefined) this.fieldsCache = this.tableNames.length === 0 ? [] : this.stream(0).fields
    return this.fieldsCache
  }

  /** Timestamp precision of the rows (of the topic's database). */
  get precision(): Precision {
    return this.tableNames.length === 0 ? 'ms' : this.stream(0).precision
  }

  /** The rows, block by block (one table per block), in the consumer's row mode. */
  [Symbol.asyncIterator](): AsyncIterator<Row> {
    const mode = (this.options.rowMode ?? 'array') as RowMode
    let index = 0
    let stream: RowStream | null = null
    const count = this.tableNames.length
    return {
      next: async (): Promise<IteratorResult<Row>> => {
        for (;;) {
          if (stream === null) {
            if (index >= count) return { done: true, value: undefined }
            stream = this.stream(index++)
          }
          const buffered = stream.nextBuffered(mode)
          if (buffered !== NOT_READY) return { done: false, value: buffered as Row }
          const row = await stream.next(mode)
          if (row !== undefined) return { done: false, value: row as Row }
          stream = null
        }
      },
      return: async (): Promise<IteratorResult<Row>> => {
        stream?.close()
        index = count
        return { done: true, value: undefined }
      },
    }
  }

  /** Every row. */
  async toArray(): Promise<Row[]> {
    const rows: Row[] = []
    for await (const row of this) rows.push(row)
    return rows
  }

  /** Every row as an object keyed by column name. */
  async fetchAllIntoDict(): Promise<RowObject[]> {
    const rows: RowObject[] = []
    for (let i = 0; i < this.tableNames.length; i++) {
      const stream = this.stream(i)
      for (;;) {
        const row = await stream.next('object')
        if (row === undefined) break
        rows.push(row as RowObject)
      }
    }
    return rows
  }

  /** The blocks as columns (typed arrays and buffers, no per-cell work), each with its table name and fields. */
  blocks(): AsyncIterable<MessageBlock> {
    const count = this.tableNames.length
    return {
      [Symbol.asyncIterator]: () => {
        let index = 0
        return {
          next: async (): Promise<IteratorResult<MessageBlock>> => {
            while (index < count) {
              const i = index++
              const stream = this.stream(i)
              const block = await stream.nextBlock()
              stream.close()
              if (block !== undefined) return { done: false, value: { ...block, tableName: this.tableNames[i] ?? null, fields: stream.fields } }
            }
            return { done: true, value: undefined }
          },
          return: async (): Promise<IteratorResult<MessageBlock>> => {
            index = count
            return { done: true, value: undefined }
          },
        }
      },
    }
  }

  /** Block `index` read through the same machinery as a query result (its blocks are in memory: nothing to free). */
  private stream(index: number): RowStream {
    return new RowStream(new WholeResult(this[MESSAGE_NATIVE].packedBlock(index)), this.options, () => undefined)
  }
}

/**
 * A consumer's failure as a {@link TmqError} (TDengine's code kept); an abort stays an
 * `AbortError`, as for every call (a bad call option is a `ProgrammingError`, thrown before).
 */
function asTmq(err: unknown): Error {
  const e = fromNative(err)
  // NotSupportedError keeps its class: what is missing is a transport, not a consumer failure.
  if (e instanceof TmqError || e instanceof AbortError || e instanceof NotSupportedError) return e
  return new TmqError(e.message, { errno: e.errno, cause: e })
}
