/** The WebAssembly package as src/browser.ts imports it (its exports: NativeSession in index.d.ts). */
declare module 'taosjs-wasm32-wasi'
