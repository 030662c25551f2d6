/**
 * The WebSocket of a JavaScript-driven connection on Node.js: the `ws` package (a dependency of
 * the WebAssembly package `taosjs-wasm32-wasi`). Node.js 20 has no global `WebSocket`; on later
 * versions `ws` is still preferred, because its socket can stop holding the process open while no
 * call is in flight (as the native addon's connections never hold it), it takes a private CA for
 * `wss://`, and binary frames arrive as Buffers without a copy. Without `ws`, the runtime's
 * standard `WebSocket` is used.
 *
 * @internal
 * @module
 */
import { X509Certificate } from 'node:crypto'
import { createRequire } from 'node:module'
import { ConnectionError, InterfaceError, ProgrammingError } from './errors.js'
import { runtimeName } from './runtime.js'
import { hasStandardWebSocket, openStandardSocket, type DriverSocket, type OpenSocket, type SocketHandlers, type SocketOptions } from './socket.js'

/** The parts of `ws`'s WebSocket used here. */
interface WsSocket {
  readonly readyState: number
  on(event: 'open', listener: () => void): this
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this
  on(event: 'error', listener: (err: Error) => void): this
  on(event: 'pong', listener: (data: Buffer) => void): this
  on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode?: number; statusMessage?: string }) => void): this
  send(data: string | Uint8Array): void
  ping(data: Uint8Array): void
  close(code?: number): void
  terminate(): void
  /** The TCP/TLS socket (ws's own field; present once open). */
  _socket?: { ref(): void; unref(): void } | null
}
type WsClass = new (url: string, options: Record<string, unknown>) => WsSocket

let wsClass: WsClass | null | undefined

/** `ws`, from the WebAssembly package (pnpm keeps it there) or from anywhere taosjs resolves it. */
function loadWs(): WsClass | null {
  if (wsClass !== undefined) return wsClass
  const require = createRequire(import.meta.url)
  const attempts: Array<() => unknown> = [
    () => createRequire(require.resolve('taosjs-wasm32-wasi/package.json'))('ws'),
    () => require('ws'),
  ]
  wsClass = null
  for (const attempt of attempts) {
    try {
      const ws = attempt() as { WebSocket?: WsClass } | WsClass
      wsClass = typeof ws === 'function' ? ws : (ws.WebSocket ?? null)
      if (wsClass) break
    } catch {
      // try the next place
    }
  }
  return wsClass
}

/** Opens a WebSocket on Node.js: `ws` when installed, else the standard one (Node.js ≥ 22). */
export const openNodeSocket: OpenSocket = Object.assign(openNode, { canPing: () => loadWs() !== null })

function openNode(url: string, options: SocketOptions, handlers: SocketHandlers): Promise<DriverSocket> {
  const Ws = loadWs()
  if (Ws === null) {
    if (hasStandardWebSocket()) return openStandardSocket(url, options, handlers)
    return Promise.reject(
      new InterfaceError(
        `taosjs runs as WebAssembly in ${runtimeName()}, which has no WebSocket of its own, and the package ws is not installed. Fix: \`npm install ws\` (taosjs-wasm32-wasi depends on it; reinstall that package)`,
      ),
    )
  }
  if (options.ca !== undefined) {
    try {
      new X509Certificate(options.ca)
    } catch (err) {
      return Promise.reject(new ProgrammingError(`TLS option ca is not valid PEM: ${err instanceof Error ? err.message : String(err)}`, { cause: err }))
    }
  }
  return new Promise((resolve, reject) => {
    // As the tokio driver: no message size limit (blocks of wide results are large), no compression.
    const ws = new Ws(url, {
      maxPayload: 0,
      perMessageDeflate: false,
      handshakeTimeout: options.timeoutMs,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      ...(options.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    })
    let open = false
    let failure: string | undefined
    ws.on('unexpected-response', (_req, res) => {
      failure = `HTTP ${res.statusCode ?? '?'} ${res.statusMessage ?? ''}`.trim()
      ws.terminate()
    })
    ws.on('error', (err) => {
      failure ??= err.message
    })
    ws.on('open', () => {
      open = true
      resolve({
        send: (frame) => ws.send(frame),
        ping: (data) => ws.ping(data),
        close: () => ws.close(1000),
        keepAlive: (keep) => (keep ? ws._socket?.ref() : ws._socket?.unref()),
      })
    })
    ws.on('pong', (data) => handlers.pong(data))
    ws.on('message', (data, isBinary) => {
      if (isBinary) handlers.binary(data)
      else handlers.text(data.toString('utf8'))
    })
    ws.on('close', (code, reason) => {
      if (open) handlers.closed(failure ?? (reason.length > 0 ? `code ${code}: ${reason.toString()}` : `code ${code}`))
      else reject(new ConnectionError(failure === 'Opening handshake has timed out' ? `no answer within ${options.timeoutMs} ms` : (failure ?? `closed before it opened (code ${code})`)))
    })
  })
}
