/**
 * The WebSocket of a JavaScript-driven connection: the runtime's standard `WebSocket` (browsers,
 * Deno, Bun, Node.js ≥ 22), or the `ws` package on Node.js (`node-socket.ts`). The driver only
 * sends and receives frames through it; this module opens it and, when the runtime refuses or
 * fails, says why and what to do.
 *
 * @internal
 * @module
 */
import { ConnectionError, NotSupportedError } from './errors.js'
import { runtimeName } from './runtime.js'

/** What the driver needs of an open WebSocket. */
export interface DriverSocket {
  send(frame: string | Uint8Array): void
  /** Sends a WebSocket ping (only sockets whose opener says `canPing()`); `pong` reports the answer. */
  ping?(data: Uint8Array): void
  /** Starts the close handshake; `closed` follows. */
  close(): void
  /** Whether the socket keeps the process alive (Node.js's `ws`; a no-op elsewhere). */
  keepAlive(keep: boolean): void
}

/** Where an open socket reports what arrives. */
export interface SocketHandlers {
  text(data: string): void
  binary(data: Uint8Array): void
  /** The answer to a ping arrived. */
  pong(data: Uint8Array): void
  /** The socket is gone, closed by either side or broken. Called once. */
  closed(reason: string): void
}

export interface SocketOptions {
  /** How long opening may take. */
  timeoutMs: number
  /** PEM CA to trust for `wss://` (only a socket that can use one accepts it; so for the rest). */
  ca?: string
  /** PEM client certificate chain and its key. */
  cert?: string
  key?: string
  /** `false` accepts any server certificate. */
  rejectUnauthorized?: boolean
}

/**
 * Opens one WebSocket. Rejects with an error whose message says what failed, for one endpoint
 * (the driver joins the endpoints' messages); a {@link NotSupportedError} when it can never work.
 */
export interface OpenSocket {
  (url: string, options: SocketOptions, handlers: SocketHandlers): Promise<DriverSocket>
  /**
   * Whether the sockets it opens can send WebSocket pings. The standard `WebSocket` cannot: the
   * session's keepalive then probes with taosAdapter's `version` request instead.
   */
  canPing(): boolean
}

/** The parts of the standard `WebSocket` API used here. */
interface StandardWebSocket {
  binaryType: string
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  send(data: string | ArrayBufferView): void
  close(code?: number, reason?: string): void
}
type StandardWebSocketClass = new (url: string) => StandardWebSocket

interface PageContext {
  location?: { protocol?: string; href?: string }
  document?: { addEventListener(type: string, listener: (event: CspViolation) => void): void; removeEventListener(type: string, listener: (event: CspViolation) => void): void }
}
interface CspViolation {
  blockedURI?: string
  violatedDirective?: string
  effectiveDirective?: string
}

/** Whether the runtime has the standard `WebSocket`. */
export function hasStandardWebSocket(): boolean {
  return typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function'
}

/** Opens the runtime's standard `WebSocket` (browsers, Deno, Bun, Node.js ≥ 22). */
export const openStandardSocket: OpenSocket = Object.assign(openStandard, { canPing: () => false })

function openStandard(url: string, options: SocketOptions, handlers: SocketHandlers): Promise<DriverSocket> {
  const runtime = runtimeName()
  const WebSocketClass = (globalThis as { WebSocket?: StandardWebSocketClass }).WebSocket
  if (typeof WebSocketClass !== 'function') {
    return Promise.reject(new NotSupportedError(`${runtime} has no WebSocket, which taosjs needs to reach taosAdapter`))
  }
  const unusable = tlsOptionsUnusable(options)
  if (unusable !== undefined) {
    return Promise.reject(new NotSupportedError(`the option ${unusable} cannot be used in ${runtime}: ${TLS_WHY[unusable]}`))
  }
  const page = globalThis as PageContext
  return new Promise((resolve, reject) => {
    let violation: CspViolation | undefined
    // Chromium reports a WebSocket blocked by Content-Security-Policy only with this event (the
    // socket then neither opens nor closes): give up at once, naming the policy.
    const onViolation = (event: CspViolation): void => {
      if (!blocks(event, url)) return
      violation = event
      if (settled) return
      settled = true
      clearTimeout(timer)
      page.document?.removeEventListener('securitypolicyviolation', onViolation)
      reject(cspError(url, `directive ${event.effectiveDirective ?? event.violatedDirective ?? 'connect-src'}`))
      ws?.close()
    }
    page.document?.addEventListener('securitypolicyviolation', onViolation)
    let ws: StandardWebSocket | undefined
    let open = false
    let settled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      ws = new WebSocketClass(url)
    } catch (err) {
      page.document?.removeEventListener('securitypolicyviolation', onViolation)
      reject(refused(url, err, page))
      return
    }
    const socket = ws
    socket.binaryType = 'arraybuffer'
    timer = setTimeout(() => {
      settled = true
      page.document?.removeEventListener('securitypolicyviolation', onViolation)
      reject(new ConnectionError(`no answer within ${options.timeoutMs} ms`))
      socket.close()
    }, options.timeoutMs)
    socket.onopen = () => {
      if (settled) return
      settled = open = true
      clearTimeout(timer)
      page.document?.removeEventListener('securitypolicyviolation', onViolation)
      resolve({
        send: (frame) => socket.send(frame),
        close: () => socket.close(1000),
        keepAlive: () => undefined,
      })
    }
    socket.onerror = () => undefined // the close event that follows carries what is known
    socket.onclose = (event) => {
      if (open) {
        handlers.closed(event.reason ? `code ${event.code}: ${event.reason}` : `code ${event.code}`)
        return
      }
      if (settled) return
      settled = true
      clearTimeout(timer)
      page.document?.removeEventListener('securitypolicyviolation', onViolation)
      reject(failedToOpen(url, event, violation, page))
    }
    socket.onmessage = (event) => {
      const data = event.data
      if (typeof data === 'string') handlers.text(data)
      else if (data instanceof ArrayBuffer) handlers.binary(new Uint8Array(data))
      else if (ArrayBuffer.isView(data)) handlers.binary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
    }
  })
}

