/**
 * Prepared statements: {@link Stmt2} (TDengine's stmt2, one bind message for many tables) and
 * {@link Stmt} (the older stmt v1 API). `bind.ts` turns JS values into columns; the Rust core
 * checks every table, placeholder, row and value, encodes the bind message in one pass, and
 * keeps each statement's state: it never executes a statement whose prepare failed or that has
 * nothing bound (sequences that crash taosAdapter 3.3.7.5).
 */
import { isTypedColumn, toBindColumn, toParamColumn, type BindTarget, type ColumnInput, type ColumnSink, type Place } from './bind.js'
import { writeInsertMessage, type InsertPlaceholders } from './bind-message.js'
import { BindPacker, ColumnObjects, recycle } from './bind-pack.js'
import { CallLimits, type AbortFactory, type CallOptions } from './call.js'
import { ProgrammingError, StatementError } from './errors.js'
import type { NativeAbort, NativeBindColumn, NativeResult, NativeStmt, NativeStmt2, NativeStmtField } from './native.js'
import type { TaosResult } from './result.js'
import type { ResultOptions } from './types.js'
import { forget, freeWhenUnreachable } from './unreachable.js'

/** Options of {@link Connection.statement2} (Python's `TaosStmt2Option`). */
export interface TaosStmt2Option {
  /** Request id of `stmt2_init` (u64). */
  reqId?: number | bigint
  /** Every bound table is a child table of one super table. Default true. */
  singleStbInsert?: boolean
  /** Each table is bound at most once per execution. Default false (bind a table as often as needed). */
  singleTableBindOnce?: boolean
}

/**
 * What a statement's placeholder is, as `prepare` reported it (and the core completed: DECIMAL
 * precision and scale, the declared length): `name`, `type` ({@link TypeId}), `typeName`
 * (`'VARCHAR(20)'`, `'DECIMAL(10,2)'`), `precision` (TIMESTAMP: 0 ms, 1 us, 2 ns; DECIMAL: digits),
 * `scale`, `bytes` (storage size, length prefix included), `length` (20 for VARCHAR(20)) and
 * `bindType` (`'tbname'`, `'tag'`, `'column'` or `'parameter'`).
 */
export type StmtField = NativeStmtField

/** One table's data for {@link Stmt2.bindParamWithTables}. */
export interface BindTableData {
  /** Child table name, for `insert into ? …`. */
  name?: string | null
  /** One value per tag placeholder, for `… using stb tags(?, …)`. */
  tags?: readonly unknown[] | null
  /** One array (or typed array) per column placeholder, all of the same length. */
  columns: readonly ColumnInput[]
}

/** A table's name, tags and columns (Python's `BindTable(name, tags)` + `add_col_data`). */
export class BindTable implements BindTableData {
  readonly columns: ColumnInput[] = []
  constructor(
    public name: string | null = null,
    public tags: unknown[] | null = null,
  ) {}

  /** Appends the values of the next column placeholder. */
  addColData(values: ColumnInput): this {
    this.columns.push(values)
    return this
  }
}

/** What a statement needs from its connection. @internal */
export interface StatementHost {
  readonly isClosed: boolean
  /** Wraps a statement's result; `onClose` runs when the result is closed or exhausted. */
  openResult<Row>(native: NativeResult, options: ResultOptions, onClose?: () => void, limits?: CallLimits): TaosResult<Row>
  readonly newAbort: AbortFactory
}

function tableLabel(name: unknown, index: number): string {
  return typeof name === 'string' && name !== '' ? `table ${name}` : `table #${index}`
}

/** A column for `field`, or a surplus entry when there is no such placeholder. */
function columnFor<T>(values: unknown, field: BindTarget | undefined, place: Place, sink: ColumnSink<T>): T {
  // An entry beyond the placeholders: the core refuses the count before it looks at values.
  if (field === undefined) return sink.column('u8', 0, 0, 0, -1, -1)
  return toBindColumn(values as ColumnInput, field, place, sink)
}

