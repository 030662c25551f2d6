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

/** Called once by the entry point. */
export function setNativeLoader(load: () => NativeModule): void {
  loader = load
}

/** The native module, loaded by the entry point's loader. */
export function currentNative(): NativeModule {
  return loader()
}
