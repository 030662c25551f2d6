/**
 * TLS options as in Node's `tls`: `ca` (a private CA, or a self-signed certificate trusted
 * explicitly), `cert`/`key` for servers that ask for a client certificate, and
 * `rejectUnauthorized: false`. A refused handshake says in words what is wrong and what to pass.
 * The embedded server sits behind a TLS-terminating proxy made with Node's `tls`.
 */
import test from 'ava'
import { readFileSync } from 'node:fs'
import * as net from 'node:net'
import * as tls from 'node:tls'
import * as taos from '../src/index.js'
import { TestServer } from '../src/testing.js'

const data = (name: string) => readFileSync(new URL(`../crates/taosjs-tokio/tests/data/${name}`, import.meta.url))

let server: TestServer
const fronts: tls.Server[] = []
test.before(async () => {
  server = await TestServer.start()
})
test.after.always(async () => {
  for (const f of fronts) f.close()
  await server.close()
})

/** A TLS front for the embedded server presenting `tests/data/<cert>.pem`. */
async function front(cert: string, options: tls.TlsOptions = {}): Promise<string> {
  const f = tls.createServer({ cert: data(`${cert}.pem`), key: data(`${cert}.key`), ...options }, (socket) => {
    const plain = net.connect(server.port, '127.0.0.1')
    socket.pipe(plain).pipe(socket)
    const end = () => {
      socket.destroy()
      plain.destroy()
    }
    socket.on('error', end)
    plain.on('error', end)
  })
  f.on('tlsClientError', () => undefined)
  fronts.push(f)
  await new Promise<void>((resolve) => f.listen(0, '127.0.0.1', resolve))
  return `wss://root:taosdata@localhost:${(f.address() as net.AddressInfo).port}`
}

test('a self-signed certificate given as ca is trusted; without it the error says what to pass', async (t) => {
  const dsn = await front('self-signed')
  const err = await t.throwsAsync(taos.connect(dsn, { retries: 0 }), { instanceOf: taos.ConnectionError })
  t.regex(err!.message, /TLS: the server/)
  t.regex(err!.message, /option ca/)
  t.notRegex(err!.message, /taosdata/, 'no credentials in errors')
  const conn = await taos.connect(dsn, { ca: data('self-signed.pem') })
  t.is(await conn.execute('select 1'), 0)
  await conn.close()
})

test('a private CA given as ca is trusted (and replaces the default roots)', async (t) => {
  const dsn = await front('server')
  const conn = await taos.connect(dsn, { ca: data('ca.pem').toString() })
  t.is(await conn.execute('select 1'), 0)
  await conn.close()
  // Another CA: the server's certificate is not trusted.
  await t.throwsAsync(taos.connect(dsn, { ca: data('client-ca.pem') }), { instanceOf: taos.ConnectionError, message: /not signed by a CA this connection trusts/ })
})

test('rejectUnauthorized: false connects to any certificate', async (t) => {
  const dsn = await front('self-signed')
  const conn = await taos.connect(dsn, { rejectUnauthorized: false })
  t.is(await conn.execute('select 1'), 0)
  await conn.close()
})

test('cert and key answer a server that asks for a client certificate', async (t) => {
  const dsn = await front('server', { requestCert: true, rejectUnauthorized: true, ca: data('client-ca.pem') })
  const conn = await taos.connect(dsn, { ca: data('ca.pem'), cert: data('client.pem'), key: data('client.key') })
  t.is(await conn.execute('select 1'), 0)
  await conn.close()
  await t.throwsAsync(taos.connect(dsn, { ca: data('ca.pem'), retries: 0 }), { instanceOf: taos.ConnectionError })
})

test('unreadable TLS options are refused before any I/O, naming the option', async (t) => {
  const dsn = await front('server')
  await t.throwsAsync(taos.connect(dsn, { ca: 'not a certificate' }), { instanceOf: taos.ProgrammingError, message: /option ca/ })
  await t.throwsAsync(taos.connect(dsn, { ca: data('ca.pem'), cert: data('client.pem') }), { instanceOf: taos.ProgrammingError, message: /cert and key/ })
  await t.throwsAsync(taos.connect(dsn, { ca: data('ca.pem'), cert: data('client.pem'), key: 'nope' }), { instanceOf: taos.ProgrammingError, message: /option key/ })
  await t.throwsAsync(taos.connect(dsn, { rejectUnauthorized: 'no' as never }), { instanceOf: taos.ProgrammingError })
})
