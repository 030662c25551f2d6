/**
 * An in-memory stand-in for the native addon: results are given as columns, blocks are cut
 * `blockRows` at a time, and every call is recorded so specs can check what the facade asked for.
 */
import type {
  NativeBlock,
  NativeColumn,
  NativeConnectOptions,
  NativeConnection,
  NativeField,
  NativeModule,
  NativeQueryResult,
  NativeTestServer,
  NativeTestServerOptions,
} from '../../src/native.js'

export interface FakeColumn {
  field: NativeField
  /** Values; null = NULL. Numbers/bigints for fixed types, strings/Buffers for variable ones. */
  values: unknown[]
}

export interface FakeResultSpec {
  columns?: FakeColumn[]
  affectedRows?: number
  precision?: number
}

export type FakeAnswer = FakeResultSpec | Error

export function field(name: string, type: number, bytes = 8, precision = 0, scale = 0): NativeField {
  return { name, type, bytes, precision, scale }
}

const ARRAY_FOR_TYPE: Record<number, new (n: number) => NativeColumn['data']> = {
  1: Int8Array,
  2: Int8Array,
  3: Int16Array,
  4: Int32Array,
  5: BigInt64Array,
  6: Float32Array,
  7: Float64Array,
  9: BigInt64Array,
  11: Uint8Array,
  12: Uint16Array,
  13: Uint32Array,
  14: BigUint64Array,
}

/** Builds a native block from row-sliced column values, the way the addon lays blocks out. */
export function encodeColumn(type: number, values: unknown[]): NativeColumn {
  const nulls = new Uint8Array(values.length)
  values.forEach((v, i) => (nulls[i] = v === null ? 1 : 0))
  const Fixed = ARRAY_FOR_TYPE[type]
  if (Fixed !== undefined) {
    const data = new Fixed(values.length) as unknown as Record<number, unknown>
    values.forEach((v, i) => {
      if (v !== null) data[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v
    })
    return { nulls, data: data as unknown as NativeColumn['data'] }
  }
  const parts = values.map((v) => (v === null ? Buffer.alloc(0) : Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8')))
  const offsets = new Int32Array(values.length + 1)
  parts.forEach((p, i) => (offsets[i + 1] = offsets[i]! + p.length))
  return { nulls, data: Buffer.concat(parts), offsets }
}

export interface FakeCall {
  method: string
  args: unknown[]
}

export class FakeConnection implements NativeConnection {
  readonly calls: FakeCall[] = []
  readonly freed: number[] = []
  closed = false
  private nextId = 1
  private readonly results = new Map<number, { columns: FakeColumn[]; offset: number }>()

  constructor(
    private readonly answer: (sql: string) => FakeAnswer,
    private readonly blockRows: number,
  ) {}

  /** Milliseconds every query takes. */
  queryDelayMs = 0

  async query(sql: string, reqId?: bigint | null): Promise<NativeQueryResult> {
    this.calls.push({ method: 'query', args: [sql, reqId] })
    if (this.queryDelayMs > 0) await new Promise((r) => setTimeout(r, this.queryDelayMs))
    if (this.closed) throw new Error('ConnectionError: the connection is closed')
    const answer = this.answer(sql)
    if (answer instanceof Error) throw answer
    const columns = answer.columns ?? []
    if (columns.length === 0) {
      return { resultId: 0, isUpdate: true, affectedRows: answer.affectedRows ?? 0, fields: [], precision: 0 }
    }
    const id = this.nextId++
    this.results.set(id, { columns, offset: 0 })
    return { resultId: id, isUpdate: false, affectedRows: 0, fields: columns.map((c) => c.field), precision: answer.precision ?? 0 }
  }

  async fetchBlock(resultId: number): Promise<NativeBlock | null> {
    this.calls.push({ method: 'fetchBlock', args: [resultId] })
    await new Promise((r) => setImmediate(r))
    const r = this.results.get(resultId)
    if (r === undefined) throw new Error('ResultError: [0xFFFF] result is nil')
    const total = r.columns[0]!.values.length
    if (r.offset >= total) {
      this.results.delete(resultId) // the server frees an exhausted result itself
      return null
    }
    const end = Math.min(total, r.offset + this.blockRows)
    const block: NativeBlock = {
      rows: end - r.offset,
      columns: r.columns.map((c) => encodeColumn(c.field.type, c.values.slice(r.offset, end))),
    }
    r.offset = end
    return block
  }

  freeResult(resultId: number): void {
    this.calls.push({ method: 'freeResult', args: [resultId] })
    this.freed.push(resultId)
    this.results.delete(resultId)
  }

  /** Forgets every result, as a server that restarted would. */
  dropResults(): void {
    this.results.clear()
  }

  /** Results the server still holds. */
  get openResults(): number {
    return this.results.size
  }

  serverVersion(): string {
    return '3.3.7.5'
  }

  async close(): Promise<void> {
    this.closed = true
    this.results.clear()
  }
}

export class FakeNative implements NativeModule {
  readonly connections: FakeConnection[] = []
  readonly connectCalls: Array<{ dsn: string | null | undefined; options: NativeConnectOptions }> = []
  connectError: Error | undefined

  constructor(
    public answer: (sql: string) => FakeAnswer = () => ({ affectedRows: 0 }),
    public blockRows = 3,
  ) {}

  async connect(dsn: string | null | undefined, options: NativeConnectOptions): Promise<NativeConnection> {
    this.connectCalls.push({ dsn, options })
    if (this.connectError !== undefined) throw this.connectError
    const c = new FakeConnection((sql) => this.answer(sql), this.blockRows)
    this.connections.push(c)
    return c
  }

  async startTestServer(options: NativeTestServerOptions): Promise<NativeTestServer> {
    let closed = false
    return {
      host: options.host ?? '127.0.0.1',
      port: options.port || 40123,
      async close() {
        closed = true
        void closed
      },
    }
  }
}
