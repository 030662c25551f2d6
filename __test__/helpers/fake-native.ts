/**
 * An in-memory stand-in for the native addon: results are given as columns, blocks are cut
 * `blockRows` at a time, and every call is recorded so specs can check what the facade asked for.
 */
import type {
  Abort,
  Ms,
  NativeAbort,
  NativeBindColumn,
  NativeBindKind,
  NativeSchemalessOptions,
  NativeStmt,
  NativeStmt2,
  NativeStmt2Prepared,
  NativeStmtField,
  NativeBlock,
  NativeColumn,
  NativeConnectOptions,
  NativeConnection,
  NativeEvent,
  NativeField,
  NativeModule,
  NativeRestColumn,
  NativeResult,
  PackedResult,
  NativeStmtField as StmtFieldShape,
  NativeTestServer,
  NativeTestServerOptions,
  NativeAssignment,
  NativeConfigEntry,
  NativeConsumer,
  NativeConsumerConfig,
  NativeMessage,
  NativePartition,
  NativeTopicOffset,
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

/** TDengine's type names by wire id, as the addon reports them. */
export const TYPE_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'BOOL', 2: 'TINYINT', 3: 'SMALLINT', 4: 'INT', 5: 'BIGINT', 6: 'FLOAT', 7: 'DOUBLE', 8: 'VARCHAR',
  9: 'TIMESTAMP', 10: 'NCHAR', 11: 'TINYINT UNSIGNED', 12: 'SMALLINT UNSIGNED', 13: 'INT UNSIGNED', 14: 'BIGINT UNSIGNED',
  15: 'JSON', 16: 'VARBINARY', 17: 'DECIMAL', 18: 'BLOB', 19: 'MEDIUMBLOB', 20: 'GEOMETRY', 21: 'DECIMAL',
}

export function field(name: string, type: number, bytes = 8, precision = 0, scale = 0): NativeField {
  const base = TYPE_NAMES[type] ?? `UNKNOWN(${type})`
  const typeName = type === 17 || type === 21 ? `${base}(${precision},${scale})` : base
  return { name, type, typeName, bytes, precision, scale }
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

const BIND_TYPES = { 1: 'column', 2: 'tag', 3: 'parameter', 4: 'tbname' } as const

/** A placeholder as the core would describe it (bindType 1 column, 2 tag, 4 table name). */
export function stmtField(name: string, type: number, bindType: 1 | 2 | 3 | 4 = 1, precision = 0, bytes = 8, scale = 0): StmtFieldShape {
  const base = TYPE_NAMES[type] ?? `UNKNOWN(${type})`
  const length = type === 10 ? Math.max(0, (bytes - 2) / 4) : [8, 16, 20, 15].includes(type) ? Math.max(0, bytes - 2) : bytes
  const typeName =
    type === 17 || type === 21 ? (precision > 0 ? `${base}(${precision},${scale})` : base) : [8, 10, 16, 20].includes(type) && bytes > 2 ? `${base}(${length})` : base
  return { name, type, typeName, precision, scale, bytes, length, bindType: BIND_TYPES[bindType] }
}

/** A result as the addon hands it out: described columns, blocks cut `blockRows` at a time. */
export class FakeResult implements PackedResult {
  closed = false
  private offset = 0
  private taken = false

  constructor(
    readonly id: number,
    private readonly conn: FakeConnection,
    private readonly columns: FakeColumn[],
    readonly affectedRows: number,
    private readonly precisionCode: number,
  ) {}

  get hasRows(): boolean {
    return this.columns.length > 0
  }

  get fields(): NativeField[] {
    return this.columns.map((c) => c.field)
  }

  /** Whether the server still holds it. */
  get open(): boolean {
    return this.conn.results.has(this.id)
  }

  /** The description (no block: the fake sends every block through `fetchBatch`). */
  take(): Buffer | null {
    if (this.taken) return null
    this.taken = true
    const info = { hasRows: this.hasRows, affectedRows: this.affectedRows, precision: this.precisionCode, fields: this.fields }
    return packBatch({ info, blocks: [], finished: !this.hasRows })
  }

  /** Calls of `fetchBatch` not answered yet, and the most there ever were at once. */
  inFlight = 0
  maxInFlight = 0

  /** One block per call, then the end. */
  async fetchBatch(): Promise<Buffer> {
    this.conn.calls.push({ method: 'fetchBatch', args: [this.id] })
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight)
    try {
      await new Promise((r) => setImmediate(r))
      return this.nextBatch()
    } finally {
      this.inFlight--
    }
  }

  private nextBatch(): Buffer {
    if (!this.hasRows) return packBatch({ blocks: [], finished: true })
    if (this.closed) throw new Error('ResultError: the result is closed')
    if (!this.conn.results.has(this.id)) throw new Error('ResultError: [0xFFFF] result is nil')
    const total = this.columns[0]!.values.length
    if (this.offset >= total) {
      this.conn.results.delete(this.id) // the server frees an exhausted result itself
      return packBatch({ blocks: [], finished: true })
    }
    const end = Math.min(total, this.offset + this.conn.blockRows)
    const block: NativeBlock = {
      rows: end - this.offset,
      columns: this.columns.map((c) => encodeColumn(c.field.type, c.values.slice(this.offset, end))),
    }
    this.offset = end
    return packBatch({ blocks: [block], finished: false })
  }

  close(): void {
    if (this.closed || !this.hasRows) return
    this.closed = true
    this.conn.calls.push({ method: 'freeResult', args: [this.id] })
    if (this.conn.results.delete(this.id)) this.conn.freed.push(this.id)
  }
}

