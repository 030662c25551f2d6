// The taosjs client on the WebAssembly build: the same workloads (taosjs.mjs), with the addon
// loaded as napi-rs's WebAssembly build and driven from JavaScript (NAPI_RS_FORCE_WASI=1).
process.env.NAPI_RS_FORCE_WASI = '1'
await import('./taosjs.mjs')
