/**
 * taosjs: a TDengine client for Node.js over taosAdapter's WebSocket or REST API, or TDengine's
 * own client library.
 *
 * ```ts
 * import { connect } from 'taosjs'
 * await using conn = await connect('ws://root:taosdata@localhost:6041/power') // or http://…
 * const result = await conn.query('select ts, current from meters limit 10')
 * for await (const [ts, current] of result) console.log(ts, current)
 * ```
 *
 * @module
 */
import { openConnection, type ConnectOptions, type Connection } from './connection.js'
import { loadNative } from './load-native.js'
import { setNativeLoader } from './native-loader.js'

setNativeLoader(loadNative)

/**
 * Opens a connection: WebSocket, REST or the native client library, chosen by the DSN's scheme.
 *
 * @param dsn - WebSocket: `ws://user:pass@host:6041/db?param=…` (also `wss://`, `taosws://`,
 *   several endpoints `ws://h1:6041,h2:6042/db`). REST: `http://user:pass@host:6041/db` (also
 *   `https://`), SQL only — see {@link Connection}. Native: `taos://user:pass@host:6030/db` (TDengine's
 *   client library, loaded at run time). When absent, `TDENGINE_DSN` is used if set,
 *   otherwise `ws://root:taosdata@localhost:6041`. May be left out: `connect({ host, port, … })`.
 * @param options - settings that override the DSN's, and default result options.
 * @throws ConnectionError when the server cannot be reached or refuses the credentials.
 * @throws NotSupportedError for a scheme taosjs does not speak.
 */
export async function connect(dsn?: string | null, options?: ConnectOptions): Promise<Connection>
export async function connect(options: ConnectOptions): Promise<Connection>
export async function connect(dsnOrOptions?: string | null | ConnectOptions, options?: ConnectOptions): Promise<Connection> {
  if (dsnOrOptions !== null && typeof dsnOrOptions === 'object') {
    return openConnection(loadNative(), undefined, dsnOrOptions)
  }
  return openConnection(loadNative(), dsnOrOptions ?? undefined, options)
}

export * from './api.js'
export { tmqConnect } from './consumer.js'
