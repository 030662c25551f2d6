// The embedded test server in a process of its own, driven over IPC, so that a resilience figure
// measures the client's memory, handles and event loop alone. Same methods as TestServer's.
//   const server = await startServerProcess(); await server.restart(); await server.close()
import { fork } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { root } from './resilience.mjs'

const self = fileURLToPath(import.meta.url)

if (process.argv[2] === '--serve') {
  // The child: start the server, answer each { id, op, args } with { id, ok | error }.
  const { TestServer } = await import(pathToFileURL(join(root, 'dist', 'testing.mjs')).href)
  const server = await TestServer.start()
  process.send({ ready: true, dsn: server.dsn })
  process.on('message', async ({ id, op, args }) => {
    try {
      const value = await server[op](...args)
      process.send({ id, ok: true, value })
      if (op === 'close') process.disconnect()
    } catch (err) {
      process.send({ id, ok: false, error: `${err.name}: ${err.message}` })
    }
  })
}

/** Starts the server process; resolves once it listens. */
export async function startServerProcess() {
  const child = fork(self, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const pending = new Map()
  let next = 0
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve)
    child.once('exit', (code) => reject(new Error(`the server process exited (${code}) before it listened`)))
  })
  child.on('message', ({ id, ok, value, error }) => {
    const call = pending.get(id)
    pending.delete(id)
    if (ok) call?.resolve(value)
    else call?.reject(new Error(error))
  })
  const call = (op, ...args) =>
    new Promise((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve, reject })
      child.send({ id, op, args })
    })
  return {
    dsn: ready.dsn,
    restart: () => call('restart'),
    stop: () => call('stop'),
    start: () => call('start'),
    setLatency: (ms) => call('setLatency', ms),
    dropConnections: () => call('dropConnections'),
    close: async () => {
      await call('close')
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)))
    },
  }
}
