/**
 * Every integration spec runs against its own embedded test server (taosjs/testing), or against
 * a real TDengine when `TDENGINE_DSN` is set.
 */
import type { ExecutionContext, TestFn } from 'ava'
import { connect, type Connection, type ConnectOptions } from '../../src/index.js'
import { loadedBuild } from '../../src/load-native.js'
import { TestProxy, TestServer } from '../../src/testing.js'

export interface ServerContext {
  dsn: string
  server: TestServer | undefined
}

/** Registers before/after hooks that start and stop a server; returns a getter for its DSN. */
export function useServer(test: TestFn): () => ServerContext {
  const ctx: ServerContext = { dsn: '', server: undefined }
  test.serial.before(async () => {
    // The WebAssembly rerun (npm test's ava-wasm) must not pass on the native addon by accident.
    if (process.env['NAPI_RS_FORCE_WASI'] === '1' && loadedBuild() !== 'wasm32-wasi') {
      throw new Error(`NAPI_RS_FORCE_WASI=1, but the ${loadedBuild()} build was loaded`)
    }
    const external = process.env['TDENGINE_DSN']
    if (external !== undefined && external !== '') {
      ctx.dsn = external
    } else {
      ctx.server = await TestServer.start()
      ctx.dsn = ctx.server.dsn
    }
  })
  test.after.always(async () => {
    await ctx.server?.close()
    // The embedded server forgets everything when it closes; a real TDengine keeps what the
    // specs made, so drop the databases this process named.
    if (ctx.server === undefined && ctx.dsn !== '') await dropNamedDatabases(ctx.dsn)
  })
  return () => ctx
}

/** Every name `dbName` gave out in this process (databases, and topics or groups named alike). */
const namesGivenOut = new Set<string>()

async function dropNamedDatabases(dsn: string): Promise<void> {
  if (namesGivenOut.size === 0) return
  const where = dsn.replace(/\/\/[^@/]*@/, '//')
  const conn = await connect(dsn).catch((err: unknown) => {
    // Cleaning up is not what the specs test: say what stays behind rather than fail them.
    console.warn(`could not connect to ${where} to drop ${[...namesGivenOut].join(', ')}: ${String(err)}`)
  })
  if (conn === undefined) return
  try {
    // A topic on a database keeps it from being dropped: its topics go first.
    const names = [...namesGivenOut].map((name) => `'${name}'`).join(', ')
    const topics = await conn.query(`select topic_name from information_schema.ins_topics where db_name in (${names})`)
    const drop = (what: string) =>
      conn.execute(`drop ${what}`).catch((err: unknown) => {
        console.warn(`could not drop ${what} on ${where}: ${String(err)}`)
      })
    for (const [topic] of await topics.toArray()) await drop(`topic if exists ${String(topic)}`)
    for (const name of namesGivenOut) await drop(`database if exists ${name}`)
    namesGivenOut.clear()
  } finally {
    await conn.close()
  }
}

/** Opens a connection that is closed when the test ends. */
export async function open(t: ExecutionContext, dsn: string, options?: ConnectOptions): Promise<Connection> {
  const conn = await connect(dsn, options)
  t.teardown(() => conn.close())
  return conn
}

/** The same server over REST: `ws://…` → `http://…`, `wss://…` → `https://…`. */
export function restDsn(dsn: string): string {
  return dsn.replace(/^(taos)?ws(s?):\/\//i, (_m, _taos, tls: string) => `http${tls}://`)
}

/**
 * A database name unique to one test. `TAOSJS_TEST_DB_PREFIX` goes in front (on a shared real
 * TDengine, so one developer's databases, topics and groups are told apart from another's).
 */
export function dbName(prefix: string): string {
  const name = `${process.env.TAOSJS_TEST_DB_PREFIX ?? ''}${prefix}_${process.pid}_${Math.floor(Math.random() * 1e9)}`
  namesGivenOut.add(name)
  return name
}

/**
 * A connection through a proxy of its own to `server`, with reconnecting off unless `options`
 * say otherwise; the proxy heals, then both close, when the test ends.
 */
export async function proxied(t: ExecutionContext, server: TestServer, options: ConnectOptions = {}): Promise<{ proxy: TestProxy; conn: Connection }> {
  const proxy = await TestProxy.start({ target: server })
  const conn = await connect(proxy.dsn, { retries: 0, ...options })
  t.teardown(async () => {
    proxy.heal()
    await conn.close()
    await proxy.close()
  })
  return { proxy, conn }
}