const TYPED_KINDS = ['', 'Int8Array', 'Uint8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'Float32Array', 'Float64Array']

/**
 * Packs a batch as the addon does (crates/taosjs-napi/src/block.rs), written again from the
 * layout so that the facade's unpacker is checked against an independent writer.
 */
export function packBatch(batch: {
  info?: { hasRows: boolean; affectedRows: number; precision: number; fields: NativeField[] }
  blocks: NativeBlock[]
  finished: boolean
}): Buffer {
  const dir: number[] = [1, (batch.finished ? 1 : 0) | (batch.info ? 2 : 0), batch.blocks.length, 0]
  const parts: Uint8Array[] = []
  const offsets: number[] = []
  const placeholders: Array<{ at: number; part: number }> = []
  const add = (part: Uint8Array): number => {
    parts.push(part)
    return parts.length - 1
  }
  const ref = (part: number) => {
    placeholders.push({ at: dir.length, part })
    dir.push(0)
  }
  if (batch.info) {
    const i = batch.info
    let strings = ''
    const bounds: number[] = []
    for (const f of i.fields) {
      for (const t of [f.name, f.typeName]) {
        bounds.push(strings.length, strings.length + t.length)
        strings += t
      }
    }
    dir.push(i.affectedRows >>> 0, Math.floor(i.affectedRows / 4294967296), i.hasRows ? 1 : 0, i.precision, i.fields.length)
    ref(add(Buffer.from(strings, 'utf8')))
    dir.push(Buffer.byteLength(strings), 0)
    i.fields.forEach((f, k) => dir.push(f.type, f.bytes, f.precision, f.scale, ...bounds.slice(k * 4, k * 4 + 4)))
  }
  for (const b of batch.blocks) {
    dir.push(b.rows, b.columns.length)
    for (const c of b.columns) {
      const kind = c.offsets === undefined ? TYPED_KINDS.indexOf((c.data as Uint8Array)[Symbol.toStringTag]) : 11
      const validity = new Uint8Array((b.rows + 7) >> 3)
      c.nulls.forEach((n, r) => {
        if (n === 0) validity[r >> 3]! |= 1 << (r & 7)
      })
      dir.push(kind, c.nulls.reduce((a, n) => a + n, 0))
      ref(add(c.nulls))
      ref(add(validity))
      ref(add(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength)))
      dir.push(c.data.byteLength)
      if (c.offsets !== undefined) ref(add(new Uint8Array(c.offsets.buffer, c.offsets.byteOffset, c.offsets.byteLength)))
      else dir.push(0)
      dir.push(0, 0) // text 0: the facade decodes value by value (the fake's text is always UTF-8)
    }
  }
  dir[3] = dir.length
  let cursor = Math.ceil((dir.length * 4) / 8) * 8
  for (const p of parts) {
    offsets.push(cursor)
    cursor = Math.ceil((cursor + p.byteLength) / 8) * 8
  }
  for (const { at, part } of placeholders) dir[at] = offsets[part]!
  const out = Buffer.alloc(cursor)
  new Uint32Array(out.buffer, out.byteOffset, dir.length).set(dir)
  parts.forEach((p, k) => out.set(p, offsets[k]!))
  return out
}

class FakeAbort implements NativeAbort {
  aborted = false
  abort(): void {
    this.aborted = true
  }
}