/** What the standard `WebSocket` cannot do with each TLS option, and the fix. */
const TLS_WHY = {
  ca: 'its WebSocket trusts only the certificates the browser or system trusts. Fix: add the private CA to the trust store of the browser or system, and leave ca out',
  cert: 'its WebSocket cannot present a client certificate chosen by the page. Fix: install the client certificate in the browser or system (it offers it when the server asks), and leave cert and key out',
  key: 'its WebSocket cannot present a client certificate chosen by the page. Fix: install the client certificate in the browser or system (it offers it when the server asks), and leave cert and key out',
  rejectUnauthorized: 'its WebSocket always checks the server certificate. Fix: give the server a certificate the browser or system trusts',
} as const

/** The first TLS option the standard `WebSocket` cannot honour, if any. */
function tlsOptionsUnusable(options: SocketOptions): keyof typeof TLS_WHY | undefined {
  if (options.ca !== undefined) return 'ca'
  if (options.cert !== undefined) return 'cert'
  if (options.key !== undefined) return 'key'
  if (options.rejectUnauthorized === false) return 'rejectUnauthorized'
  return undefined
}

/** Whether a reported violation is about this socket's URL (`blockedURI` is its origin, or all of it). */
function blocks(event: CspViolation, url: string): boolean {
  const blocked = event.blockedURI
  return blocked === undefined || blocked === '' || url.startsWith(blocked) || blocked.startsWith(url.replace(/\/ws$/, ''))
}

/** The page is https:// and the URL ws://: the browser refuses unencrypted sockets there. */
function mixedContent(url: string, page: PageContext): boolean {
  return page.location?.protocol === 'https:' && url.startsWith('ws:')
}

const MIXED_CONTENT_FIX =
  'Fix: connect with wss:// (taosAdapter with TLS, or behind a TLS proxy), or serve the page over http://'

/** The `WebSocket` constructor refused the URL (mixed content, Content-Security-Policy, a bad URL). */
function refused(url: string, err: unknown, page: PageContext): Error {
  const message = err instanceof Error ? err.message : String(err)
  if (mixedContent(url, page)) {
    return new ConnectionError(
      `the browser refused ${url} from the https:// page ${page.location?.href ?? ''}: a secure page may not open an unencrypted WebSocket (mixed content; "${message}"). ${MIXED_CONTENT_FIX}`,
      { cause: err },
    )
  }
  if (/content security policy/i.test(message)) return cspError(url, message, err)
  return new ConnectionError(`the browser refused to open ${url}: ${message}`, { cause: err })
}

function cspError(url: string, what: string, cause?: unknown): ConnectionError {
  const origin = url.replace(/^(wss?:\/\/[^/]+).*$/, '$1')
  return new ConnectionError(
    `the page's Content-Security-Policy blocks the WebSocket to ${url} (${what}). Fix: allow it in the policy's connect-src directive, e.g. "connect-src 'self' ${origin}"`,
    { cause },
  )
}

/** The socket closed before it opened. Browsers hide the reason from pages; say what it can be. */
function failedToOpen(url: string, event: { code: number; reason: string }, violation: CspViolation | undefined, page: PageContext): Error {
  if (violation !== undefined) {
    return cspError(url, `directive ${violation.effectiveDirective ?? violation.violatedDirective ?? 'connect-src'}`)
  }
  if (mixedContent(url, page)) {
    return new ConnectionError(`the browser blocked ${url} from the https:// page (mixed content). ${MIXED_CONTENT_FIX}`)
  }
  if (event.reason) return new ConnectionError(`closed before it opened (code ${event.code}: ${event.reason})`)
  if (page.document !== undefined) {
    return new ConnectionError(
      `the browser could not open the WebSocket and gives pages no reason (code ${event.code}): taosAdapter is not running or not reachable at that address, ` +
        'or the browser, an extension or a proxy blocked the connection (the browser console names it)',
    )
  }
  return new ConnectionError(`the WebSocket could not be opened (code ${event.code})`)
}
