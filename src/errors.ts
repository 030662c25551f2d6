/**
 * The error classes of taosjs: PEP-249's tree plus the classes of TDengine's Python connector.
 * Every error the library throws is an instance of {@link Error}; errors reported by TDengine carry
 * its numeric code in `errno`.
 *
 * ```
 * Error
 * ├── Warning
 * ├── InterfaceError
 * └── DatabaseError
 *     ├── DataError
 *     ├── OperationalError
 *     │   ├── ConnectionError
 *     │   ├── TimeoutError
 *     │   └── AbortError
 *     ├── IntegrityError
 *     ├── InternalError
 *     ├── ProgrammingError
 *     │   ├── QueryError
 *     │   └── StatementError
 *     ├── NotSupportedError
 *     ├── ResultError
 *     ├── SchemalessError
 *     └── TmqError
 * ```
 *
 * `Warning` is under `Error` (unlike PEP-249) so that one `instanceof Error` catches everything.
 *
 * @module
 */

const JsError = globalThis.Error

/** Base class of every error thrown by taosjs. */
export class Error extends JsError {
  /** TDengine's error code (low 16 bits, e.g. 9728 = 0x2600) when the server gave one. */
  readonly errno: number | undefined
  /** The class name, stable across versions (`'QueryError'`, …). */
  readonly code: string

  constructor(message: string, options?: { errno?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = new.target.name
    this.errno = options?.errno
  }
}

/** Important warnings (PEP-249). */
export class Warning extends Error {}
/** An error of the client library itself or of how it is used (PEP-249). */
export class InterfaceError extends Error {}
/** An error related to the database (PEP-249). */
export class DatabaseError extends Error {}
/** A problem with the processed data: value out of range, bad conversion (PEP-249). */
export class DataError extends DatabaseError {}
/** An error in the database's operation, not necessarily the caller's fault (PEP-249). */
export class OperationalError extends DatabaseError {}
/** Relational integrity is affected (PEP-249). */
export class IntegrityError extends DatabaseError {}
/** The database or the client library hit an internal error (a bug, a Rust panic). */
export class InternalError extends DatabaseError {}
/** A mistake in the program: bad SQL, missing table, wrong call order (PEP-249). */
export class ProgrammingError extends DatabaseError {}
/** The method or option is not supported by TDengine or by this version of taosjs. */
export class NotSupportedError extends DatabaseError {}
/** Connecting failed, or the connection was lost or closed. */
export class ConnectionError extends OperationalError {}
/**
 * A call got no answer within its `timeoutMs` (or the connection's `requestTimeoutMs`). What it
 * held on the server is freed; the connection stays usable.
 */
export class TimeoutError extends OperationalError {}
/** The call's `AbortSignal` fired. What it held on the server is freed; the connection stays usable. */
export class AbortError extends OperationalError {}
/** TDengine rejected an SQL statement. */
export class QueryError extends ProgrammingError {}
/** A prepared-statement (stmt/stmt2) operation failed. */
export class StatementError extends ProgrammingError {}
/** Reading a result failed. */
export class ResultError extends DatabaseError {}
/** A schemaless write failed. */
export class SchemalessError extends DatabaseError {}
/** A data-subscription (TMQ) operation failed. */
export class TmqError extends DatabaseError {}

const classesByName: Record<string, new (message: string, options?: { errno?: number; cause?: unknown }) => Error> = {
  Error,
  Warning,
  InterfaceError,
  DatabaseError,
  DataError,
  OperationalError,
  IntegrityError,
  InternalError,
  ProgrammingError,
  NotSupportedError,
  ConnectionError,
  TimeoutError,
  AbortError,
  QueryError,
  StatementError,
  ResultError,
  SchemalessError,
  TmqError,
}

/**
 * The native addon encodes an error's class and code in the message, because napi-rs async
 * functions can only reject with a fixed status: `"<Class>: [0x2600] text"` or `"<Class>: text"`.
 */
const NATIVE_MESSAGE = /^([A-Za-z]+Error|Warning): (?:\[0x([0-9A-Fa-f]{1,8})\] )?([\s\S]*)$/

/** What napi-rs reports when Rust code panicked inside a call. */
const PANIC_MESSAGE = /panic/i

/**
 * Converts anything the native addon threw into the matching taosjs error class. This is the
 * only place where native errors are interpreted. (Credentials never reach it: the Rust side
 * never puts them in an error.)
 *
 * @internal
 */
export function fromNative(err: unknown): Error {
  if (err instanceof Error) return err
  const message = err instanceof JsError ? err.message : String(err)
  const parsed = NATIVE_MESSAGE.exec(message)
  if (parsed !== null) {
    const [, className, hex, text] = parsed
    const Class = classesByName[className!]
    if (Class !== undefined) {
      const errno = hex === undefined ? undefined : parseInt(hex, 16)
      return new Class(errno === undefined ? text! : `[0x${hex!.toUpperCase()}] ${text}`, { errno })
    }
  }
  if (PANIC_MESSAGE.test(message)) {
    return new InternalError(`internal error in the native addon: ${message}`)
  }
  // napi-rs argument conversion failures (code 'StringExpected', 'InvalidArg', …) and JS
  // TypeErrors/RangeErrors are misuse of the API.
  const napiCode = (err as { code?: unknown } | null)?.code
  const badArgument = typeof napiCode === 'string' && (napiCode === 'InvalidArg' || napiCode.endsWith('Expected'))
  if (badArgument || err instanceof TypeError || err instanceof RangeError) {
    return new InterfaceError(message)
  }
  return new InternalError(message)
}

/**
 * Runs a native call and converts whatever it throws or rejects with.
 *
 * @internal
 */
export async function callNative<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw fromNative(err)
  }
}
