/**
 * Prepared statements: {@link Stmt2} (TDengine's stmt2, one bind message for many tables) and
 * {@link Stmt} (the older stmt v1 API). Values are converted and checked in `bind.ts` before
 * anything is sent; the Rust core encodes the bind message in one pass.
 */
import {
  columnLength,
  fieldTypeName,
  isTypedColumn,
  statementError,
  toBindColumn,
  toParamColumn,
  type ColumnInput,
  type Place,
} from './bind.js'
import { callNative, ProgrammingError, StatementError } from './errors.js'
import { TypeId, type NativeBindColumn, type NativeBindTable, type NativeQueryResult, type NativeStmt, type NativeStmt2, type NativeStmtField } from './native.js'
import type { TaosResult } from './result.js'
import type { ResultOptions } from './types.js'

/** Options of {@link Connection.statement2} (Python's `TaosStmt2Option`). */
export interface TaosStmt2Option {
  /** Request id of `stmt2_init` (u64). */
  reqId?: number | bigint
  /** Every bound table is a child table of one super table. Default true. */
  singleStbInsert?: boolean
  /** Each table is bound at most once per execution. Default false (bind a table as often as needed). */
  singleTableBindOnce?: boolean
}

/** What a statement's placeholder is, as `prepare` reported it. */
export interface StmtField {
  name: string
  /** Wire type id ({@link TypeId}). */
  type: number
  /** e.g. `'TIMESTAMP'`, `'VARCHAR(20)'`. */
  typeName: string
  /** TIMESTAMP: 0 ms, 1 us, 2 ns; DECIMAL: digits. */
  precision: number
  scale: number
  bytes: number
  /** What the `?` stands for. */
  bindType: 'column' | 'tag' | 'parameter' | 'tbname'
}

const BIND_TYPES = { 1: 'column', 2: 'tag', 3: 'parameter', 4: 'tbname' } as const

function toStmtField(f: NativeStmtField): StmtField {
  return {
    name: f.name,
    type: f.type,
    typeName: fieldTypeName(f),
    precision: f.precision,
    scale: f.scale,
    bytes: f.bytes,
    bindType: BIND_TYPES[f.bindType as 1 | 2 | 3 | 4] ?? 'column',
  }
}

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
  readonly secrets: ReadonlyArray<string | undefined>
  /** DECIMAL scales of a table's columns, from DESCRIBE (name → scale). */
  decimalScales(table: string): Promise<Map<string, number>>
  /** Wraps a statement's result; `onClose` runs when the result is closed or exhausted. */
  wrapResult<Row>(reply: NativeQueryResult, options: ResultOptions, onClose?: () => void): TaosResult<Row>
}

const label = (name: string | null | undefined, index: number): string => (name ? `table ${name}` : `table #${index}`)

/**
 * Converts tables for an insert statement, checking names, tag and column counts and column
 * lengths like the Rust encoder does, so mistakes surface here with a stack in the caller.
 * @internal
 */
export function insertTables(
  fields: readonly NativeStmtField[],
  tables: readonly BindTableData[],
  decimalScales?: ReadonlyMap<string, number>,
): NativeBindTable[] {
  const named = fields.some((f) => f.bindType === 4)
  const tagFields = fields.filter((f) => f.bindType === 2)
  const colFields = fields.filter((f) => f.bindType === 1)
  if (tables.length === 0) throw new StatementError('nothing to bind: no tables given')
  if (!named && tables.length !== 1) {
    throw new StatementError(`the statement names its table, so bind exactly one table (got ${tables.length})`)
  }
  return tables.map((t, i) => {
    if (t === null || typeof t !== 'object') throw new StatementError(`table #${i}: expected { name, tags, columns }, got ${String(t)}`)
    const where = label(t.name, i)
    const name = t.name ?? undefined
    if (named && (typeof name !== 'string' || name === '')) {
      throw new StatementError(`${where}: the statement takes a table name (\`insert into ? …\`) but none was given`)
    }
    if (!named && name !== undefined) {
      throw new StatementError(`${where}: the statement names its table itself; do not pass a table name`)
    }
    const tags = t.tags ?? []
    if (!Array.isArray(tags) || tags.length !== tagFields.length) {
      throw new StatementError(`${where}: the statement has ${tagFields.length} tag placeholders, ${Array.isArray(tags) ? tags.length : 'no array of'} tags were given`)
    }
    const columns = t.columns ?? []
    if (!Array.isArray(columns) || columns.length !== colFields.length) {
      throw new StatementError(
        `${where}: the statement has ${colFields.length} column placeholders, ${Array.isArray(columns) ? columns.length : 'no array of'} columns were given`,
      )
    }
    const rows = columns.length === 0 ? 0 : columnLength(columns[0]!)
    if (colFields.length > 0 && rows === 0) throw new StatementError(`${where}: no rows to bind`)
    const nativeColumns = colFields.map((f, c) => {
      const place: Place = { table: where, role: 'column', name: f.name }
      const values = columns[c]!
      if (!Array.isArray(values) && !isTypedColumn(values)) {
        throw statementError(place, fieldTypeName(f), 'values must be an array or a typed array')
      }
      if (values.length !== rows) {
        throw statementError(place, fieldTypeName(f), `has ${values.length} values, expected ${rows} (as many as column ${colFields[0]!.name})`)
      }
      const col = toBindColumn(values, f, place)
      const scale = decimalScales?.get(f.name)
      return scale === undefined ? col : { ...col, decimalScale: scale }
    })
    const nativeTags = tagFields.map((f, k) => toBindColumn([tags[k]], f, { table: where, role: 'tag', name: f.name }))
    const out: NativeBindTable = { tags: nativeTags, columns: nativeColumns }
    if (named) out.name = name!
    return out
  })
}

