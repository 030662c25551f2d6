#!/usr/bin/env node
// Builds the WebAssembly build of the addon with napi-rs (`wasm32-wasip1-threads`, no default
// features: no tokio, no sockets, no test server; see crates/taosjs-napi/Cargo.toml):
//   taosjs.wasm32-wasi.wasm   the module
//   taosjs.wasi.cjs           napi-rs's Node.js loader (the generated index.js falls back to it),
//                             taosjs.wasi.d.cts its types
//   wasi-worker.mjs           its worker (emnapi's thread pool; taosjs starts no threads)
// in the repository root, where the generated loader `index.js` looks, and in npm/wasm32-wasi/,
// from where scripts/stage-packages.mjs packs `taosjs-wasm32-wasi`; there also
//   taosjs.browser.js         the package's browser entry: src/wasm-browser.ts bundled with emnapi
//                             and a WASI shim into one file that imports nothing (napi-rs's own
//                             browser loader starts a pool of workers first and needs a bundler)
// The profile is dist (what ships: LTO, stripped) unless asked. The types come from the native
// build's index.d.ts, which describes the WebAssembly build's exports too.
//
//   node scripts/build-wasm.mjs [--profile dist|release]
//
// Adds the Rust target with rustup when it is missing.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const TARGET = 'wasm32-wasip1-threads'
/** The files a WebAssembly package ships (npm/wasm32-wasi/package.json "files" lists the same). */
export const WASM_FILES = ['taosjs.wasm32-wasi.wasm', 'taosjs.wasi.cjs', 'taosjs.wasi.d.cts', 'wasi-worker.mjs']

const { values: args } = parseArgs({ options: { profile: { type: 'string', default: 'dist' } } })
if (!['release', 'dist'].includes(args.profile)) {
  console.error(`build-wasm: unknown profile ${args.profile} (release or dist)`)
  process.exit(2)
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (r.error) return 127
  return r.status ?? 1
}

// The Rust standard library for the target: rustup (README's way to install Rust) adds it.
const sysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim()
if (!existsSync(join(sysroot, 'lib', 'rustlib', TARGET))) {
  console.log(`build-wasm: the Rust target ${TARGET} is missing: rustup target add ${TARGET}`)
  const code = run('rustup', ['target', 'add', TARGET])
  if (code !== 0) {
    console.error(`build-wasm: cannot add the Rust target ${TARGET}${code === 127 ? ' (no rustup: install Rust with rustup, or add the target to this toolchain)' : ''}`)
    process.exit(1)
  }
}

// A native build after a WebAssembly one rewrites taosjs.wasi.cjs and records in it that the root
// loader index.js is napi-rs's to manage; a WebAssembly build with --no-js would then delete
// index.js as stale and write none. The loader is regenerated just below, so it goes first.
for (const loader of ['taosjs.wasi.cjs', 'taosjs.wasi.d.cts']) rmSync(join(root, loader), { force: true })

const napi = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
const typesOut = join('target', 'wasm32-wasi.d.ts')
const code = run(process.execPath, [
  napi, 'build', '--platform', '--profile', args.profile, '--target', TARGET,
  '--manifest-path', 'crates/taosjs-napi/Cargo.toml', '--output-dir', '.',
  '--no-default-features', '--no-js', '--dts', typesOut,
])
if (code !== 0) process.exit(code)

// What napi-rs writes besides: a debug copy of the module, its browser loader and worker (replaced
// by taosjs.browser.js), a browser entry re-exporting the package (src/browser.ts is taosjs's),
// and the types of the build (index.d.ts describes its exports).
for (const extra of ['taosjs.wasm32-wasi.debug.wasm', 'taosjs.wasi-browser.js', 'wasi-worker-browser.mjs', 'browser.js', typesOut]) {
  rmSync(join(root, extra), { force: true })
}
const pkg = join(root, 'npm', 'wasm32-wasi')
for (const file of WASM_FILES) copyFileSync(join(root, file), join(pkg, file))

const { build } = await import('esbuild')
await build({
  entryPoints: [join(root, 'src', 'wasm-browser.ts')],
  outfile: join(pkg, 'taosjs.browser.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
})
console.log(`build-wasm: ${[...WASM_FILES, 'taosjs.browser.js'].join(', ')} (${args.profile} profile) in npm/wasm32-wasi/`)