/** A prepared statement's tag and column placeholders, split once per `fields` (a statement binds many times). */
const placeholders = new WeakMap<readonly NativeStmtField[], InsertPlaceholders>()
function placeholdersOf(fields: readonly NativeStmtField[]): InsertPlaceholders {
  let split = placeholders.get(fields)
  if (split === undefined) {
    split = {
      tagFields: fields.filter((f) => f.bindType === 'tag'),
      colFields: fields.filter((f) => f.bindType === 'column'),
      named: fields.some((f) => f.bindType === 'tbname'),
    }
    placeholders.set(fields, split)
  }
  return split
}

/**
 * An insert's tables as one stmt2 bind: the message itself when every value is of a usual kind
 * (`bind-message.ts`), else packed for the core to convert (`bind-pack.ts`). Either way the
 * counts, names, row counts and lengths are the core's to check. @internal
 */
export function insertTables(fields: readonly NativeStmtField[], tables: readonly BindTableData[]): Uint8Array {
  const p = placeholdersOf(fields)
  return writeInsertMessage(p, tables) ?? packInsert(p, tables)
}

/**
 * Packs an insert's tables into one packed bind (`bind-pack.ts`): each table's name, one value
 * per tag and one column per column placeholder. @internal (exported for the specs that compare
 * both ways' bytes)
 */
export function packInsert({ tagFields, colFields }: InsertPlaceholders, tables: readonly BindTableData[]): Uint8Array {
  const packer = new BindPacker()
  for (let i = 0; i < tables.length; i++) {
    const t = tables[i]
    if (t === null || typeof t !== 'object') throw new StatementError(`table #${i}: expected { name, tags, columns }, got ${String(t)}`)
    const label = tableLabel(t.name, i)
    const name = t.name ?? undefined
    if (name !== undefined && typeof name !== 'string') throw new StatementError(`${label}: the table name must be a string, got ${typeof name}`)
    const tags = t.tags ?? []
    if (!Array.isArray(tags)) throw new StatementError(`${label}: tags must be an array (one value per tag placeholder)`)
    const columns = t.columns ?? []
    if (!Array.isArray(columns)) throw new StatementError(`${label}: columns must be an array (one array per column placeholder)`)
    packer.table(name, tags.length, columns.length)
    for (let k = 0; k < tags.length; k++) {
      columnFor([tags[k]], tagFields[k], { table: label, role: 'tag', name: tagFields[k]?.name ?? '' }, packer)
    }
    for (let k = 0; k < columns.length; k++) {
      columnFor(columns[k], colFields[k], { table: label, role: 'column', name: colFields[k]?.name ?? '' }, packer)
    }
  }
  return packer.finish()
}

/** A query's parameters, one value per `?`, each sent in its own type, as one packed bind. @internal */
export function queryParams(params: readonly unknown[]): Uint8Array {
  return packParams(params.map((v) => [v]))
}

/** Parameters given as one-value columns, packed. */
function packParams(columns: ReadonlyArray<readonly unknown[]>): Uint8Array {
  const packer = new BindPacker()
  packer.table(undefined, 0, columns.length)
  columns.forEach((c, i) => toParamColumn(c, { table: '', role: 'parameter', name: `#${i + 1}` }, packer))
  return packer.finish()
}

/**
 * Sends a packed bind. The addon reads it in place until the call resolves: only then does its
 * buffer go back to the packer (a bind that failed leaves it to the garbage collector: the core
 * may still be reading it). @internal
 */
export async function bindPacked(native: NativeStmt2, packed: Uint8Array, ms: number | null, abort: NativeAbort | null): Promise<void> {
  await native.bind(packed, ms, abort)
  recycle(packed)
}

/** Query parameters as stmt v1 columns. */
function paramColumns(params: readonly unknown[]): NativeBindColumn[] {
  const sink = new ColumnObjects()
  return params.map((v, i) => toParamColumn([v], { table: '', role: 'parameter', name: `#${i + 1}` }, sink))
}

/** Closes a statement that was garbage-collected unclosed (see unreachable.ts); holds only `native`. */
function closeUnreachable(native: NativeStmt2 | NativeStmt): () => void {
  return () => void native.close(null, null).catch(() => undefined)
}

