#!/usr/bin/env node
// The browser test: taosjs/browser in headless Chromium against the embedded server.
//
// A page served by this script (with the COOP/COEP headers the WebAssembly build needs) imports the
// browser build (dist/browser.mjs; the WebAssembly package through an import map, as a page without
// a bundler does), connects to a TestServer started here, and reads a table with every type and a
// row of NULLs in ms, us and ns precision, over WebSocket and over REST (fetch, across origins: the
// server answers CORS as taosAdapter does), runs queries through a pool (createPool), and consumes a topic with a TMQ consumer. The values the page read are compared with what the native
// addon reads from the same table in Node.js, and the page is saved as a screenshot
// (target/browser-test.png). Then the bad inputs: a page that is not cross-origin isolated, a
// WebSocket blocked by the page's Content-Security-Policy, and ws:// from an https:// page; each error
// must name the cause and the fix. Then what the session decides and the page's driver carries out,
// through a TestProxy: a call's timeoutMs (TimeoutError), an AbortSignal (AbortError), the connection
// usable after both, a dropped connection reconnecting, and keepalive — a browser's WebSocket cannot ping, so the session probes with
// taosAdapter's `version` request — declaring a silent server dead. Also measured: the time to the
// first query's rows (fetch and compile of the module included). Ends with `N passed, N failed`.
//
//   node scripts/test-browser.mjs [--keep]
//
// Needs `npm run build` (dist/) and `npm run build:wasm` (npm/wasm32-wasi/). Chromium: Debian's
// (/usr/bin/chromium, or CHROMIUM_PATH); installed with apt when absent (as root). Driven by
// playwright-core (a devDependency; it downloads no browser).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(fileURLToPath(import.meta.url), '..', '..')
const keep = process.argv.includes('--keep')
const results = { passed: 0, failed: 0 }
function check(name, ok, detail = '') {
  results[ok ? 'passed' : 'failed']++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`)
}
function finish() {
  console.log(`${results.passed} passed, ${results.failed} failed`)
  process.exit(results.failed > 0 ? 1 : 0)
}

/** Debian's Chromium, installed with apt when it is missing (CI machines start without it). */
function chromiumPath() {
  const given = process.env.CHROMIUM_PATH
  if (given) return given
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium'
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) {
    throw new Error('no Chromium: install Debian\'s chromium (apt-get install chromium) or set CHROMIUM_PATH')
  }
  const started = Date.now()
  console.log('installing Debian\'s chromium with apt-get (not on this machine yet)')
  for (const argv of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', argv, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (r.status !== 0) throw new Error(`apt-get ${argv.join(' ')} failed`)
  }
  console.log(`installed chromium in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return '/usr/bin/chromium'
}

const TYPES = `${root}/dist/browser.mjs`
for (const [file, fix] of [
  [TYPES, 'npm run build:ts'],
  [join(root, 'npm', 'wasm32-wasi', 'taosjs.browser.js'), 'npm run build:wasm'],
  [join(root, 'npm', 'wasm32-wasi', 'taosjs.wasm32-wasi.wasm'), 'npm run build:wasm'],
]) {
  if (!existsSync(file)) {
    check('the browser build is there', false, `${file} is missing: run \`${fix}\``)
    finish()
  }
}

const { chromium } = await import('playwright-core')
const { connect } = await import(join(root, 'dist', 'index.mjs'))
const { TestProxy, TestServer } = await import(join(root, 'dist', 'testing.mjs'))

// ---------------------------------------------------------------------------------------------
// The table: every type and a row of NULLs, in each precision (as __test__/types.spec.ts).
const COLUMNS = [
  'ts timestamp', 'c_bool bool', 'c_i8 tinyint', 'c_i16 smallint', 'c_i32 int', 'c_i64 bigint',
  'c_u8 tinyint unsigned', 'c_u16 smallint unsigned', 'c_u32 int unsigned', 'c_u64 bigint unsigned',
  'c_f32 float', 'c_f64 double', 'c_vc varchar(32)', 'c_nc nchar(16)', 'c_vb varbinary(32)',
  'c_geo geometry(64)', 'c_d64 decimal(10,2)', 'c_d128 decimal(30,10)', 'c_blob blob',
].join(', ')
const VALUES = [
  'true', '-128', '-32768', '-2147483648', '-9223372036854775807', '255', '65535', '4294967295',
  '18446744073709551614', '3.14', '-1.5e300', "'hello'", "'温度°C😀'", "'\\x010203'", "'POINT(1 2)'",
  '-12.34', '123456789.0123456789', "'\\x00ff'",
].join(', ')
const NULLS = Array.from({ length: 18 }, () => 'null').join(', ')
const BASE = { ms: 1700000000123n, us: 1700000000123456n, ns: 1700000000123456789n }
const QUERIES = Object.keys(BASE).map((p) => `select * from browser_${p}.t order by ts`)

