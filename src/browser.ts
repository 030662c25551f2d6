/**
 * taosjs in browsers: `taosjs/browser`, also what `taosjs` resolves to under a bundler's
 * `browser` condition. The same API as in Node.js; the Rust core runs as WebAssembly (the package
 * `taosjs-wasm32-wasi`), and the page's `WebSocket` talks to taosAdapter. No Node.js built-ins.
 *
 * ```ts
 * import { connect } from 'taosjs/browser'
 * const conn = await connect('ws://root:taosdata@localhost:6041/power')
 * const result = await conn.query('select ts, current from meters limit 10')
 * for await (const [ts, current] of result) console.log(ts, current)
 * ```
 *
 * The WebAssembly build shares its memory between threads, so the page must be cross-origin
 * isolated: served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp` (or `credentialless`).
 *
 * @module
 */
import { openConnection, type ConnectOptions, type Connection } from './connection.js'
import { InterfaceError } from './errors.js'
import type { NativeModule } from './native.js'
import { runtimeName } from './runtime.js'
import { Consumer, type ConsumerConfig, type ConsumerOptions } from './consumer.js'
import { setNativeLoader } from './native-loader.js'
import type { RowArray } from './result.js'
import { sessionDriven, type SessionBinding } from './session-driver.js'
import { openStandardSocket } from './socket.js'

let loading: Promise<NativeModule> | undefined
/** The module once loaded: what `new Consumer()` and `new RestClient()` use. */
let loaded: NativeModule | undefined

setNativeLoader(
  () => {
    if (loaded === undefined) {
      throw new InterfaceError(
        'taosjs/browser loads its WebAssembly build asynchronously: `await ready()` (or any `await connect()` / `await tmqConnect()`) before `new Consumer()` or `new RestClient()`',
      )
    }
    return loaded
  },
  () => loadWasm(),
)

/**
 * Loads the WebAssembly build (a fetch and a compile; once). `connect()` and `tmqConnect()` do it
 * themselves; `new Consumer()` and `new RestClient()` need it done.
 *
 * @throws InterfaceError when the page is not cross-origin isolated or the package is missing.
 */
export async function ready(): Promise<void> {
  await loadWasm()
}

/** Loads the WebAssembly build once (a fetch and a compile), on the first `connect`. */
function loadWasm(): Promise<NativeModule> {
  loading ??= (async () => {
    const page = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; document?: unknown }
    if (typeof page.SharedArrayBuffer !== 'function' || page.crossOriginIsolated === false) {
      throw new InterfaceError(
        `taosjs cannot start its WebAssembly build in ${runtimeName()}: it needs SharedArrayBuffer, which ${page.document === undefined ? 'this context' : 'this page'} does not have because it is not cross-origin isolated. ` +
          'Fix: serve the page with the headers "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (or "credentialless")',
      )
    }
    let binding: SessionBinding
    try {
      binding = (await import('taosjs-wasm32-wasi')) as unknown as SessionBinding
    } catch (err) {
      throw new InterfaceError(
        `taosjs cannot load its WebAssembly build (the package taosjs-wasm32-wasi) in ${runtimeName()}: ${err instanceof Error ? err.message : String(err)}. ` +
          'Fix: install it (`npm install taosjs-wasm32-wasi`) and let the bundler serve its .wasm file; without a bundler, map it in an import map',
        { cause: err },
      )
    }
    loaded = sessionDriven(binding, openStandardSocket)
    return loaded
  })()
  // A failed load may succeed later (a network error): do not keep the failure.
  loading.catch(() => (loading = undefined))
  return loading
}

/**
 * Opens a WebSocket connection to taosAdapter.
 *
 * @param dsn - `ws://user:pass@host:6041/db?param=…` (also `wss://`, several endpoints). When
 *   absent, `ws://root:taosdata@localhost:6041`. May be left out: `connect({ host, port, … })`.
 * @param options - settings that override the DSN's, and default result options.
 * @throws InterfaceError when the WebAssembly build cannot start (a page that is not
 *   cross-origin isolated); ConnectionError when the server cannot be reached (mixed content,
 *   Content-Security-Policy, nothing listening) or refuses the credentials.
 */
export async function connect(dsn?: string | null, options?: ConnectOptions): Promise<Connection>
export async function connect(options: ConnectOptions): Promise<Connection>
export async function connect(dsnOrOptions?: string | null | ConnectOptions, options?: ConnectOptions): Promise<Connection> {
  const native = await loadWasm()
  if (dsnOrOptions !== null && typeof dsnOrOptions === 'object') return openConnection(native, undefined, dsnOrOptions)
  return openConnection(native, dsnOrOptions ?? undefined, options)
}

/**
 * Creates a TMQ consumer and connects it (`/rest/tmq` over the page's WebSocket), loading the
 * WebAssembly build first. See `Consumer` for the arguments.
 */
export async function tmqConnect<Row = RowArray>(config: ConsumerConfig, dsn?: string | null, options: ConsumerOptions = {}): Promise<Consumer<Row>> {
  await loadWasm()
  return new Consumer<Row>(config, dsn, options).connect()
}

export * from './api.js'