/**
 * The `onClose` of a statement's result. It also runs when the result is collected
 * (unreachable.ts), so it holds the statement (which holds the result) only weakly, and is made
 * here, apart: a closure made inside a method would share that method's context, `this` included.
 */
function whenResultCloses(statement: Stmt2, token: object): () => void {
  const weak = new WeakRef(statement)
  return () => weak.deref()?.resultClosed(token)
}

/**
 * A stmt2 prepared statement (TDengine ≥ 3.3.5 / taosAdapter stmt2). Create with
 * {@link Connection.statement2}.
 *
 * ```ts
 * const stmt = await conn.statement2('insert into ? using meters tags (?, ?) values (?, ?, ?, ?)')
 * await stmt.bindParam(['d1001'], [[2, 'California.SanFrancisco']], [[[ts1, ts2], [10.3, 10.4], [219, 220], [0.31, 0.33]]])
 * const rows = await stmt.execute()
 * await stmt.close()
 * ```
 */
export class Stmt2 implements AsyncDisposable {
  private prepared: { isInsert: boolean; fields: NativeStmtField[] } | null = null
  private closed = false
  private openResult: TaosResult<unknown> | null = null
  private openResultToken: object | null = null

  /** @internal */
  constructor(
    private readonly native: NativeStmt2,
    private readonly host: StatementHost,
  ) {
    freeWhenUnreachable(this, closeUnreachable(native))
  }

  /** The placeholders of the prepared insert (empty for queries and before `prepare`). */
  get fields(): StmtField[] {
    return (this.prepared?.fields ?? []).map((f) => ({ ...f }))
  }

  /** Whether the prepared statement writes (`insert`); `null` before `prepare`. */
  get isInsert(): boolean | null {
    return this.prepared?.isInsert ?? null
  }

  /** Prepares `sql` with `?` placeholders. Throws `StatementError` when the server refuses it. */
  async prepare(sql: string, options: CallOptions = {}): Promise<void> {
    this.checkOpen()
    if (typeof sql !== 'string' || sql.trim() === '') throw new ProgrammingError('prepare(sql): sql must be a non-empty string')
    const limits = CallLimits.of(options)
    this.prepared = null
    const p = await limits.run(this.host.newAbort, (ms, abort) => this.native.prepare(sql, ms, abort))
    this.prepared = { isInsert: p.isInsert, fields: p.fields }
  }

  /**
   * Binds data as parallel arrays, one entry per table: `tbnames[i]`, `tags[i]` (one value per
   * tag placeholder) and `datas[i]` (one array per column placeholder). For a query, pass
   * `bindParam(null, null, [[[p1], [p2]]])` or use {@link Stmt2.bindParams}.
   */
  async bindParam(
    tbnames: ReadonlyArray<string | null | undefined> | null | undefined,
    tags: ReadonlyArray<readonly unknown[] | null | undefined> | null | undefined,
    datas: ReadonlyArray<readonly ColumnInput[]>,
    options: CallOptions = {},
  ): Promise<void> {
    const p = this.requirePrepared()
    const limits = CallLimits.of(options)
    if (!Array.isArray(datas)) throw new ProgrammingError('bindParam: datas must be an array with one entry per table')
    if (!p.isInsert) return this.bindQueryColumns(datas[0] ?? [], limits)
    const n = Math.max(datas.length, tbnames?.length ?? 0, tags?.length ?? 0)
    const tables: BindTableData[] = []
    for (let i = 0; i < n; i++) {
      tables.push({ name: tbnames?.[i] ?? null, tags: tags?.[i] ?? null, columns: datas[i] ?? [] })
    }
    await this.send(insertTables(p.fields, tables), limits)
  }

  /** Binds data organised by table ({@link BindTable} or `{ name, tags, columns }`). */
  async bindParamWithTables(tables: ReadonlyArray<BindTableData>, options: CallOptions = {}): Promise<void> {
    const p = this.requirePrepared()
    const limits = CallLimits.of(options)
    if (!Array.isArray(tables)) throw new ProgrammingError('bindParamWithTables: tables must be an array')
    if (!p.isInsert) return this.bindQueryColumns(tables[0]?.columns ?? [], limits)
    await this.send(insertTables(p.fields, tables), limits)
  }

