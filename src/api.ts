/**
 * Everything taosjs exports except `connect`, which each entry point defines for its runtime:
 * `index.ts` (Node.js, Bun, Deno: the native addon, or the WebAssembly build when none loads) and
 * `browser.ts` (browsers: the WebAssembly build). Add new public exports here.
 *
 * @internal
 * @module
 */
export { Connection, type ConnectionEvents, type ConnectOptions, type ExecuteOptions, type QueryOptions, type ReconnectedEvent, type ReconnectingEvent } from './connection.js'
export { Cursor, type ColumnDescription, type CursorExecuteOptions } from './cursor.js'
export type { CallOptions } from './call.js'
export { BindTable, Stmt, Stmt2, type BindTableData, type StmtField, type TaosStmt2Option } from './statement.js'
export type { ColumnInput, TypedColumn } from './bind.js'
export { SmlPrecision, SmlProtocol, type SchemalessOptions } from './schemaless.js'
export {
  Consumer,
  Message,
  type ConsumerConfig,
  type ConsumerOptions,
  type MessageBlock,
  type MessagesOptions,
  type MessageType,
  type PartitionOffset,
  type PollOptions,
  type TopicAssignment,
  type TopicOffset,
  type TopicPartition,
} from './consumer.js'
export { createPool, Pool, PoolLease, type AcquireOptions, type EndOptions, type PoolEvents, type PoolOptions } from './pool.js'
export { RestClient, type RestClientOptions, type RestColumnMeta, type RestResponse, type RestSqlOptions } from './rest.js'
export { TaosResult, type ColumnBlock, type ResultColumn, type RowArray, type RowObject } from './result.js'
export type { ArrowRecordBatchLike, ArrowTableLike } from './arrow-types.js'
export { TypeId, type BigintAs, type Precision, type ResultOptions, type RowMode, type TaosField, type TimestampAs } from './types.js'
export {
  AbortError,
  ConnectionError,
  DatabaseError,
  DataError,
  Error,
  IntegrityError,
  InterfaceError,
  InternalError,
  NotSupportedError,
  OperationalError,
  ProgrammingError,
  QueryError,
  ResultError,
  SchemalessError,
  StatementError,
  TimeoutError,
  TmqError,
  Warning,
} from './errors.js'

/** PEP-249 module globals. */
export const apilevel = '2.0'
/** Threads may share the module and connections (PEP-249 level 2). */
export const threadsafety = 2
/** Parameter style of prepared statements (PEP-249). */
export const paramstyle = 'qmark'
