/**
 * What the WebAssembly build cannot do says so: it reaches TDengine only through taosAdapter
 * (WebSocket, and REST over `fetch`: rest.spec.ts and tmq.spec.ts run again in the ava-wasm
 * suite), so `taos://` (TDengine's client library) connections and consumers are
 * NotSupportedErrors that name the runtime and what to use instead, before any I/O. Runs in npm
 * test's ava-wasm suite (`NAPI_RS_FORCE_WASI=1`); skipped on the native addon, which has them.
 */
import test from 'ava'
import * as taos from '../src/index.js'
import { loadedBuild } from '../src/load-native.js'

const onWasm = loadedBuild() === 'wasm32-wasi' ? test : test.skip
const RUNTIME = `Node.js ${process.version}`

onWasm('taos:// is a NotSupportedError naming the runtime and the DSN that works', async (t) => {
  const err = await t.throwsAsync(taos.connect('taos://root:taosdata@localhost:6030'), { instanceOf: taos.NotSupportedError })
  t.true(err!.message.includes(RUNTIME), err!.message)
  t.regex(err!.message, /WebAssembly.*ws:\/\/ or wss:\/\//)
})

onWasm('a taos:// consumer is a NotSupportedError naming the runtime and the DSN that works', (t) => {
  const err = t.throws(() => new taos.Consumer({ 'group.id': 'g' }, 'taos://root:taosdata@localhost:6030'), { instanceOf: taos.NotSupportedError })
  t.true(err!.message.includes(RUNTIME), err!.message)
  t.regex(err!.message, /WebAssembly.*ws:\/\/ or wss:\/\//)
})
