/**
 * TMQ consumers of the WebAssembly build: the core's consumer (`NativeConsumerSession`,
 * crates/taosjs-napi/src/consumer_session.rs — the `/rest/tmq` conversation the native addon's
 * tokio driver runs) moved by the same {@link Driver} as a connection's session. Everything a
 * consumer decides (one poll at a time, fetching a message's blocks before the poll completes,
 * a message nobody received polled again, auto-commit, deadlines, keepalive) is the core's; the
 * class here implements the addon's `NativeConsumer` over it; polled messages are the module's
 * `NativeMessage`s, as the addon's are.
 *
 * @internal
 * @module
 */
import type * as Generated from '../index.js'
import type {
  Abort,
  Ms,
  NativeAbort,
  NativeAssignment,
  NativeConfigEntry,
  NativeConsumer,
  NativeConsumerConfig,
  NativeMessage,
  NativePartition,
  NativeTopicOffset,
} from './native.js'
import { runtimeName } from './runtime.js'
import { asSessionAbort, type Driver, expect, openDriver, SessionAbort, type SessionBinding } from './session-driver.js'
import type { OpenSocket } from './socket.js'

type ConsumerSession = Generated.NativeConsumerSession

/** What consumers use of the WebAssembly module's exports. */
export interface ConsumerBinding {
  NativeConsumerSession: new (entries: NativeConfigEntry[], dsn: string | null | undefined, runtime: string, canPing: boolean) => ConsumerSession
}

/** Checks a configuration now (a TmqError naming the key); `connect` opens `/rest/tmq`. */
export function consumerConfig(
  binding: ConsumerBinding & Pick<SessionBinding, 'takePanicMessage'>,
  openSocket: OpenSocket,
  entries: NativeConfigEntry[],
  dsn: string | null,
): NativeConsumerConfig {
  const make = (): ConsumerSession => new binding.NativeConsumerSession(entries, dsn, runtimeName(), openSocket.canPing())
  const checked = make()
  return {
    groupId: checked.groupId,
    // A consumer never reconnects (the core's rule): its driver opens no socket after the first.
    connect: async () => new SessionConsumer(await openDriver(make(), binding, openSocket, false)),
  }
}

class SessionConsumer implements NativeConsumer {
  constructor(private readonly driver: Driver<ConsumerSession>) {}

  private call(start: (s: ConsumerSession, nowMs: number) => number, timeoutMs: Ms, abort: Abort): Promise<Generated.NativeReply> {
    return this.driver.call(start, timeoutMs, asSessionAbort(abort))
  }

  private async done(start: (s: ConsumerSession, nowMs: number) => number, timeoutMs: Ms, abort: Abort): Promise<void> {
    expect(await this.call(start, timeoutMs, abort), 'Done')
  }

  subscribe(topics: string[], timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.subscribe(topics, now), timeoutMs, abort)
  }

  unsubscribe(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.unsubscribe(now), timeoutMs, abort)
  }

  async poll(waitMs: number, timeoutMs?: Ms, abort?: Abort): Promise<NativeMessage | null> {
    const reply = expect(await this.call((s, now) => s.poll(waitMs, now), timeoutMs, abort), 'TmqMessage')
    return reply.message ?? null
  }

  newAbort(): NativeAbort {
    return new SessionAbort()
  }

  commit(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.commit(now), timeoutMs, abort)
  }

  commitMessage(message: NativeMessage, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.commitMessage(message as Generated.NativeMessage, now), timeoutMs, abort)
  }

  commitOffsets(offsets: NativeTopicOffset[], timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.commitOffsets(offsets, now), timeoutMs, abort)
  }

  seek(topic: string, vgroupId: number, offset: bigint, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.seek(topic, vgroupId, offset, now), timeoutMs, abort)
  }

  seekToEdge(partitions: NativePartition[] | null, toEnd: boolean, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    return this.done((s, now) => s.seekToEdge(partitions, toEnd, now), timeoutMs, abort)
  }

  async assignment(topic: string | null, timeoutMs?: Ms, abort?: Abort): Promise<NativeAssignment[]> {
    return expect(await this.call((s, now) => s.assignment(topic, now), timeoutMs, abort), 'TmqAssignment').assignment
  }

  async committed(partitions: NativePartition[], timeoutMs?: Ms, abort?: Abort): Promise<Array<bigint | null>> {
    return offsets(await this.call((s, now) => s.committed(partitions, now), timeoutMs, abort))
  }

  async position(partitions: NativePartition[], timeoutMs?: Ms, abort?: Abort): Promise<Array<bigint | null>> {
    return offsets(await this.call((s, now) => s.position(partitions, now), timeoutMs, abort))
  }

  async listTopics(timeoutMs?: Ms, abort?: Abort): Promise<string[]> {
    return expect(await this.call((s, now) => s.listTopics(now), timeoutMs, abort), 'TmqTopics').topics
  }

  serverVersion(): string {
    return this.driver.read((s) => s.serverVersion)
  }

  get isClosed(): boolean {
    return this.driver.isClosed
  }

  close(): Promise<void> {
    return this.driver.close()
  }
}

function offsets(reply: Generated.NativeReply): Array<bigint | null> {
  return expect(reply, 'TmqOffsets').offsets.map((o) => o ?? null)
}