  /** Binds the parameters of a query statement, one value per `?`. */
  async bindParams(params: readonly unknown[], options: CallOptions = {}): Promise<void> {
    const p = this.requirePrepared()
    const limits = CallLimits.of(options)
    if (p.isInsert) throw new ProgrammingError('bindParams is for query statements; use bindParam or bindParamWithTables for inserts')
    if (!Array.isArray(params)) throw new ProgrammingError('bindParams: params must be an array (one value per ?)')
    await this.send(queryParams(params), limits)
  }

  /**
   * Runs what was bound; resolves to the rows written (0 for queries). A `ProgrammingError` when
   * nothing was bound since `prepare` or the last `execute`.
   */
  async execute(options: CallOptions = {}): Promise<number> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    return limits.run(this.host.newAbort, (ms, abort) => this.native.exec(ms, abort))
  }

  /** The rows of an executed query statement; `timeoutMs` and `signal` also govern reading them. */
  async result<Row = unknown[]>(options: ResultOptions & CallOptions = {}): Promise<TaosResult<Row>> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    const native = await limits.run(this.host.newAbort, (ms, abort) => this.native.result(ms, abort), (late) => late.close())
    const token = {}
    const result = this.host.openResult<Row>(native, options, whenResultCloses(this, token), limits)
    result.keepReachable(this)
    this.openResult = result as TaosResult<unknown>
    this.openResultToken = token
    return result
  }

  /** The result opened with `token` was closed (or collected). @internal */
  resultClosed(token: object): void {
    if (this.openResultToken !== token) return
    this.openResult = null
    this.openResultToken = null
  }

  /** Closes the statement on the server (and its open result). Safe to call twice; settles within the connection's bounds. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    forget(this)
    await this.openResult?.close()
    // A closed connection took its statements with it.
    if (this.host.isClosed) return
    await CallLimits.NONE.run(this.host.newAbort, (ms, abort) => this.native.close(ms, abort))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** A query's parameters given as columns of one value each. */
  private async bindQueryColumns(columns: readonly ColumnInput[], limits: CallLimits): Promise<void> {
    if (!Array.isArray(columns)) throw new StatementError('a query statement takes its parameters as an array of one-value arrays')
    const params = columns.map((c: unknown, i: number) => {
      if (!Array.isArray(c) && !isTypedColumn(c)) throw new StatementError(`parameter #${i + 1}: expected a one-value array, got ${String(c)}`)
      return Array.from(c as ArrayLike<unknown>)
    })
    await this.send(packParams(params), limits)
  }

  private async send(packed: Uint8Array, limits: CallLimits): Promise<void> {
    await limits.run(this.host.newAbort, (ms, abort) => bindPacked(this.native, packed, ms, abort))
  }

  private checkOpen(): void {
    if (this.closed) throw new ProgrammingError('the statement is closed')
  }

  private requirePrepared(): { isInsert: boolean; fields: NativeStmtField[] } {
    this.checkOpen()
    if (this.prepared === null) throw new ProgrammingError('the statement is not prepared: call prepare(sql) first')
    return this.prepared
  }
}

/**
 * A stmt v1 prepared statement: `prepare`, then per table `setTbname`/`setTags`, `bindParam`
 * (columns) and `addBatch`, then `execute`. Create with {@link Connection.statement}.
 */
export class Stmt implements AsyncDisposable {
  private closed = false
  private isInsert: boolean | null = null
  /** For messages only: the table of the rows being bound. */
  private table = ''
  private affected = 0

  /** @internal */
  constructor(
    private readonly native: NativeStmt,
    private readonly host: StatementHost,
  ) {
    freeWhenUnreachable(this, closeUnreachable(native))
  }

  /** Rows written by the last {@link Stmt.execute}. */
  get affectedRows(): number {
    return this.affected
  }