/** One table of a stmt2 bind, as the fake reads it back out of the packed buffer. */
export interface NativeBindTable {
  name?: string
  tags: NativeBindColumn[]
  columns: NativeBindColumn[]
}

const PACKED_KINDS: NativeBindKind[] = ['bool', 'u8', 'i8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'f32', 'f64', 'ts', 'str', 'bytes']

/**
 * Reads a packed stmt2 bind (layout: crates/taosjs-core/src/packed.rs) back into tables of
 * columns, as the core reads it: the fake's way to see what the facade sent.
 */
export function unpackBind(packed: Uint8Array): NativeBindTable[] {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  let at = view.getUint32(packed.length - 4, true)
  const word = (): number => {
    const w = view.getUint32(at, true)
    at += 4
    return w
  }
  const bytes = (offset: number, length: number): Uint8Array => packed.slice(offset, offset + length)
  if (word() !== 0x0142_4a54) throw new Error('not a packed bind')
  const tables: NativeBindTable[] = []
  for (let t = word(); t > 0; t--) {
    const [nameAt, nameLen, tags, columns] = [word(), word(), word(), word()]
    const column = (): NativeBindColumn => {
      const kindType = word()
      const col: NativeBindColumn = { kind: PACKED_KINDS[kindType & 0xff]!, data: bytes(word(), word()) }
      if (kindType >> 8 !== 0) col.type = (kindType >> 8) - 1
      const [offsetsAt, offsetsCount, nullsAt, nullsLen] = [word(), word(), word(), word()]
      if (offsetsCount > 0) col.offsets = new Uint32Array(bytes(offsetsAt, 4 * offsetsCount).buffer)
      if (nullsLen !== 0xffff_ffff) col.nulls = bytes(nullsAt, nullsLen)
      return col
    }
    const table: NativeBindTable = { tags: Array.from({ length: tags }, column), columns: [] }
    table.columns = Array.from({ length: columns }, column)
    if (nameLen !== 0xffff_ffff) table.name = Buffer.from(bytes(nameAt, nameLen)).toString('utf8')
    tables.push(table)
  }
  return tables
}

/** The kind a wire type's values read back as. */
const WIRE_KINDS: Record<number, NativeBindKind> = {
  1: 'bool', 2: 'i8', 3: 'i16', 4: 'i32', 5: 'i64', 6: 'f32', 7: 'f64', 8: 'str', 9: 'ts', 10: 'str',
  11: 'u8', 12: 'u16', 13: 'u32', 14: 'u64', 15: 'str', 16: 'bytes', 18: 'bytes', 20: 'bytes',
}
const WIRE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 4, 7: 8, 9: 8, 11: 1, 12: 2, 13: 4, 14: 8 }

/** Whether the facade wrote a stmt2 message (its marker "TJS2BIND") rather than a packed bind. */
export function isMessage(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 8)).toString('latin1') === 'TJS2BIND'
}

/**
 * Reads an insert's stmt2 message (layout: crates/taosjs-core/src/stmt2_message.rs) back into
 * tables of columns of the wire's kinds: the fake's way to see what the facade sent that way.
 */