/** Values as JSON can carry them, the same way in Node.js and in the page. */
const PLAIN = `(v) => v === null ? null : typeof v === 'bigint' ? 'bigint:' + v : v instanceof Date ? 'date:' + v.toISOString() : v instanceof Uint8Array ? 'bytes:' + Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('') : typeof v === 'number' ? 'number:' + String(v) : v`

// ---------------------------------------------------------------------------------------------
const work = mkdtempSync(join(tmpdir(), 'taosjs-browser-'))
const server = await TestServer.start()
const url = new URL(server.dsn.replace(/^ws/, 'http'))
const dsn = `ws://root:taosdata@127.0.0.1:${url.port}`

/** The page: the browser build, an import map for the WebAssembly package, and `window.taosTest`. */
function page(title) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>
<script type="importmap">{"imports":{"taosjs-wasm32-wasi":"/wasm/taosjs.browser.js"}}</script>
<style>body{font:13px system-ui,sans-serif;margin:16px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}caption{font-weight:bold;text-align:left;padding:6px 0}</style>
</head><body><h3>taosjs/browser — ${title}</h3><div id="out">loading…</div>
<script type="module">
const plain = ${PLAIN}
window.taosTest = {
  async run(dsn, queries) {
    const started = performance.now()
    const taos = await import('/dist/browser.mjs')
    const conn = await taos.connect(dsn, { timestampAs: 'bigint' })
    const tables = []
    let firstRows
    try {
      for (const sql of queries) {
        const result = await conn.query(sql)
        const rows = []
        for await (const row of result) rows.push(row.map(plain))
        firstRows ??= performance.now() - started
        tables.push({ sql, fields: result.fields.map((f) => f.name + ' ' + f.typeName), rows })
      }
    } finally {
      await conn.close()
    }
    const out = document.getElementById('out')
    out.innerHTML = ''
    for (const t of tables) {
      const table = document.createElement('table')
      table.createCaption().textContent = t.sql
      const head = table.insertRow()
      for (const f of t.fields) head.appendChild(document.createElement('th')).textContent = f
      for (const r of t.rows) {
        const tr = table.insertRow()
        for (const v of r) tr.insertCell().textContent = v === null ? 'NULL' : String(v).replace(/^(bigint|number|date|bytes):/, '')
      }
      out.appendChild(table)
    }
    return { tables, firstRowsMs: firstRows, runtime: navigator.userAgent }
  },
  /** One connection kept by the page, for steps the test drives one at a time. */
  async open(dsn, options) {
    const taos = await import('/dist/browser.mjs')
    window.kept = await taos.connect(dsn, options)
    return window.kept.serverVersion
  },
  /** Records the kept connection's events. */
  listen() {
    window.events = []
    for (const name of ['reconnecting', 'reconnected', 'close']) window.kept.on(name, (e) => window.events.push(name + (e?.endpoint ? ' ' + e.endpoint : '')))
  },
  /** Runs a query on the kept connection (its rows read); how it ended, and after how long. */
  async attempt(sql, options, abortAfterMs) {
    const started = performance.now()
    const controller = new AbortController()
    if (abortAfterMs !== undefined) setTimeout(() => controller.abort(), abortAfterMs)
    try {
      const result = await window.kept.query(sql, abortAfterMs === undefined ? options : { ...options, signal: controller.signal })
      const rows = await result.toArray()
      return { ok: true, rows: rows.length, ms: performance.now() - started }
    } catch (err) {
      return { ok: false, name: err.name, message: err.message, ms: performance.now() - started }
    }
  },
  /** What taosjs/testing does in a page. */
  async testing() {
    const testing = await import('/dist/testing-browser.mjs')
    const out = {}
    for (const [name, start] of [['TestServer', () => testing.TestServer.start()], ['TestProxy', () => testing.TestProxy.start({ target: 'localhost:6041' })]]) {
      try {
        await start()
        out[name] = { ok: true }
      } catch (err) {
        out[name] = { ok: false, name: err.name, message: err.message }
      }
    }
    return out
  },
  /** REST from the page (fetch, cross-origin: the server answers CORS as taosAdapter does). */
  async rest(dsn, sql) {
    const started = performance.now()
    const taos = await import('/dist/browser.mjs')
    let conn
    try {
      conn = await taos.connect(dsn, { timestampAs: 'bigint' })
      const result = await conn.query(sql)
      const rows = []
      for await (const row of result) rows.push(row.map(plain))
      const ms = performance.now() - started
      const answer = await new taos.RestClient(dsn).sql('select 1')
      return { sql, fields: result.fields.map((f) => f.name + ' ' + f.typeName), rows, ms, restClient: answer.data.map((r) => r.map(plain)) }
    } catch (err) {
      return { error: err.name + ': ' + err.message }
    } finally {
      await conn?.close()
    }
  },
  /** A pool in the page (its first connection loads the module): concurrent queries, a lease, events, end(). */
  async pool(dsn, max, queries) {
    const taos = await import('/dist/browser.mjs')
    const events = { connect: 0, acquire: 0, release: 0, remove: 0 }
    let pool
    try {
      pool = taos.createPool({ dsn, max })
      for (const name of Object.keys(events)) pool.on(name, () => events[name]++)
      let peak = 0
      pool.on('acquire', () => (peak = Math.max(peak, pool.total)))
      const answers = await Promise.all(Array.from({ length: queries }, async (_, i) => Number((await (await pool.query('select ' + i + ' + 100')).toArray())[0][0])))
      const lease = await pool.connect()
      const leased = (await (await lease.query('select 7')).toArray())[0][0]
      lease.release()
      const before = { total: pool.total, idle: pool.idle, waiting: pool.waiting }
      await pool.end()
      return { answers, leased: Number(leased), peak, before, events, ended: pool.ended, total: pool.total }
    } catch (err) {
      await pool?.end()
      return { error: err.name + ': ' + err.message }
    }
  },
  /** A TMQ consumer in the page: subscribe, poll until \`want\` rows (committing each message), assignment. */
  async tmq(dsn, topic, want) {
    const taos = await import('/dist/browser.mjs')
    let consumer
    try {
      consumer = await taos.tmqConnect({ 'group.id': 'browser', 'auto.offset.reset': 'earliest' }, dsn)
      await consumer.subscribe([topic])
      const rows = []
      const until = performance.now() + 20000
      while (rows.length < want && performance.now() < until) {
        const message = await consumer.poll(500)
        if (message === null) continue
        for await (const row of message) rows.push(row.map(plain))
        await consumer.commit(message)
      }
      const assignment = await consumer.assignment()
      const committed = await consumer.committed(assignment.map((a) => ({ topic: a.topic, vgroupId: a.vgroupId })))
      return { rows, vgroups: assignment.length, committed: committed.every((c, i) => c.offset === assignment[i].end) }
    } catch (err) {
      return { error: err.name + ': ' + err.message }
    } finally {
      await consumer?.close()
    }
  },
  async error(dsn) {
    try {
      const taos = await import('/dist/browser.mjs')
      const conn = await taos.connect(dsn)
      await conn.close()
      return { ok: true }
    } catch (err) {
      return { ok: false, name: err.name, message: err.message }
    }
  },
}
document.getElementById('out').textContent = 'ready'
</script></body></html>`
}

const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' }
const TYPES_BY_EXT = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json', '.html': 'text/html; charset=utf-8' }

/** Serves the pages, dist/ and the WebAssembly package. */
function handler(req, res) {
  const path = new URL(req.url, 'http://x').pathname
  const send = (status, type, body, headers = {}) => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Cross-Origin-Resource-Policy': 'same-origin', ...headers })
    res.end(body)
  }
  if (path === '/' || path === '/index.html') return send(200, TYPES_BY_EXT['.html'], page('every type, NULLs, ms/us/ns'), ISOLATED)
  if (path === '/not-isolated.html') return send(200, TYPES_BY_EXT['.html'], page('no COOP/COEP'))
  if (path === '/csp.html') return send(200, TYPES_BY_EXT['.html'], page('Content-Security-Policy'), { ...ISOLATED, 'Content-Security-Policy': "connect-src 'self'" })
  for (const [prefix, dir] of [['/dist/', join(root, 'dist')], ['/wasm/', join(root, 'npm', 'wasm32-wasi')]]) {
    if (path.startsWith(prefix)) {
      const file = normalize(join(dir, path.slice(prefix.length)))
      if (!file.startsWith(dir) || !existsSync(file)) return send(404, 'text/plain', 'not found')
      return send(200, TYPES_BY_EXT[extname(file)] ?? 'application/octet-stream', readFileSync(file), ISOLATED)
    }
  }
  send(404, 'text/plain', 'not found')
}

// Answers every request, a preflight too, without CORS headers (a proxy that strips them).
const noCors = createHttpServer((_req, res) => {
  res.writeHead(404, { 'Content-Type': 'text/plain' })
  res.end('404 page not found')
})
await new Promise((resolve) => noCors.listen(0, '127.0.0.1', resolve))

const http = createHttpServer(handler)
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${http.address().port}`

