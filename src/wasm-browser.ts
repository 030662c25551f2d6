/// <reference lib="dom" />
/**
 * The browser loader of the WebAssembly build: the `browser` entry of the package
 * `taosjs-wasm32-wasi`, bundled with emnapi and a WASI shim into one file that imports nothing
 * (scripts/build-wasm.mjs), so that it works under any bundler and without one. It compiles
 * `taosjs.wasm32-wasi.wasm` from beside itself and exports the module's bindings.
 *
 * napi-rs's generated browser loader (`taosjs.wasi-browser.js`, also in the package) starts a
 * pool of workers, each loading the module, before the first call; taosjs starts no threads (its
 * WebAssembly surface is synchronous), so this one starts none, and the first query waits only for
 * one fetch and one compile.
 *
 * @internal
 * @module
 */
import { instantiateNapiModule } from '@emnapi/core'
import { getDefaultContext } from '@emnapi/runtime'
import { WASI } from '@tybys/wasm-util'

const wasmUrl = new URL('./taosjs.wasm32-wasi.wasm', import.meta.url)

/** Compiles the module while it downloads (`compileStreaming` needs the `application/wasm` type). */
async function compile(): Promise<WebAssembly.Module> {
  const response = await fetch(wasmUrl)
  if (!response.ok) throw new Error(`fetching ${wasmUrl.href} failed: HTTP ${response.status} ${response.statusText}`)
  if (typeof WebAssembly.compileStreaming === 'function' && /application\/wasm/.test(response.headers.get('content-type') ?? '')) {
    return WebAssembly.compileStreaming(response)
  }
  return WebAssembly.compile(await response.arrayBuffer())
}

// The build shares its memory between threads: a SharedArrayBuffer, which a page has only when it
// is cross-origin isolated (taosjs/browser says so before it gets here). Initial and maximum
// sizes are the ones the module was linked with (napi-rs's defaults).
const memory = new WebAssembly.Memory({ initial: 4000, maximum: 65536, shared: true })

const { napiModule } = await instantiateNapiModule(compile(), {
  context: getDefaultContext(),
  asyncWorkPoolSize: 0,
  // Rust's standard library asks WASI for random seeds, the clock and stderr (panic messages).
  wasi: new WASI({ version: 'preview1' }) as unknown as Parameters<typeof instantiateNapiModule>[1]['wasi'],
  overwriteImports(importObject: WebAssembly.Imports) {
    importObject['env'] = { ...importObject['env'], ...importObject['napi'], ...importObject['emnapi'], memory }
    return importObject
  },
  beforeInit({ instance }: { instance: WebAssembly.Instance }) {
    for (const [name, register] of Object.entries(instance.exports)) {
      if (name.startsWith('__napi_register__')) (register as () => void)()
    }
  },
})

const binding = napiModule.exports as Record<string, unknown>
export default binding
export const NativeSession = binding['NativeSession']
export const takePanicMessage = binding['takePanicMessage']
export const NativeConsumerSession = binding['NativeConsumerSession']
export const NativeRestTarget = binding['NativeRestTarget']
export const restAffectedRowsColumn = binding['restAffectedRowsColumn']
export const isRestDsn = binding['isRestDsn']
export const TypeId = binding['TypeId']
export const Precision = binding['Precision']
export const BindKind = binding['BindKind']
export const BindType = binding['BindType']
export const SmlProtocol = binding['SmlProtocol']
export const SmlPrecision = binding['SmlPrecision']
export const __napiBindingTarget = 'wasm32-wasi'
