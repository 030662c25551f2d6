/**
 * What every call that talks to the server accepts: a timeout and an `AbortSignal`. Deadlines
 * are kept by the Rust session (each request it sends gets `timeoutMs`, or the connection's
 * `requestTimeoutMs`); an abort rejects the call at once here and cancels it there, which frees
 * whatever it held or still produces on the server.
 */
import { AbortError, callNative, ProgrammingError } from './errors.js'
import type { NativeAbort } from './native.js'

/** Options of every call that talks to the server. */
export interface CallOptions {
  /**
   * How long each request the call sends may wait for its answer, in ms (an integer ≥ 1);
   * default: the connection's `requestTimeoutMs`. Past it the call rejects with a
   * `TimeoutError` and what the request held on the server (a result, a statement) is freed.
   */
  timeoutMs?: number
  /**
   * Gives up on the call: it rejects with an `AbortError` at once (before anything is sent when
   * the signal is already aborted), and what it held on the server is freed.
   */
  signal?: AbortSignal
}

/** The largest millisecond count the native layer takes (u32). */
export const MAX_MS = 0xffff_ffff

/** Checks a millisecond option: an integer in `min..MAX_MS`; the error names the option. */
export function checkMs(name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_MS) {
    const shown = typeof value === 'number' ? String(value) : `${typeof value} ${JSON.stringify(value) ?? String(value)}`
    throw new ProgrammingError(`option ${name} must be an integer between ${min} and ${MAX_MS} (milliseconds), got ${shown}`)
  }
  return value
}

/** Checks a `signal` option. */
export function checkSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined
  if (!(value instanceof AbortSignal)) {
    throw new ProgrammingError(`option signal must be an AbortSignal (e.g. AbortSignal.timeout(ms) or an AbortController's signal), got ${value === null ? 'null' : typeof value}`)
  }
  return value
}

/** The error of an aborted call. */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError('the call was aborted', { cause: signal.reason })
}

/** Makes native abort handles (the connection's `newAbort`). @internal */
export type AbortFactory = () => NativeAbort

/**
 * The limits of one call, checked once, applied to each native request it makes.
 *
 * @internal
 */
export class CallLimits {
  static readonly NONE = new CallLimits(undefined, undefined)

  private constructor(
    /** Per request; `undefined` = the connection's default. */
    readonly timeoutMs: number | undefined,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Checks `options` (a ProgrammingError names a bad one) and that the signal is not aborted. */
  static of(options: CallOptions | undefined): CallLimits {
    if (options === undefined || options === null) return CallLimits.NONE
    if (typeof options !== 'object') throw new ProgrammingError(`call options must be an object, got ${typeof options}`)
    const timeoutMs = options.timeoutMs === undefined ? undefined : checkMs('timeoutMs', options.timeoutMs)
    const signal = checkSignal(options.signal)
    if (timeoutMs === undefined && signal === undefined) return CallLimits.NONE
    const limits = new CallLimits(timeoutMs, signal)
    limits.throwIfAborted()
    return limits
  }

  /** These limits, with `other`'s where it sets them. */
  or(other: CallLimits): CallLimits {
    if (other === CallLimits.NONE) return this
    if (this === CallLimits.NONE) return other
    return new CallLimits(other.timeoutMs ?? this.timeoutMs, other.signal ?? this.signal)
  }

  throwIfAborted(): void {
    if (this.signal?.aborted) throw abortError(this.signal)
  }

  /**
   * Runs one native request: `timeoutMs` goes to the session; with a signal the request gets an
   * abort handle, the call rejects with an `AbortError` as soon as it fires, and `late` receives
   * what still arrives (to close it).
   */
  run<T>(newAbort: AbortFactory, request: (timeoutMs: number | null, abort: NativeAbort | null) => Promise<T> | T, late?: (value: T) => void): Promise<T> {
    const signal = this.signal
    const timeoutMs = this.timeoutMs ?? null
    if (signal === undefined) return callNative(() => request(timeoutMs, null))
    if (signal.aborted) return Promise.reject(abortError(signal))
    const abort = newAbort()
    return unlessAborted(
      callNative(() => request(timeoutMs, abort)),
      signal,
      abort,
      late,
    )
  }
}

/**
 * `pending`, unless `signal` fires first: then the call rejects at once, `abort` (if any) cancels
 * it natively, and `late` receives what still arrives.
 *
 * @internal
 */
export function unlessAborted<T>(pending: Promise<T>, signal: AbortSignal, abort: NativeAbort | null, late?: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(abortError(signal))
      abort?.abort()
      pending.then(
        (value) => late?.(value),
        () => undefined,
      )
    }
    signal.addEventListener('abort', onAbort, { once: true })
    pending.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