export function readMessage(m: Uint8Array): NativeBindTable[] {
  const view = new DataView(m.buffer, m.byteOffset, m.byteLength)
  const u32 = (at: number): number => view.getUint32(at, true)
  const P = 30
  const count = u32(P + 4)
  const tables: NativeBindTable[] = Array.from({ length: count }, () => ({ tags: [], columns: [] }))
  if (u32(P + 16) !== 0) {
    let at = P + u32(P + 16) + 2 * count
    tables.forEach((t, i) => {
      const len = view.getUint16(P + u32(P + 16) + 2 * i, true)
      t.name = Buffer.from(m.subarray(at, at + len - 1)).toString('utf8')
      at += len
    })
  }
  for (const [offset, per, key] of [[u32(P + 20), u32(P + 8), 'tags'], [u32(P + 24), u32(P + 12), 'columns']] as const) {
    if (offset === 0) continue
    let at = P + offset + 4 * count
    for (const t of tables) {
      for (let k = 0; k < per; k++) {
        const [total, type, num] = [u32(at), view.getInt32(at + 4, true), u32(at + 8)]
        const isNull = m.slice(at + 12, at + 12 + num)
        let p = at + 13 + num
        const col: NativeBindColumn = { kind: WIRE_KINDS[type]!, data: new Uint8Array(0) }
        if (m[at + 12 + num] === 1) {
          const offsets = new Uint32Array(num + 1)
          for (let i = 0; i < num; i++) offsets[i + 1] = offsets[i]! + u32(p + 4 * i)
          p += 4 * num
          col.data = m.slice(p + 4, p + 4 + u32(p))
          col.offsets = offsets
        } else {
          const length = u32(p)
          col.data = length === 0 ? new Uint8Array(num * WIRE_SIZES[type]!) : m.slice(p + 4, p + 4 + length)
        }
        if (isNull.some((x) => x !== 0)) col.nulls = isNull
        t[key].push(col)
        at += total
      }
    }
  }
  return tables
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
  private bound = false

  constructor(private readonly conn: FakeConnection) {}

  async prepare(sql: string): Promise<NativeStmt2Prepared> {
    this.calls.push(`prepare ${sql}`)
    this.prepared = null
    const p = this.conn.prepareAnswer(sql)
    if (p instanceof Error) throw p
    this.prepared = p
    return p
  }

  /** How each bind came: the stmt2 message itself, or packed for the core to convert. */
  readonly bindForms: Array<'message' | 'packed'> = []

  async bind(packed: Uint8Array): Promise<void> {
    const message = isMessage(packed)
    this.bindForms.push(message ? 'message' : 'packed')
    const tables = message ? readMessage(packed) : unpackBind(packed)
    this.calls.push('bind')
    if (this.closed) throw new Error('ProgrammingError: the statement is closed')
    const bad = this.conn.bindError?.(tables)
    if (bad !== undefined) throw bad
    this.binds.push(tables)
    this.bound = true
    for (const t of tables) this.rows += t.columns.length === 0 ? 0 : rowsOf(t.columns[0]!)
  }

  /** As the core: one exec per accepted bind. */
  async exec(): Promise<number> {
    this.calls.push('exec')
    if (!this.bound) throw new Error('ProgrammingError: cannot execute statement 1: nothing was bound since it was prepared or last executed')
    this.bound = false
    const n = this.prepared?.isInsert ? this.rows : 0
    this.rows = 0
    return n
  }

  async result(): Promise<NativeResult> {
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
  private batches = 0

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
    if (this.batch === 0) throw new Error('ProgrammingError: cannot add a batch to statement 1: nothing was bound since the last batch')
    this.rows += this.batch
    this.batch = 0
    this.batches++
  }
  /** As the core: a batch for rows bound since the last one, then exec; nothing bound is refused. */
  async exec(): Promise<number> {
    this.record('exec')
    if (this.batch > 0) {
      this.rows += this.batch
      this.batch = 0
      this.batches++
    }
    if (this.batches === 0) throw new Error('ProgrammingError: cannot execute statement 1: nothing was bound since it was prepared or last executed')
    this.batches = 0
    const n = this.isInsert ? this.rows : 0
    this.rows = 0
    return n
  }
  async tagFields(): Promise<NativeStmtField[]> {
    this.record('tagFields')
    return this.conn.v1Fields.filter((f) => f.bindType === 'tag')
  }
  async colFields(): Promise<NativeStmtField[]> {
    this.record('colFields')
    return this.conn.v1Fields.filter((f) => f.bindType === 'column')
  }
  async useResult(): Promise<NativeResult> {
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
  readonly aborts: FakeAbort[] = []
  closed = false
  /** The server went away (the session says so through `isClosed`). */
  gone = false
  private nextId = 1
  /** Results the server holds, by id. */
  readonly results = new Map<number, FakeResult>()
  /** Refuses a stmt2 bind (as the core's checks would) when it returns an error. */
  bindError: ((tables: NativeBindTable[]) => Error | undefined) | undefined

  constructor(
    private readonly answer: (sql: string) => FakeAnswer,
    readonly blockRows: number,
  ) {}

  get isClosed(): boolean {
    return this.closed || this.gone
  }

  /** The connection's listener for lifecycle events (tests call it to play the driver). */
  eventListener: ((event: NativeEvent) => void) | undefined

  onEvent(callback: (event: NativeEvent) => void): void {
    this.eventListener = callback
  }

  placeholders(sql: string): number {
    return sql.split('?').length - 1
  }

  newAbort(): NativeAbort {
    const a = new FakeAbort()
    this.aborts.push(a)
    return a
  }

  /** Statements opened on this connection, in order. */
  readonly stmt2s: FakeStmt2[] = []
  readonly stmts: FakeStmt[] = []
  readonly schemaless: Array<{ lines: string[]; options: NativeSchemalessOptions }> = []
  /** Answer to `prepare` (stmt2 and v1). */
  prepareAnswer: FakePrepare = () => ({ isInsert: false, fields: [], fieldsCount: 0 })
  /** Placeholders stmt v1 reports (bindType 2 tags, 1 columns). */
  v1Fields: NativeStmtField[] = []

  async stmt2Init(reqId: bigint | null, singleStbInsert: boolean, singleTableBindOnce: boolean, _timeoutMs?: number | null, _abort?: NativeAbort | null): Promise<NativeStmt2> {
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

  async restToken(): Promise<string> {
    this.calls.push({ method: 'restToken', args: [] })
    return 'fake-token'
  }

  async schemalessInsert(lines: string[], options: NativeSchemalessOptions): Promise<number> {
    this.schemaless.push({ lines, options })
    // As the core counts them: line and telnet lines are the `\n`-separated lines of all the strings.
    const sent = (options.protocol as number) === 3 ? lines : lines.flatMap((l) => l.split('\n'))
    const bad = sent.findIndex((l) => !/\s/.test(l))
    if (bad >= 0) throw new Error(`SchemalessError: [0x3000] SML invalid data (line ${bad + 1}: ${sent[bad]})`)
    return sent.length
  }

  /** Milliseconds every query takes. */
  queryDelayMs = 0

  async query(sql: string, reqId?: bigint | null, timeoutMs?: number | null, abort?: NativeAbort | null): Promise<NativeResult> {
    const limits = [...(timeoutMs == null ? [] : [`timeout ${timeoutMs}`]), ...(abort ? ['abort'] : [])]
    this.calls.push({ method: 'query', args: [sql, reqId, ...limits] })
    if (this.queryDelayMs > 0) await new Promise((r) => setTimeout(r, this.queryDelayMs))
    if (this.closed) throw new Error('ConnectionError: the connection is closed')
    const answer = this.answer(sql)
    if (answer instanceof Error) throw answer
    const columns = answer.columns ?? []
    const id = columns.length === 0 ? 0 : this.nextId++
    const result = new FakeResult(id, this, columns, columns.length === 0 ? (answer.affectedRows ?? 0) : 0, answer.precision ?? 0)
    if (id !== 0) this.results.set(id, result)
    if ((abort as FakeAbort | null | undefined)?.aborted) result.close() // as the session frees a cancelled call's result
    return result
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

  timezone(): string | null {
    return null
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

  restClient(url: string, options: NativeConnectOptions): NativeConnection {
    this.connectCalls.push({ dsn: url, options })
    if (this.connectError !== undefined) throw this.connectError
    const c = new FakeConnection((sql) => this.answer(sql), this.blockRows)
    this.connections.push(c)
    return c
  }

  restAffectedRowsColumn(): NativeRestColumn {
    return { name: 'affected_rows', typeName: 'INT', bytes: 4 }
  }

  readonly consumerConfigs: Array<{ entries: NativeConfigEntry[]; dsn: string | null }> = []
  readonly consumers: FakeConsumer[] = []

  consumerConfig(entries: NativeConfigEntry[], dsn: string | null): NativeConsumerConfig {
    this.consumerConfigs.push({ entries, dsn })
    const group = entries.find((e) => e.key === 'group.id')?.value
    if (group === undefined) throw new Error('TmqError: `group.id` is required (the consumer group to consume as)')
    return {
      groupId: group,
      connect: async () => {
        const c = new FakeConsumer()
        this.consumers.push(c)
        return c
      },
    }
  }

  async startTestServer(options: NativeTestServerOptions): Promise<NativeTestServer> {
    let listening = true
    let latency = 0
    return {
      host: options.host ?? '127.0.0.1',
      port: options.port || 40123,
      get listening() {
        return listening
      },
      get latency() {
        return latency
      },
      openResults: 0,
      setLatency(ms: number) {
        latency = ms
      },
      async restart() {},
      async stop() {
        listening = false
      },
      async start() {
        listening = true
      },
      async dropConnections() {},
      async close() {
        listening = false
      },
    }
  }
}

/** One block of a fake message: a table and its columns. */
export interface FakeMessageBlock {
  tableName?: string | null
  columns: FakeColumn[]
  precision?: number
}

/** A message as the addon hands it out, its blocks readable any number of times. */
export function fakeMessage(spec: {
  topic?: string
  database?: string
  vgroupId?: number
  offset?: bigint
  endOffset?: bigint | null
  type?: NativeMessage['type']
  meta?: string | null
  blocks?: FakeMessageBlock[]
}): NativeMessage {
  const blocks = spec.blocks ?? []
  return {
    topic: spec.topic ?? 't1',
    database: spec.database ?? 'db1',
    vgroupId: spec.vgroupId ?? 2,
    offset: spec.offset ?? 0n,
    endOffset: spec.endOffset ?? null,
    type: spec.type ?? 'data',
    meta: spec.meta ?? null,
    tableNames: blocks.map((b) => b.tableName ?? null),
    blockRows: blocks.map((b) => b.columns[0]?.values.length ?? 0),
    packedBlock(index: number): Uint8Array {
      const b = blocks[index]
      if (b === undefined) throw new Error(`TmqError: the message has no block ${index}`)
      // As the addon does: the one block with the description, finished.
      const rows = b.columns[0]?.values.length ?? 0
      const info = { hasRows: true, affectedRows: 0, precision: b.precision ?? 0, fields: b.columns.map((c) => c.field) }
      const block: NativeBlock = { rows, columns: b.columns.map((c) => encodeColumn(c.field.type, c.values)) }
      return packBatch({ info, blocks: [block], finished: true })
    },
  }
}

/**
 * Records what the facade asks of a consumer (`calls`: the arguments; `limits`: each call's
 * `timeoutMs` and whether it carried an abort handle); answers polls from `messages`.
 */
export class FakeConsumer implements NativeConsumer {
  readonly calls: FakeCall[] = []
  readonly limits: Array<{ method: string; timeoutMs: number | null; abort: boolean }> = []
  readonly messages: Array<NativeMessage | Error> = []
  /** How long a poll takes to answer. */
  pollDelayMs = 1
  isClosed = false

  private record(method: string, args: unknown[], timeoutMs?: Ms, abort?: Abort): void {
    this.calls.push({ method, args })
    this.limits.push({ method, timeoutMs: timeoutMs ?? null, abort: abort !== undefined && abort !== null })
  }

  async subscribe(topics: string[], timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('subscribe', [topics], timeoutMs, abort)
  }
  async unsubscribe(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('unsubscribe', [], timeoutMs, abort)
  }
  async poll(waitMs: number, timeoutMs?: Ms, abort?: Abort): Promise<NativeMessage | null> {
    this.record('poll', [waitMs], timeoutMs, abort)
    await new Promise((r) => setTimeout(r, this.pollDelayMs))
    if (this.isClosed) throw new Error('TmqError: the consumer is closed')
    const next = this.messages.shift()
    if (next instanceof Error) throw next
    return next ?? null
  }
  newAbort(): NativeAbort {
    return new FakeAbort()
  }
  async commit(timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('commit', [], timeoutMs, abort)
  }
  async commitMessage(message: NativeMessage, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('commitMessage', [message], timeoutMs, abort)
  }
  async commitOffsets(offsets: NativeTopicOffset[], timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('commitOffsets', [offsets], timeoutMs, abort)
  }
  async seek(topic: string, vgroupId: number, offset: bigint, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('seek', [topic, vgroupId, offset], timeoutMs, abort)
  }
  async seekToEdge(partitions: NativePartition[] | null, toEnd: boolean, timeoutMs?: Ms, abort?: Abort): Promise<void> {
    this.record('seekToEdge', [partitions, toEnd], timeoutMs, abort)
  }
  async assignment(topic: string | null, timeoutMs?: Ms, abort?: Abort): Promise<NativeAssignment[]> {
    this.record('assignment', [topic], timeoutMs, abort)
    return [{ topic: topic ?? 't1', vgroupId: 2, offset: 0n, begin: 0n, end: 9_007_199_254_740_993n }]
  }
  async committed(partitions: NativePartition[], timeoutMs?: Ms, abort?: Abort): Promise<Array<bigint | null>> {
    this.record('committed', [partitions], timeoutMs, abort)
    return partitions.map((_, i) => (i === 0 ? null : 4n))
  }
  async position(partitions: NativePartition[], timeoutMs?: Ms, abort?: Abort): Promise<Array<bigint | null>> {
    this.record('position', [partitions], timeoutMs, abort)
    return partitions.map(() => 4n)
  }
  async listTopics(timeoutMs?: Ms, abort?: Abort): Promise<string[]> {
    this.record('listTopics', [], timeoutMs, abort)
    return ['t1']
  }
  serverVersion(): string {
    return '3.3.7.5'
  }
  async close(): Promise<void> {
    this.calls.push({ method: 'close', args: [] })
    this.isClosed = true
  }
}
