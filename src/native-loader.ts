/**
 * The native module that synchronous constructors (`new Consumer()`, `new RestClient()`) use.
 * Each entry point registers how to get it: `index.ts` the addon's loader (the native binary, or
 * the WebAssembly build where none loads), `browser.ts` the WebAssembly build once it is loaded
 * (loading it is asynchronous in a page). This keeps those modules free of the Node.js loader, so
 * the browser build can contain them.
 *
 * @internal
 * @module
 */
import { InterfaceError } from './errors.js'
import type { NativeModule } from './native.js'

let loader: () => NativeModule = () => {
  throw new InterfaceError('taosjs was loaded without an entry point: use the package itself (taosjs) or taosjs/browser, not its internal modules')
}
let readyLoader: () => Promise<NativeModule> = async () => loader()

/**
 * Called once by the entry point. `ready` loads the module asynchronously where that is the only
 * way (a page's WebAssembly build); absent, it is `load`.
 */
export function setNativeLoader(load: () => NativeModule, ready?: () => Promise<NativeModule>): void {
  loader = load
  readyLoader = ready ?? (async () => load())
}

/** The native module, loaded first if needed (what opens connections without a caller's `await ready()`: the pool). */
export function readyNative(): Promise<NativeModule> {
  return readyLoader()
}

/** The native module, loaded by the entry point's loader. */
export function currentNative(): NativeModule {
  return loader()
}