  async prepare(sql: string, options: CallOptions = {}): Promise<void> {
    this.checkOpen()
    if (typeof sql !== 'string' || sql.trim() === '') throw new ProgrammingError('prepare(sql): sql must be a non-empty string')
    const limits = CallLimits.of(options)
    this.isInsert = null
    this.isInsert = await limits.run(this.host.newAbort, (ms, abort) => this.native.prepare(sql, ms, abort))
    this.table = ''
  }

  /** Sets the child table for the next rows (`insert into ? …`). */
  async setTbname(name: string, options: CallOptions = {}): Promise<void> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    if (typeof name !== 'string') throw new StatementError(`setTbname: the table name must be a string, got ${typeof name}`)
    await limits.run(this.host.newAbort, (ms, abort) => this.native.setTableName(name, ms, abort))
    this.table = name
  }

  /** Sets the tag values of the current table, one per tag placeholder. */
  async setTags(tags: readonly unknown[], options: CallOptions = {}): Promise<void> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    if (!Array.isArray(tags)) throw new StatementError('setTags: tags must be an array (one value per tag placeholder)')
    const fields = await limits.run(this.host.newAbort, (ms, abort) => this.native.tagFields(ms, abort))
    const table = this.table === '' ? '' : `table ${this.table}`
    const sink = new ColumnObjects()
    const columns = tags.map((v, i) => columnFor([v], fields[i], { table, role: 'tag', name: fields[i]?.name ?? '' }, sink))
    await limits.run(this.host.newAbort, (ms, abort) => this.native.setTags(columns, ms, abort))
  }

  /**
   * Binds rows: for an insert, one array (or typed array) per column placeholder, all of the
   * same length; for a query, one value per `?`.
   */
  async bindParam(params: readonly ColumnInput[] | readonly unknown[], options: CallOptions = {}): Promise<void> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    if (!Array.isArray(params)) throw new ProgrammingError('bindParam: expected an array')
    let columns: NativeBindColumn[]
    if (this.isInsert) {
      const fields = await limits.run(this.host.newAbort, (ms, abort) => this.native.colFields(ms, abort))
      const table = this.table === '' ? '' : `table ${this.table}`
      const sink = new ColumnObjects()
      columns = params.map((c, k) => columnFor(c, fields[k], { table, role: 'column', name: fields[k]?.name ?? '' }, sink))
    } else {
      columns = paramColumns(params)
    }
    await limits.run(this.host.newAbort, (ms, abort) => this.native.bind(columns, ms, abort))
  }

  /** Ends the rows of the current table (call before switching tables and before execute). */
  async addBatch(options: CallOptions = {}): Promise<void> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    await limits.run(this.host.newAbort, (ms, abort) => this.native.addBatch(ms, abort))
  }

  /**
   * Writes the batches (rows bound since the last `addBatch` included); resolves to (and
   * remembers in {@link Stmt.affectedRows}) the rows written.
   */
  async execute(options: CallOptions = {}): Promise<number> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    this.affected = await limits.run(this.host.newAbort, (ms, abort) => this.native.exec(ms, abort))
    return this.affected
  }

  /** The rows of an executed query statement; `timeoutMs` and `signal` also govern reading them. */
  async result<Row = unknown[]>(options: ResultOptions & CallOptions = {}): Promise<TaosResult<Row>> {
    this.requirePrepared()
    const limits = CallLimits.of(options)
    const native = await limits.run(this.host.newAbort, (ms, abort) => this.native.useResult(ms, abort), (late) => late.close())
    const result = this.host.openResult<Row>(native, options, undefined, limits)
    result.keepReachable(this)
    return result
  }

  /** Closes the statement on the server. Safe to call twice; settles within the connection's bounds. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    forget(this)
    if (this.host.isClosed) return
    await CallLimits.NONE.run(this.host.newAbort, (ms, abort) => this.native.close(ms, abort))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private checkOpen(): void {
    if (this.closed) throw new ProgrammingError('the statement is closed')
  }

  private requirePrepared(): void {
    this.checkOpen()
    if (this.isInsert === null) throw new ProgrammingError('the statement is not prepared: call prepare(sql) first')
  }
}
