/**
 * REST against a misbehaving HTTP server (a local node:http server plays it): what is sent
 * (`req_id`, `conn_tz`, `Authorization`, `/rest/sql/<db>`), keep-alive within a bounded number of
 * sockets, and every way an answer can go wrong — not JSON, cut off, HTTP 5xx, never — each a
 * clear error of the right class, within its deadline, leaving the client usable.
 */
import test from 'ava'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect, ConnectionError, OperationalError, ResultError, RestClient, TimeoutError } from '../src/index.js'
import { loadedBuild } from '../src/load-native.js'

const ONE = '{"code":0,"column_meta":[["1","BIGINT",8]],"data":[[1]],"rows":1}'

interface Seen {
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/** A local HTTP server answering with `handler`; counts sockets. */
async function fakeAdapter(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const seen: Seen[] = []
  let open = 0
  let maxOpen = 0
  let sockets = 0
  let busy = 0
  let maxBusy = 0
  const server = createServer((req, res) => {
    busy++
    maxBusy = Math.max(maxBusy, busy)
    res.on('close', () => busy--)
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body })
      handler(req, res, body)
    })
  })
  server.on('connection', (socket) => {
    sockets++
    open++
    maxOpen = Math.max(maxOpen, open)
    socket.on('close', () => open--)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    stats: () => ({ sockets, maxOpen, maxBusy }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function json(res: ServerResponse, text: string, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(text)
}

test('what goes on the wire: POST /rest/sql/<db>, req_id as the adapter parses it, conn_tz, Basic auth', async (t) => {
  const fake = await fakeAdapter((_req, res) => json(res, ONE))
  t.teardown(fake.close)
  const client = new RestClient(`${fake.url.replace('http://', 'http://alice:p%40ss@')}/power`, { timezone: 'Asia/Shanghai' })
  t.teardown(() => client.close())
  await client.sql('select 1', { reqId: 42 })
  await client.sql('select 2', { reqId: 0xffff_ffff_ffff_fffen })
  await client.sql('select 3')
  t.deepEqual(
    fake.seen.map((s) => s.url),
    ['/rest/sql/power?req_id=42&conn_tz=Asia%2FShanghai', '/rest/sql/power?req_id=-2&conn_tz=Asia%2FShanghai', '/rest/sql/power?conn_tz=Asia%2FShanghai'],
  )
  t.is(fake.seen[0]!.headers.authorization, `Basic ${Buffer.from('alice:p@ss').toString('base64')}`)
  t.deepEqual(fake.seen.map((s) => s.body), ['select 1', 'select 2', 'select 3'])
  const byToken = new RestClient(fake.url, { token: 'tok/en+=' })
  t.teardown(() => byToken.close())
  await byToken.sql('select 4')
  t.is(fake.seen[3]!.headers.authorization, 'Taosd tok/en+=')
  t.is(fake.seen[3]!.url, '/rest/sql')
})

test('requests reuse keep-alive sockets, never more than maxSockets at once', async (t) => {
  const fake = await fakeAdapter((_req, res) => setTimeout(() => json(res, ONE), 20))
  t.teardown(fake.close)
  const client = new RestClient(fake.url, { maxSockets: 2 })
  t.teardown(() => client.close())
  const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => client.sql(`select ${i}`)))
  t.is(answers.length, 24)
  t.true(fake.stats().maxBusy <= 2, JSON.stringify(fake.stats()))
  if (loadedBuild() === 'wasm32-wasi') {
    // Over `fetch` (the WebAssembly build) the runtime owns the sockets: maxSockets bounds the
    // requests in flight, and keep-alive still reuses sockets.
    t.true(fake.stats().sockets < 24, `sockets opened: ${fake.stats().sockets}`)
    return
  }
  t.true(fake.stats().maxOpen <= 2, JSON.stringify(fake.stats()))
  t.true(fake.stats().sockets <= 2, `sockets opened: ${fake.stats().sockets}`)
})

test('an answer that is not JSON, one that is cut off, and HTTP 5xx are errors of their own class', async (t) => {
  const fake = await fakeAdapter((req, res, body) => {
    switch (body) {
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html' })
        return res.end('<!DOCTYPE html><html>hello</html>')
      case 'half-json':
        return json(res, ONE.slice(0, 30))
      case 'cut': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' })
        res.write(ONE.slice(0, 40))
        return void setTimeout(() => req.socket.destroy(), 20)
      }
      case 'cut-chunked': {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write(ONE.slice(0, 40))
        return void setTimeout(() => req.socket.destroy(), 20)
      }
      case 'bad-gateway':
        res.writeHead(502, { 'content-type': 'text/html' })
        return res.end('<html><body>502 Bad Gateway</body></html>')
      case 'busy':
        return json(res, '{"code":65534,"desc":"the server is busy","timing":1}', 503)
      case 'infinity':
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
        return res.end()
      default:
        return json(res, ONE)
    }
  })
  t.teardown(fake.close)
  const client = new RestClient(fake.url)
  t.teardown(() => client.close())
  const cases: Array<[string, new (...args: never[]) => Error, RegExp]> = [
    ['html', ResultError, /not taosAdapter's JSON.*DOCTYPE/],
    ['half-json', ResultError, /truncated/],
    ['cut', ConnectionError, /cut off|closed|broke|failed/],
    ['cut-chunked', ConnectionError, /cut off|closed|broke|failed/],
    ['bad-gateway', OperationalError, /HTTP 502.*Bad Gateway/],
    ['busy', OperationalError, /HTTP 503.*busy/],
    ['infinity', ResultError, /empty body.*Infinity/],
  ]
  for (const [body, Class, message] of cases) {
    const e = await t.throwsAsync(client.sql(body), { instanceOf: Class }, body)
    t.regex(e!.message, message, body)
    // Nothing is stuck: the next statement goes through.
    t.deepEqual((await client.sql('ok')).data, [[1n]], `after ${body}`)
  }
  const e = await t.throwsAsync(client.sql('busy'))
  t.is((e as OperationalError).errno, 65534)
})

test('a server that never answers: the request times out, an aborted call gives up, close ends what is in flight', async (t) => {
  const fake = await fakeAdapter((_req, res, body) => {
    if (body !== 'hang') json(res, ONE)
    // 'hang': no answer at all.
  })
  t.teardown(fake.close)
  const client = new RestClient(fake.url, { requestTimeoutMs: 300 })
  t.teardown(() => client.close())
  let started = Date.now()
  const e = await t.throwsAsync(client.sql('hang'), { instanceOf: TimeoutError })
  t.regex(e!.message, /no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms/)
  t.true(Date.now() - started < 3000)
  // A call's own timeoutMs wins over the client's requestTimeoutMs.
  started = Date.now()
  const own = await t.throwsAsync(client.sql('hang', { timeoutMs: 50 }), { instanceOf: TimeoutError })
  t.regex(own!.message, /within 50 ms/)
  t.true(Date.now() - started < 290)

  const patient = new RestClient(fake.url)
  t.teardown(() => patient.close())
  started = Date.now()
  await t.throwsAsync(patient.sql('hang', { signal: AbortSignal.timeout(200) }), { instanceOf: OperationalError, message: /aborted/ })
  t.true(Date.now() - started < 3000)
  t.deepEqual((await patient.sql('ok')).data, [[1n]])

  const inFlight = patient.sql('hang')
  await new Promise((resolve) => setTimeout(resolve, 100))
  await patient.close()
  await t.throwsAsync(inFlight, { instanceOf: ConnectionError, message: /closed/ })
})

test('connect() checks the server within connectTimeoutMs; an unreachable one is a ConnectionError', async (t) => {
  const fake = await fakeAdapter(() => undefined)
  t.teardown(fake.close)
  let started = Date.now()
  const e1 = await t.throwsAsync(connect(fake.url, { connectTimeoutMs: 300 }), { instanceOf: ConnectionError })
  t.regex(e1!.message, /no answer within 300 ms/)
  t.true(Date.now() - started < 3000)
  const closedPort = await fakeAdapter(() => undefined)
  const url = closedPort.url
  await closedPort.close()
  started = Date.now()
  const e2 = await t.throwsAsync(connect(`${url.replace('http://', 'http://root:Secret99@')}`), { instanceOf: ConnectionError })
  t.regex(e2!.message, /cannot reach http:\/\/127\.0\.0\.1:\d+/)
  t.false(e2!.message.includes('Secret99'))
  const client = new RestClient(url)
  await t.throwsAsync(client.sql('select 1'), { instanceOf: ConnectionError, message: /cannot reach/ })
  await client.close()
})