/** The table an insert writes to (`… using stb …`, or `insert into tb …`); undefined for `?`. */
export function insertTarget(sql: string): string | undefined {
  const using = /\busing\s+([\w.`]+)/i.exec(sql)
  const into = /^\s*insert\s+into\s+([\w.`]+)/i.exec(sql)
  return using?.[1] ?? into?.[1]
}

/** Query parameters: one value per `?`, each sent in its own type. @internal */
export function queryParams(count: number, params: readonly unknown[]): NativeBindTable {
  if (params.length !== count) {
    throw new StatementError(`the statement has ${count} parameters, ${params.length} were given`)
  }
  return { tags: [], columns: params.map((v, i) => toParamColumn(v, { table: '', role: 'parameter', name: `#${i + 1}` })) }
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
  private prepared: { isInsert: boolean; fields: NativeStmtField[]; count: number; scales?: Map<string, number> } | null = null
  private closed = false
  private bound = false
  private openResult: TaosResult<unknown> | null = null

  /** @internal */
  constructor(
    private readonly native: NativeStmt2,
    private readonly host: StatementHost,
  ) {}

  /** The placeholders of the prepared insert (empty for queries and before `prepare`). */
  get fields(): StmtField[] {
    return (this.prepared?.fields ?? []).map(toStmtField)
  }

  /** Whether the prepared statement writes (`insert`); `null` before `prepare`. */
  get isInsert(): boolean | null {
    return this.prepared?.isInsert ?? null
  }

  /** Prepares `sql` with `?` placeholders. Throws `StatementError` when the server refuses it. */
  async prepare(sql: string): Promise<void> {
    this.checkOpen()
    if (typeof sql !== 'string' || sql.trim() === '') throw new ProgrammingError('prepare(sql): sql must be a non-empty string')
    const p = await callNative(() => this.native.prepare(sql), this.host.secrets)
    this.prepared = { isInsert: p.isInsert, fields: p.fields, count: p.fieldsCount }
    this.bound = false
    // taosAdapter 3.3.7 describes DECIMAL placeholders without precision and scale; values can
    // only be scaled with the column's scale, so read it from the target table.
    const undescribed = p.fields.some((f) => (f.type === TypeId.Decimal || f.type === TypeId.Decimal64) && f.precision === 0)
    const table = undescribed ? insertTarget(sql) : undefined
    if (table !== undefined) this.prepared.scales = await this.host.decimalScales(table)
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
  ): Promise<void> {
    const p = this.requirePrepared()
    if (!Array.isArray(datas)) throw new ProgrammingError('bindParam: datas must be an array with one entry per table')
    if (!p.isInsert) {
      const columns: readonly ColumnInput[] = datas[0] ?? []
      return this.bindQuery(columns.map((c: ColumnInput, i: number) => {
        if (!(Array.isArray(c) || isTypedColumn(c)) || c.length !== 1) throw new StatementError(`parameter #${i + 1}: expected a one-value array, got ${String(c)}`)
        return c[0]
      }))
    }
    const n = Math.max(datas.length, tbnames?.length ?? 0, tags?.length ?? 0)
    const tables: BindTableData[] = []
    for (let i = 0; i < n; i++) {
      tables.push({ name: tbnames?.[i] ?? null, tags: tags?.[i] ?? null, columns: datas[i] ?? [] })
    }
    await this.send(insertTables(p.fields, tables, p.scales))
  }

  /** Binds data organised by table ({@link BindTable} or `{ name, tags, columns }`). */
  async bindParamWithTables(tables: ReadonlyArray<BindTableData>): Promise<void> {
    const p = this.requirePrepared()
    if (!Array.isArray(tables)) throw new ProgrammingError('bindParamWithTables: tables must be an array')
    if (!p.isInsert) {
      const columns = tables[0]?.columns ?? []
      return this.bindQuery(columns.map((c: ColumnInput) => (c as readonly unknown[])[0]))
    }
    await this.send(insertTables(p.fields, tables, p.scales))
  }

  /** Binds the parameters of a query statement, one value per `?`. */
  async bindParams(params: readonly unknown[]): Promise<void> {
    const p = this.requirePrepared()
    if (p.isInsert) throw new ProgrammingError('bindParams is for query statements; use bindParam or bindParamWithTables for inserts')
    await this.bindQuery(params)
  }

  /** Runs what was bound; resolves to the rows written (0 for queries). */
  async execute(): Promise<number> {
    const p = this.requirePrepared()
    // A query without placeholders needs no bind.
    if (!this.bound && (p.isInsert || p.count > 0)) throw new ProgrammingError('execute: nothing was bound since prepare/execute')
    const n = await callNative(() => this.native.exec(), this.host.secrets)
    this.bound = false
    return n
  }

  /** The rows of an executed query statement. */
  async result<Row = unknown[]>(options: ResultOptions = {}): Promise<TaosResult<Row>> {
    const p = this.requirePrepared()
    if (p.isInsert) throw new ProgrammingError('result: the statement is an insert; it has no result set')
    const reply = await callNative(() => this.native.result(), this.host.secrets)
    const result = this.host.wrapResult<Row>(reply, options, () => {
      if (this.openResult === result) this.openResult = null
    })
    this.openResult = result as TaosResult<unknown>
    return result
  }

  /** Closes the statement on the server (and its open result). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.openResult?.close()
    // A closed connection took its statements with it.
    if (this.host.isClosed) return
    await callNative(() => this.native.close(), this.host.secrets)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async bindQuery(params: readonly unknown[]): Promise<void> {
    const p = this.requirePrepared()
    await this.send([queryParams(p.count, params)])
  }

  private async send(tables: NativeBindTable[]): Promise<void> {
    await callNative(() => this.native.bind(tables), this.host.secrets)
    this.bound = true
  }

  private checkOpen(): void {
    if (this.closed) throw new ProgrammingError('the statement is closed')
  }

  private requirePrepared(): { isInsert: boolean; fields: NativeStmtField[]; count: number; scales?: Map<string, number> } {
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
  private tagFields: NativeStmtField[] | null = null
  private colFields: NativeStmtField[] | null = null
  private table = ''
  private sql = ''
  private scales: Map<string, number> | undefined
  private affected = 0
  private batches = 0
  private boundSinceBatch = false

  /** @internal */
  constructor(
    private readonly native: NativeStmt,
    private readonly host: StatementHost,
  ) {}

  /** Rows written by the last {@link Stmt.execute}. */
  get affectedRows(): number {
    return this.affected
  }

  async prepare(sql: string): Promise<void> {
    this.checkOpen()
    if (typeof sql !== 'string' || sql.trim() === '') throw new ProgrammingError('prepare(sql): sql must be a non-empty string')
    this.isInsert = await callNative(() => this.native.prepare(sql), this.host.secrets)
    this.tagFields = null
    this.colFields = null
    this.table = ''
    this.sql = sql
    this.scales = undefined
  }

  /** Sets the child table for the next rows (`insert into ? …`). */
  async setTbname(name: string): Promise<void> {
    this.requirePrepared()
    if (typeof name !== 'string' || name === '') throw new StatementError('setTbname: the table name must be a non-empty string')
    await callNative(() => this.native.setTableName(name), this.host.secrets)
    this.table = name
  }

  /** Sets the tag values of the current table, one per tag placeholder. */
  async setTags(tags: readonly unknown[]): Promise<void> {
    this.requirePrepared()
    const fields = await this.fieldsOf('tag')
    const where = this.table === '' ? '' : `table ${this.table}`
    if (!Array.isArray(tags) || tags.length !== fields.length) {
      throw new StatementError(`${where ? `${where}: ` : ''}the statement has ${fields.length} tag placeholders, ${Array.isArray(tags) ? tags.length : 'no array of'} tags were given`)
    }
    const columns = fields.map((f, i) => toBindColumn([tags[i]], f, { table: where, role: 'tag', name: f.name }))
    await callNative(() => this.native.setTags(columns), this.host.secrets)
  }

  /**
   * Binds rows: for an insert, one array (or typed array) per column placeholder, all of the
   * same length; for a query, one value per `?`.
   */
  async bindParam(params: readonly ColumnInput[] | readonly unknown[]): Promise<void> {
    this.requirePrepared()
    if (!Array.isArray(params)) throw new ProgrammingError('bindParam: expected an array')
    let columns: NativeBindColumn[]
    if (this.isInsert) {
      const fields = await this.fieldsOf('column')
      const where = this.table === '' ? '' : `table ${this.table}`
      if (params.length !== fields.length) {
        throw new StatementError(`${where ? `${where}: ` : ''}the statement has ${fields.length} column placeholders, ${params.length} columns were given`)
      }
      const rows = columnLength(params[0] as ColumnInput)
      columns = fields.map((f, c) => {
        const place: Place = { table: where, role: 'column', name: f.name }
        const values = params[c] as ColumnInput
        if (!Array.isArray(values) && !isTypedColumn(values)) throw statementError(place, fieldTypeName(f), 'values must be an array or a typed array')
        if (values.length !== rows) throw statementError(place, fieldTypeName(f), `has ${values.length} values, expected ${rows} (as many as column ${fields[0]!.name})`)
        const col = toBindColumn(values, f, place)
        const scale = this.scales?.get(f.name)
        return scale === undefined ? col : { ...col, decimalScale: scale }
      })
    } else {
      columns = params.map((v, i) => toParamColumn(v, { table: '', role: 'parameter', name: `#${i + 1}` }))
    }
    await callNative(() => this.native.bind(columns), this.host.secrets)
    this.boundSinceBatch = true
  }

  /** Ends the rows of the current table (call before switching tables and before execute). */
  async addBatch(): Promise<void> {
    this.requirePrepared()
    if (!this.boundSinceBatch) throw new ProgrammingError('addBatch: nothing was bound since the last batch')
    await callNative(() => this.native.addBatch(), this.host.secrets)
    this.batches++
    this.boundSinceBatch = false
  }

  /** Writes the batches; resolves to (and remembers in {@link Stmt.affectedRows}) the rows written. */
  async execute(): Promise<number> {
    this.requirePrepared()
    if (this.boundSinceBatch) await this.addBatch()
    if (this.batches === 0) throw new ProgrammingError('execute: nothing was bound')
    this.affected = await callNative(() => this.native.exec(), this.host.secrets)
    this.batches = 0
    return this.affected
  }

  /** The rows of an executed query statement. */
  async result<Row = unknown[]>(options: ResultOptions = {}): Promise<TaosResult<Row>> {
    this.requirePrepared()
    if (this.isInsert) throw new ProgrammingError('result: the statement is an insert; it has no result set')
    const reply = await callNative(() => this.native.useResult(), this.host.secrets)
    return this.host.wrapResult<Row>(reply, options)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.host.isClosed) return
    await callNative(() => this.native.close(), this.host.secrets)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async fieldsOf(kind: 'tag' | 'column'): Promise<NativeStmtField[]> {
    if (kind === 'tag') {
      this.tagFields ??= await callNative(() => this.native.tagFields(), this.host.secrets)
      return this.tagFields
    }
    if (this.colFields === null) {
      const fields = await callNative(() => this.native.colFields(), this.host.secrets)
      // As with stmt2: DECIMAL columns described without their scale get it from DESCRIBE.
      const undescribed = fields.some((f) => (f.type === TypeId.Decimal || f.type === TypeId.Decimal64) && f.precision === 0)
      const target = undescribed ? (insertTarget(this.sql) ?? (this.table || undefined)) : undefined
      if (target !== undefined) this.scales = await this.host.decimalScales(target)
      this.colFields = fields
    }
    return this.colFields
  }

  private checkOpen(): void {
    if (this.closed) throw new ProgrammingError('the statement is closed')
  }

  private requirePrepared(): void {
    this.checkOpen()
    if (this.isInsert === null) throw new ProgrammingError('the statement is not prepared: call prepare(sql) first')
  }
}
