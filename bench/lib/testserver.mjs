// Runs the package's embedded TestServer in this process until killed, printing the line
// bench/lib/server.mjs waits for (the same one the taos-testserver binary prints).
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(import.meta.dirname, '..', '..')
const { TestServer } = await import(pathToFileURL(join(root, 'dist', 'testing.mjs')).href)
const server = await TestServer.start({ host: '127.0.0.1', port: 0 })
console.log(`taos-testserver listening on ${server.url}`)
const stop = async () => {
  await server.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
setInterval(() => {}, 1 << 30)
