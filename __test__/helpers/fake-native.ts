/**
 * An in-memory stand-in for the native addon: results are given as columns, blocks are cut
 * `blockRows` at a time, and every call is recorded so specs can check what the facade asked for.
 */
import type {
  NativeBindColumn,
  NativeBindTable,
  NativeSchemalessOptions,
  NativeStmt,
  NativeStmt2,
  NativeStmt2Prepared,
  NativeStmtField,
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

/** A placeholder as the server would describe it (bindType 1 column, 2 tag, 4 table name). */
export function stmtField(name: string, type: number, bindType = 1, precision = 0, bytes = 8, scale = 0): NativeStmtField {
  return { name, type, precision, scale, bytes, bindType }
}

/** How the fake server answers `prepare`: placeholders for inserts, a `?` count for queries. */
export type FakePrepare = (sql: string) => NativeStmt2Prepared | Error

/** Records what the facade sends to a statement; answers like a server would. */
export class FakeStmt2 implements NativeStmt2 {
  readonly binds: NativeBindTable[][] = []
  readonly calls: string[] = []
  closed = false
  private prepared: NativeStmt2Prepared | null = null
  private rows = 0

  constructor(private readonly conn: FakeConnection) {}

  async prepare(sql: string): Promise<NativeStmt2Prepared> {
    this.calls.push(`prepare ${sql}`)
    const p = this.conn.prepareAnswer(sql)
    if (p instanceof Error) throw p
    this.prepared = p
    return p
  }

  async bind(tables: NativeBindTable[]): Promise<void> {
    this.calls.push('bind')
    if (this.closed) throw new Error('ProgrammingError: the statement is closed')
    this.binds.push(tables)
    for (const t of tables) this.rows += t.columns.length === 0 ? 0 : rowsOf(t.columns[0]!)
  }

  async exec(): Promise<number> {
    this.calls.push('exec')
    const n = this.prepared?.isInsert ? this.rows : 0
    this.rows = 0
    return n
  }

  async result(): Promise<NativeQueryResult> {
    this.calls.push('result')
    return this.conn.query(`stmt2 result ${this.calls[0] ?? ''}`)
  }

  async close(): Promise<void> {
    this.calls.push('close')
    this.closed = true
  }
}

/** Rows in a bind column, from its bytes and kind. */
export function rowsOf(c: NativeBindColumn): number {
  if (c.offsets !== undefined) return c.offsets.length - 1
  const width: Record<string, number> = { bool: 1, i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, f32: 4, i64: 8, u64: 8, f64: 8, ts: 8 }
  return c.data.byteLength / width[c.kind]!
}

/** Decodes a bind column back to JS values (null for NULL), for assertions. */
export function bindValues(c: NativeBindColumn): unknown[] {
  const n = rowsOf(c)
  const out: unknown[] = []
  const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength)
  for (let i = 0; i < n; i++) {
    if (c.nulls?.[i]) {
      out.push(null)
      continue
    }
    switch (c.kind) {
      case 'bool': out.push(view.getUint8(i) !== 0); break
      case 'i8': out.push(view.getInt8(i)); break
      case 'u8': out.push(view.getUint8(i)); break
      case 'i16': out.push(view.getInt16(2 * i, true)); break
      case 'u16': out.push(view.getUint16(2 * i, true)); break
      case 'i32': out.push(view.getInt32(4 * i, true)); break
      case 'u32': out.push(view.getUint32(4 * i, true)); break
      case 'f32': out.push(view.getFloat32(4 * i, true)); break
      case 'f64': out.push(view.getFloat64(8 * i, true)); break
      case 'i64': case 'ts': out.push(view.getBigInt64(8 * i, true)); break
      case 'u64': out.push(view.getBigUint64(8 * i, true)); break
      case 'str': out.push(Buffer.from(c.data.subarray(c.offsets![i]!, c.offsets![i + 1]!)).toString('utf8')); break
      case 'bytes': out.push(Buffer.from(c.data.subarray(c.offsets![i]!, c.offsets![i + 1]!))); break
    }
  }
  return out
}

export class FakeStmt implements NativeStmt {
  readonly calls: Array<{ method: string; args: unknown[] }> = []
  closed = false
  private isInsert = false
  private rows = 0
  private batch = 0

  constructor(private readonly conn: FakeConnection) {}

  private record(method: string, ...args: unknown[]): void {
    if (this.closed) throw new Error('ProgrammingError: the statement is closed')
    this.calls.push({ method, args })
  }

  async prepare(sql: string): Promise<boolean> {
    this.record('prepare', sql)
    const p = this.conn.prepareAnswer(sql)
    if (p instanceof Error) throw p
    this.isInsert = p.isInsert
    return p.isInsert
  }
  async setTableName(name: string): Promise<void> {
    this.record('setTableName', name)
  }
  async setTags(tags: NativeBindColumn[]): Promise<void> {
    this.record('setTags', tags)
  }
  async bind(columns: NativeBindColumn[]): Promise<void> {
    this.record('bind', columns)
    this.batch += columns.length === 0 ? 0 : rowsOf(columns[0]!)
  }
  async addBatch(): Promise<void> {
    this.record('addBatch')
    this.rows += this.batch
    this.batch = 0
  }
  async exec(): Promise<number> {
    this.record('exec')
    const n = this.isInsert ? this.rows : 0
    this.rows = 0
    return n
  }
  async tagFields(): Promise<NativeStmtField[]> {
    this.record('tagFields')
    return this.conn.v1Fields.filter((f) => f.bindType === 2)
  }
  async colFields(): Promise<NativeStmtField[]> {
    this.record('colFields')
    return this.conn.v1Fields.filter((f) => f.bindType === 1)
  }
  async useResult(): Promise<NativeQueryResult> {
    this.record('useResult')
    return this.conn.query('stmt result')
  }
  async close(): Promise<void> {
    this.calls.push({ method: 'close', args: [] })
    this.closed = true
  }
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

  /** Statements opened on this connection, in order. */
  readonly stmt2s: FakeStmt2[] = []
  readonly stmts: FakeStmt[] = []
  readonly schemaless: Array<{ lines: string[]; options: NativeSchemalessOptions }> = []
  /** Answer to `prepare` (stmt2 and v1). */
  prepareAnswer: FakePrepare = () => ({ isInsert: false, fields: [], fieldsCount: 0 })
  /** Placeholders stmt v1 reports (bindType 2 tags, 1 columns). */
  v1Fields: NativeStmtField[] = []

  async stmt2Init(reqId: bigint | null, singleStbInsert: boolean, singleTableBindOnce: boolean): Promise<NativeStmt2> {
    this.calls.push({ method: 'stmt2Init', args: [reqId, singleStbInsert, singleTableBindOnce] })
    const s = new FakeStmt2(this)
    this.stmt2s.push(s)
    return s
  }

  async stmtInit(): Promise<NativeStmt> {
    this.calls.push({ method: 'stmtInit', args: [] })
    const s = new FakeStmt(this)
    this.stmts.push(s)
    return s
  }

  async schemalessInsert(lines: string[], options: NativeSchemalessOptions): Promise<number> {
    this.schemaless.push({ lines, options })
    const bad = lines.findIndex((l) => !/\s/.test(l))
    if (bad >= 0) throw new Error(`SchemalessError: [0x3000] SML invalid data (line ${bad + 1}: ${lines[bad]})`)
    return lines.length
  }

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
