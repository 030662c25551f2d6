/**
 * Schemaless writes: the line formats and timestamp units of {@link Connection.schemalessInsert}
 * (the same words as the native addon's, checked at compile time).
 */
import type * as Generated from '../index.js'
import type { SameWords } from './native.js'

/** Line format of schemaless data. */
export enum SmlProtocol {
  /** InfluxDB line protocol. */
  LINE = 1,
  /** OpenTSDB telnet lines. */
  TELNET = 2,
  /** OpenTSDB JSON. */
  JSON = 3,
}

/** Timestamp unit of schemaless data. */
export enum SmlPrecision {
  /** Line protocol: nanoseconds; telnet/JSON: inferred from the digit count. */
  NOT_CONFIGURED = '',
  HOURS = 'h',
  MINUTES = 'm',
  SECONDS = 's',
  MILLI_SECONDS = 'ms',
  MICRO_SECONDS = 'u',
  NANO_SECONDS = 'ns',
}

/** Options of {@link Connection.schemalessInsert}. */
export interface SchemalessOptions {
  /** Days to keep tables the write creates (0 = forever). */
  ttl?: number
  /** Request id (u64). */
  reqId?: number | bigint
  /** Tag whose value names the child table. */
  tableNameKey?: string
}

/** Compiles only while the enums carry the addon's words. @internal */
export const SCHEMALESS_WORDS_MATCH_THE_ADDON: [
  SameWords<`${SmlProtocol}`, `${Generated.SmlProtocol}`>,
  SameWords<`${SmlPrecision}`, `${Generated.SmlPrecision}`>,
] = [true, true]
