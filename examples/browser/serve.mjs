// taosjs in the browser: a page that reads meter readings over WebSocket with `taosjs/browser` (the
// Rust core as WebAssembly) and draws them with uPlot. This script starts the embedded test server,
// writes a day of readings for three meters into it, and serves the page.
//
//   npm run build && npm run build:wasm     (once)
//   npm run example:browser                 then open the URL it prints
//   npm run example:browser -- --screenshot docs/browser-example.png   (headless Chromium, then exit)
//
// With TDENGINE_DSN set it writes to and reads from that server instead (its taosAdapter must be
// reachable from the browser). The page must be cross-origin isolated (the WebAssembly build shares
// its memory between threads): every response carries COOP/COEP, and the files it loads CORP.
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const here = fileURLToPath(new URL('.', import.meta.url))
const root = join(here, '..', '..')
const { values: args } = parseArgs({ options: { port: { type: 'string', default: '8080' }, screenshot: { type: 'string' } } })

const sources = {
  '/taosjs/': join(root, 'dist'),
  '/taosjs-wasm32-wasi/': join(root, 'npm', 'wasm32-wasi'),
  '/uplot/': join(root, 'node_modules', 'uplot', 'dist'),
}
for (const [file, fix] of [
  [join(sources['/taosjs/'], 'browser.mjs'), 'npm run build'],
  [join(sources['/taosjs-wasm32-wasi/'], 'taosjs.browser.js'), 'npm run build:wasm'],
  [join(sources['/uplot/'], 'uPlot.esm.js'), 'npm install'],
]) {
  if (!existsSync(file)) {
    console.error(`${file} is missing: run \`${fix}\` first`)
    process.exit(1)
  }
}

// The data: one reading a minute for 24 hours from three meters.
const external = process.env.TDENGINE_DSN
const server = external ? undefined : await TestServer.start()
const dsn = external ?? server.dsn
const conn = await connect(dsn)
await conn.execute('drop database if exists taosjs_demo')
await conn.execute("create database taosjs_demo precision 'ms'")
await conn.execute('create stable taosjs_demo.meters (ts timestamp, current float, voltage int, phase float) tags (location nchar(64), group_id int)')
const meters = [
  ['d1001', 'California.SanFrancisco', 2, 10.2],
  ['d1002', 'California.LosAngeles', 3, 12.6],
  ['d1003', 'Zürich.Hauptbahnhof', 2, 8.1],
]
const minute = 60_000
const end = Math.floor(Date.now() / minute) * minute
const start = end - 24 * 60 * minute
for (const [i, [table, location, group, base]] of meters.entries()) {
  const rows = []
  for (let t = start, k = 0; t < end; t += minute, k++) {
    // A daily cycle, a faster ripple and a little noise, different per meter.
    const day = Math.sin(((t / minute) % 1440) / 1440 * 2 * Math.PI - i)
    const current = base + 2.5 * day + 0.4 * Math.sin(k / (9 + i * 4)) + 0.15 * Math.sin(k * 12.9898 + i)
    rows.push(`(${t}, ${current.toFixed(3)}, ${218 + ((k + i * 3) % 8)}, ${(0.3 + 0.01 * (k % 5)).toFixed(2)})`)
  }
  for (let at = 0; at < rows.length; at += 500) {
    await conn.execute(`insert into taosjs_demo.${table} using taosjs_demo.meters tags ('${location}', ${group}) values ${rows.slice(at, at + 500).join(' ')}`)
  }
}
await conn.close()

// The browser connects to the same server; the page learns its DSN from /config.json.
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.map': 'application/json' }
const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin' }
const http = createServer((req, res) => {
  const path = new URL(req.url, 'http://page').pathname
  const send = (status, type, body) => {
    res.writeHead(status, { 'Content-Type': type, ...ISOLATED })
    res.end(body)
  }
  if (path === '/') return send(200, TYPES['.html'], readFileSync(join(here, 'index.html')))
  if (path === '/config.json') return send(200, 'application/json', JSON.stringify({ dsn: browserDsn(dsn) }))
  for (const [prefix, dir] of Object.entries(sources)) {
    if (!path.startsWith(prefix)) continue
    const file = normalize(join(dir, path.slice(prefix.length)))
    if (file.startsWith(dir) && existsSync(file)) return send(200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file))
  }
  send(404, 'text/plain', 'not found')
})
await new Promise((resolve) => http.listen(Number(args.port), '127.0.0.1', resolve))
const page = `http://127.0.0.1:${http.address().port}/`

if (args.screenshot) {
  await screenshot(page, args.screenshot)
  await stop()
} else {
  console.log(`The example page: ${page}  (server ${external ? 'TDENGINE_DSN' : server.dsn}; Ctrl-C stops)`)
  process.on('SIGINT', () => stop().then(() => process.exit(0)))
}

async function stop() {
  http.close()
  await server?.close()
}

/** The DSN as the page uses it: the same server, the host the browser sees. */
function browserDsn(value) {
  return value.replace('@localhost:', '@127.0.0.1:')
}

/** Opens the page in headless Chromium (Debian's, or CHROMIUM_PATH), waits for the chart, saves it. */
async function screenshot(url, file) {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] })
  try {
    const tab = await browser.newPage({ viewport: { width: 1180, height: 720 } })
    await tab.goto(url)
    await tab.waitForFunction(() => window.exampleDone !== undefined, null, { timeout: 60_000 })
    const failure = await tab.evaluate(() => (window.exampleDone === true ? null : String(window.exampleDone)))
    if (failure) throw new Error(`the page failed: ${failure}`)
    await tab.screenshot({ path: file, fullPage: true })
    console.log(`saved ${file}`)
  } finally {
    await browser.close()
  }
}