// An https:// origin for the mixed-content case: a self-signed certificate made here, and a name
// that is not loopback (browsers let a secure page reach ws://localhost; not another host).
let https
const key = join(work, 'key.pem')
const cert = join(work, 'cert.pem')
const openssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=taos.test', '-keyout', key, '-out', cert, '-days', '1'], { stdio: 'ignore' })
if (openssl.status === 0) {
  https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, handler)
  await new Promise((resolve) => https.listen(0, '127.0.0.1', resolve))
}

let browser
try {
  // Reference values: the native addon in Node.js, from the same tables.
  const conn = await connect(server.dsn, { timestampAs: 'bigint' })
  const plain = eval(PLAIN)
  const expected = []
  for (const [precision, ts] of Object.entries(BASE)) {
    await conn.execute(`create database browser_${precision} precision '${precision}'`)
    await conn.execute(`create table browser_${precision}.t (${COLUMNS})`)
    await conn.execute(`insert into browser_${precision}.t values (${ts}, ${VALUES}) (${ts + 1n}, ${NULLS})`)
  }
  for (const sql of QUERIES) {
    const result = await conn.query(sql)
    const rows = []
    for await (const row of result) rows.push(row.map(plain))
    expected.push({ sql, fields: result.fields.map((f) => `${f.name} ${f.typeName}`), rows })
  }
  await conn.close()

  const executablePath = chromiumPath()
  const version = execFileSync(executablePath, ['--version'], { encoding: 'utf8' }).trim()
  // The flags that work on these machines (no background networking: the network is closed).
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--ignore-certificate-errors', '--host-resolver-rules=MAP taos.test 127.0.0.1'],
  })
  console.log(`${version}, page at ${origin}, server ${dsn}`)
  const open = async (address) => {
    const tab = await browser.newPage({ viewport: { width: 1500, height: 900 } })
    const logs = []
    tab.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`))
    tab.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`))
    await tab.goto(address)
    await tab.waitForFunction(() => window.taosTest !== undefined, null, { timeout: 30_000 })
    return { tab, logs }
  }

  // Every type, NULLs, three precisions: the same values as the native addon's.
  {
    const { tab, logs } = await open(`${origin}/`)
    let got
    try {
      got = await tab.evaluate(([d, q]) => window.taosTest.run(d, q), [dsn, QUERIES])
    } catch (err) {
      got = { error: err.message }
    }
    if (got.error) check('a query of every type in the browser', false, `${got.error}\n${logs.join('\n')}`)
    else {
      for (let i = 0; i < expected.length; i++) {
        const same = JSON.stringify(got.tables[i]) === JSON.stringify(expected[i])
        check(`the browser reads what the native addon reads: ${expected[i].sql}`, same, same ? `${expected[i].rows.length} rows × ${expected[i].fields.length} columns` : `\n  browser: ${JSON.stringify(got.tables[i])}\n  native:  ${JSON.stringify(expected[i])}`)
      }
      console.log(`info first query's rows ${got.firstRowsMs.toFixed(0)} ms after the page asked for taosjs/browser (module fetch + compile + connect + query)`)
      const shot = join(root, 'target', 'browser-test.png')
      mkdirSync(join(root, 'target'), { recursive: true })
      await tab.screenshot({ path: shot, fullPage: true })
      check('screenshot of the page', existsSync(shot), shot)
    }
    await tab.close()
  }

  // REST from the page: the same values as the native addon's (over WebSocket), across origins.
  {
    const { tab, logs } = await open(`${origin}/`)
    const restDsn = dsn.replace(/^ws:/, 'http:')
    const got = await tab.evaluate(([d, q]) => window.taosTest.rest(d, q), [restDsn, QUERIES[0]]).catch((err) => ({ error: err.message }))
    const same = got.error === undefined && JSON.stringify({ sql: got.sql, fields: got.fields, rows: got.rows }) === JSON.stringify(expected[0])
    check('a REST query from the page (fetch, CORS) reads what the native addon reads', same, got.error ? `${got.error}\n${logs.join('\n')}` : same ? `${got.rows.length} rows in ${got.ms.toFixed(0)} ms; RestClient.sql answered ${JSON.stringify(got.restClient)}` : `\n  browser: ${JSON.stringify(got)}\n  native:  ${JSON.stringify(expected[0])}`)
    check('RestClient in the page', got.error === undefined && JSON.stringify(got.restClient) === JSON.stringify([['bigint:1']]), JSON.stringify(got.restClient))
    await tab.close()
  }

  // The pool of taosjs/browser: the same code as Node.js's, on the page's WebAssembly connections.
  {
    const { tab, logs } = await open(`${origin}/`)
    const got = await tab.evaluate(([d]) => window.taosTest.pool(d, 3, 30), [dsn]).catch((err) => ({ error: err.message }))
    const right = got.answers?.length === 30 && got.answers.every((v, i) => v === i + 100) && got.leased === 7
    const bounded = got.peak <= 3 && got.events?.connect >= 1 && got.events.connect <= 3
    const events = got.events?.acquire === 31 && got.events.release === 31 && got.events.remove === got.events.connect
    check(
      'a pool in the page (createPool of taosjs/browser): 30 concurrent queries through 3 connections, a lease, its events, end()',
      got.error === undefined && right && bounded && events && got.before?.waiting === 0 && got.before.idle === got.before.total && got.ended === true && got.total === 0,
      got.error ? `${got.error}\n${logs.join('\n')}` : JSON.stringify({ ...got, answers: got.answers?.length }),
    )
    await tab.close()
  }

  // A TMQ consumer in the page: every row of a topic on a two-vgroup database, once, committed.
  {
    const setup = await connect(server.dsn)
    await setup.execute('create database browser_tmq vgroups 2 wal_retention_period 3600')
    await setup.execute('create stable browser_tmq.st (ts timestamp, v int, s nchar(8)) tags (g int)')
    const values = (tb) => Array.from({ length: 10 }, (_, r) => `(${1700000000000 + tb * 10 + r}, ${tb * 10 + r}, ${r % 3 === 0 ? 'null' : `'n${r}'`})`).join(' ')
    for (let tb = 0; tb < 4; tb++) await setup.execute(`insert into browser_tmq.t${tb} using browser_tmq.st tags (${tb}) values ${values(tb)}`)
    await setup.execute('create topic browser_topic as select ts, v, s from browser_tmq.st')
    const { tab, logs } = await open(`${origin}/`)
    const got = await tab.evaluate(([d, t, n]) => window.taosTest.tmq(d, t, n), [dsn, 'browser_topic', 40]).catch((err) => ({ error: err.message }))
    const vs = got.rows?.map((r) => Number(String(r[1]).replace('number:', ''))).sort((a, b) => a - b)
    const every = vs !== undefined && vs.length === 40 && vs.every((v, i) => v === i)
    const nulls = got.rows?.filter((r) => r[2] === null).length
    check('a TMQ consumer in the page polls every row once, NULLs as null, and commits', got.error === undefined && every && nulls === 16 && got.committed === true, got.error ? `${got.error}\n${logs.join('\n')}` : `${got.rows.length} rows, ${nulls} NULLs, ${got.vgroups} vgroups, committed ${got.committed}`)
    await tab.close()
    await setup.close()
  }

  // Bad input: each error names the cause and the fix.
  const bad = async (name, address, target, { cls, says }) => {
    const { tab, logs } = await open(address)
    const got = await tab.evaluate((d) => window.taosTest.error(d), target).catch((err) => ({ ok: true, message: `evaluate failed: ${err.message}` }))
    const missing = says.filter((s) => !got.message?.includes(s))
    check(`bad input, ${name}: ${cls} naming cause and fix`, !got.ok && got.name === cls && missing.length === 0, got.ok ? `no error\n${logs.join('\n')}` : `${got.name}: ${got.message}${missing.length ? ` (missing ${JSON.stringify(missing)})` : ''}`)
    await tab.close()
  }
  await bad('a page without COOP/COEP', `${origin}/not-isolated.html`, dsn, { cls: 'InterfaceError', says: ['SharedArrayBuffer', 'cross-origin isolated', 'Cross-Origin-Opener-Policy: same-origin', 'Cross-Origin-Embedder-Policy: require-corp'] })
  await bad('a WebSocket blocked by Content-Security-Policy', `${origin}/csp.html`, dsn, { cls: 'ConnectionError', says: ['Content-Security-Policy', 'connect-src', `ws://127.0.0.1:${url.port}`] })
  {
    const { tab } = await open(`${origin}/`)
    const got = await tab.evaluate(() => window.taosTest.testing())
    for (const name of ['TestServer', 'TestProxy']) {
      const r = got[name]
      check(`taosjs/testing in a page: ${name}.start() is a NotSupportedError naming the runtime`, !r.ok && r.name === 'NotSupportedError' && r.message.includes('Chrome'), JSON.stringify(r))
    }
    await tab.close()
  }
  await bad('REST to a server that does not allow the page\'s origin (CORS)', `${origin}/`, `http://127.0.0.1:${noCors.address().port}`, { cls: 'ConnectionError', says: ['CORS', 'Access-Control-Allow-Origin', 'cors.allowOrigins', origin] })
  if (https) {
    const secure = `https://taos.test:${https.address().port}/`
    await bad('ws:// from an https:// page', secure, `ws://root:taosdata@taos.test:${url.port}`, { cls: 'ConnectionError', says: ['mixed content', 'wss://'] })
    await bad('REST over http:// from an https:// page', secure, `http://root:taosdata@taos.test:${url.port}`, { cls: 'ConnectionError', says: ['mixed content', 'https://'] })
  } else {
    check('bad input, ws:// from an https:// page', false, 'openssl could not make a certificate')
  }

  // Deadlines, aborts and keepalive, decided by the session in the page, through a proxy.
  {
    const proxy = await TestProxy.start({ target: server })
    const { tab, logs } = await open(`${origin}/`)
    try {
      const proxyDsn = `ws://root:taosdata@127.0.0.1:${proxy.port}`
      await tab.evaluate(([d]) => window.taosTest.open(d, { keepaliveMs: 300 }), [proxyDsn])
      const attempt = (options, abortAfterMs) => tab.evaluate(([o, a]) => window.taosTest.attempt('select server_version()', o, a ?? undefined), [options, abortAfterMs ?? null])
      proxy.delay(500)
      let got = await attempt({ timeoutMs: 100 })
      check('a call past its timeoutMs: TimeoutError naming the deadline', !got.ok && got.name === 'TimeoutError' && got.message.includes('100 ms') && got.ms < 450, JSON.stringify(got))
      got = await attempt({}, 50)
      check('an aborted call: AbortError at once', !got.ok && got.name === 'AbortError' && got.ms < 450, JSON.stringify(got))
      proxy.heal()
      await new Promise((resolve) => setTimeout(resolve, 700)) // what the delay still held arrives
      got = await attempt({})
      check('the connection is usable after a timeout and an abort', got.ok && got.rows === 1, JSON.stringify(got))
      await new Promise((resolve) => setTimeout(resolve, 1_500)) // five keepalive intervals, idle
      got = await attempt({})
      check('an idle connection stays open: the server answers each version probe', got.ok && got.rows === 1, JSON.stringify(got))
      // A dropped connection: the session decides to reconnect, the page's driver opens the socket.
      await tab.evaluate(() => window.taosTest.listen())
      proxy.cut()
      got = await attempt({})
      const events = await tab.evaluate(() => window.events)
      check('a dropped connection reconnects in the page, tells its listeners, and answers', got.ok && events.includes('reconnecting') && events.some((e) => e.startsWith('reconnected 127.0.0.1:')), `${JSON.stringify(got)} events ${JSON.stringify(events)}`)
      await tab.evaluate(([d]) => window.taosTest.open(d, { keepaliveMs: 300, retries: 0 }), [proxyDsn])
      proxy.blackhole()
      got = await attempt({})
      // keepaliveMs 300: a silent server is dead within three intervals (900 ms), plus slack for a loaded machine.
      check('keepalive without WebSocket pings (a version probe): a silent server fails the call in flight with ConnectionError', !got.ok && got.name === 'ConnectionError' && got.message.includes('keepalive') && got.ms < 2500, `${JSON.stringify(got)}${got.ok ? `\n${logs.join('\n')}` : ''}`)
    } finally {
      await tab.close()
      await proxy.close()
    }
  }
} catch (err) {
  check('browser test ran to the end', false, err.stack ?? String(err))
} finally {
  await browser?.close()
  http.close()
  noCors.close()
  https?.close()
  await server.close()
  if (!keep) rmSync(work, { recursive: true, force: true })
}
finish()
