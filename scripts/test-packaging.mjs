#!/usr/bin/env node
// The packaging test: what a user gets from `npm install taosjs`, proven from packed tarballs.
//
// Stages and packs the main package, this machine's platform package and the WebAssembly package
// (scripts/stage-packages.mjs), checks the tarballs (contents, sizes, no install scripts, publint,
// attw, the browser build's imports), installs them into a fresh project outside the repository
// with no Rust toolchain on PATH, and there, on each runtime: `require('taosjs')` and
// `import('taosjs')` with a round trip against `TestServer`, and the round trip again on the
// WebAssembly build (`NAPI_RS_FORCE_WASI=1`); the fallback to WebAssembly when the platform package
// is missing; a TypeScript type-check of a consumer file (moduleResolution node16 and bundler), the
// errors of bad installs (damaged, missing, wrong-libc binary, too old a Node-API; without the
// WebAssembly package, which would take over) and the time `require` takes. Ends with
// `N passed, N failed, N skipped`.
//
//   node scripts/test-packaging.mjs [--runtimes node20,node22,node24,bun,deno|host] [--binary FILE]
//                                   [--max-glibc 2.17] [--keep]
//
// The runtimes, publint and attw come from npm (scripts/packaging/tools, linux-x64 only; cached in
// ~/.cache/taosjs). `--runtimes host` uses only the `node` running this script (the release
// workflow's native runners). --binary: the .node to ship; default npm/<platform>/ (put there by
// `npm run build:release`) or, when newer, the one `npm install` built in the repository, stripped.
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const fixtures = join(root, 'scripts', 'packaging')
const { values: args } = parseArgs({
  options: {
    runtimes: { type: 'string', default: 'node20,node22,node24,bun,deno' },
    binary: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'max-glibc': { type: 'string' },
  },
})

/** Budgets (README, "Install"): packed main package, the platform binary, require() on Node 22, the gzipped .wasm. */
/** Optional peer dependencies the facade loads with `import()` when a feature needs them. */
const OPTIONAL_PEERS = new Set(['apache-arrow'])
const BUDGET = { mainPackedBytes: 300_000, binaryBytes: 20_000_000, requireMs: 50, wasmGzipBytes: 2_000_000 }
const WASM_PKG = 'taosjs-wasm32-wasi'
/** The consumer's TypeScript toolchain, as a user's project would have it. */
const CONSUMER_DEV_DEPENDENCIES = ['typescript@5.9.3', '@types/node@20.19.43']

const results = { passed: 0, failed: 0, skipped: 0 }
function check(name, ok, detail = '') {
  results[ok ? 'passed' : 'failed']++
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`)
}
function skip(name, why) {
  results.skipped++
  console.log(`skip ${name} — ${why}`)
}

/** Runs a command; resolves { code, signal, stdout, stderr } (never rejects). */
function run(cmd, argv, { cwd = root, env = process.env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve) => {
    // npm is a .cmd script on Windows, which only a shell starts.
    const shell = process.platform === 'win32' && cmd === 'npm'
    const child = spawn(cmd, argv, { cwd, env, shell, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    child.on('error', (err) => resolve({ code: 127, signal: null, stdout, stderr: stderr + String(err) }))
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
}
const tail = (text, lines = 15) => text.trim().split('\n').slice(-lines).join('\n')

/** napi-rs's name for this platform (the part of `taosjs-<platform>`). */
function hostPlatform() {
  const { platform, arch } = process
  if (platform === 'linux') {
    let musl = false
    try {
      musl = readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
    } catch {
      musl = !process.report?.getReport()?.header?.glibcVersionRuntime
    }
    return `linux-${arch}-${musl ? 'musl' : 'gnu'}`
  }
  return platform === 'win32' ? `win32-${arch}-msvc` : `${platform}-${arch}`
}

/** The environment of a user's machine: no Rust on PATH, nothing inherited from `npm test`. */
function userEnv(extra = {}) {
  const env = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_|^INIT_CWD$|^CARGO|^RUSTUP|^NAPI_RS_|^NODE_PATH$|^NODE_OPTIONS$/i.test(key)) continue
    env[key] = value
  }
  const pathKey = Object.keys(env).find((key) => key.toUpperCase() === 'PATH') ?? 'PATH'
  env[pathKey] = (env[pathKey] ?? '')
    .split(delimiter)
    .filter((dir) => dir && !['cargo', 'rustc', 'cargo.exe', 'rustc.exe'].some((bin) => existsSync(join(dir, bin))))
    .join(delimiter)
  return { ...env, ...extra }
}

/** Installs the runtimes and linters of scripts/packaging/tools once, in a cache keyed by its lockfile. */
async function installTools() {
  const lock = readFileSync(join(fixtures, 'tools', 'package-lock.json'))
  const hash = createHash('sha256').update(readFileSync(join(fixtures, 'tools', 'package.json'))).update(lock).digest('hex').slice(0, 16)
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'taosjs', `packaging-tools-${hash}`)
  if (existsSync(join(cache, 'node_modules', '.package-lock.json'))) return cache
  const scratch = `${cache}.${process.pid}`
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch, { recursive: true })
  for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(fixtures, 'tools', file), join(scratch, file))
  const started = Date.now()
  const r = await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: scratch, env: userEnv(), timeoutMs: 600_000 })
  if (r.code !== 0) throw new Error(`installing the test's runtimes failed:\n${tail(r.stdout + r.stderr)}`)
  rmSync(cache, { recursive: true, force: true })
  renameSync(scratch, cache)
  console.log(`installed the runtimes and linters in ${cache} (${((Date.now() - started) / 1000).toFixed(0)}s)`)
  return cache
}

/** The newest glibc symbol version an ELF file needs (`2.34`); null when readelf cannot say. */
function glibcNeeded(file) {
  try {
    const versions = [...execFileSync('readelf', ['--dyn-syms', '-W', file], { encoding: 'utf8' }).matchAll(/@GLIBC_(\d+)\.(\d+)/g)]
    return versions.map((m) => [+m[1], +m[2]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).at(-1)?.join('.') ?? null
  } catch {
    return null
  }
}

/** ELF files keep a `.symtab` unless stripped; null when readelf is not there to say. */
function elfHasSymbols(file) {
  try {
    return /\s\.symtab\s/.test(execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' }))
  } catch {
    return null
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

// ---------------------------------------------------------------------------------------------
const platform = hostPlatform()
const pkg = `taosjs-${platform}`
const binaryFile = `taosjs.${platform}.node`
const hostOnly = args.runtimes === 'host'
const work = mkdtempSync(join(tmpdir(), 'taosjs-packaging-'))
console.log(`packaging test for ${platform} in ${work}`)

try {
  // The binary to ship: the dist build `npm run build:release` put in npm/<platform>/, unless the
  // repository's own build is newer (a stale dist binary would not match the facade); that one
  // (release profile; CI's too) is stripped as the dist profile strips.
  let binary = args.binary
  let binaryKind = 'given'
  const dist = join(root, 'npm', platform, binaryFile)
  const built = join(root, binaryFile)
  const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : -1)
  if (!binary && mtime(dist) >= 0 && mtime(dist) >= mtime(built)) {
    binary = dist
    binaryKind = 'dist profile'
  }
  if (!binary) {
    if (!existsSync(built)) throw new Error(`no ${binaryFile}: run \`npm install\` (or \`npm run build:release\`) first`)
    binary = join(work, binaryFile)
    const r = await run('strip', ['--strip-all', '-o', binary, built])
    if (r.code !== 0) copyFileSync(built, binary)
    binaryKind = r.code === 0 ? 'release profile, stripped' : 'release profile, not stripped (no strip tool)'
  }
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('no dist/: run `npm install` (or `npm run build:ts`) first')

  // Stage and pack, as the release workflow does.
  const stage = join(work, 'stage')
  const staging = await run(process.execPath, [join(root, 'scripts', 'stage-packages.mjs'), '--out', stage, '--platform', `${platform}=${binary}`])
  check('stage the packages', staging.code === 0, tail(staging.stdout + staging.stderr, 3))
  if (staging.code !== 0) throw new Error('cannot go on without packages')
  const tarballs = join(work, 'tarballs')
  mkdirSync(tarballs)
  const packed = {}
  const withWasm = existsSync(join(stage, WASM_PKG))
  if (!withWasm) skip(`${WASM_PKG}`, 'not built: run `npm run build:wasm`')
  for (const name of ['taosjs', pkg, ...(withWasm ? [WASM_PKG] : [])]) {
    const r = await run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: join(stage, name), env: userEnv() })
    if (r.code !== 0) throw new Error(`npm pack ${name} failed:\n${tail(r.stdout + r.stderr)}`)
    const [info] = JSON.parse(r.stdout)
    packed[name] = { ...info, tarball: join(tarballs, info.filename) }
  }

  // What the tarballs carry.
  const mainFiles = packed.taosjs.files.map((f) => f.path)
  const allowed = /^(package\.json|README\.md|LICENSE|index\.js|index\.d\.ts|dist\/[\w.-]+\.(js|mjs|d\.ts|d\.mts|js\.map|mjs\.map))$/
  const stray = mainFiles.filter((f) => !allowed.test(f))
  check('main package: only the facade, its types and the loader', stray.length === 0, stray.length ? `unexpected: ${stray.join(', ')}` : `${mainFiles.length} files`)
  check(
    `main package: packed ≤ ${BUDGET.mainPackedBytes / 1000} kB`,
    packed.taosjs.size <= BUDGET.mainPackedBytes,
    `${(packed.taosjs.size / 1000).toFixed(1)} kB packed, ${(packed.taosjs.unpackedSize / 1000).toFixed(1)} kB unpacked`,
  )
  const platformFiles = packed[pkg].files.map((f) => f.path).sort()
  const expected = ['LICENSE', 'README.md', binaryFile, 'package.json'].sort()
  check(`${pkg}: its binary alone`, JSON.stringify(platformFiles) === JSON.stringify(expected), platformFiles.join(', '))
  const binaryBytes = statSync(binary).size
  check(`${pkg}: ${binaryFile} ≤ ${BUDGET.binaryBytes / 1e6} MB`, binaryBytes <= BUDGET.binaryBytes, `${(binaryBytes / 1e6).toFixed(2)} MB (${binaryKind}), tarball ${(packed[pkg].size / 1e6).toFixed(2)} MB`)
  if (withWasm) {
    const wasmFiles = packed[WASM_PKG].files.map((f) => f.path).sort()
    const listed = JSON.parse(readFileSync(join(root, 'npm', 'wasm32-wasi', 'package.json'), 'utf8')).files
    const wanted = ['LICENSE', 'README.md', 'package.json', ...listed].sort()
    check(`${WASM_PKG}: the module, its loaders and the browser entry`, JSON.stringify(wasmFiles) === JSON.stringify(wanted), wasmFiles.join(', '))
    const wasm = readFileSync(join(stage, WASM_PKG, 'taosjs.wasm32-wasi.wasm'))
    const gz = gzipSync(wasm, { level: 9 }).length
    check(`${WASM_PKG}: .wasm ≤ ${BUDGET.wasmGzipBytes / 1e6} MB gzipped`, gz <= BUDGET.wasmGzipBytes, `${(wasm.length / 1e3).toFixed(0)} kB raw, ${(gz / 1e3).toFixed(0)} kB gzipped; tarball ${(packed[WASM_PKG].size / 1e3).toFixed(0)} kB`)
    // Parsed by esbuild (a text search would take an error message quoting an import for one):
    // every import of the entry, resolved or not, is listed in its metafile (`<runtime>` is
    // esbuild's own helpers).
    const { build } = await import('esbuild')
    const parsed = await build({
      entryPoints: [join(stage, WASM_PKG, 'taosjs.browser.js')],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      logLevel: 'silent',
      plugins: [{ name: 'every-import-external', setup: (b) => b.onResolve({ filter: /.*/ }, (a) => (a.kind === 'entry-point' ? undefined : { path: a.path, external: true })) }],
    })
    const bare = Object.values(parsed.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external && i.path !== '<runtime>').map((i) => i.path))
    check(`${WASM_PKG}: the browser entry imports nothing`, bare.length === 0, bare.join(', '))
  }
  // The browser build (taosjs/browser and the `browser` condition): no Node.js built-ins anywhere
  // in its module graph; its bare imports are the WebAssembly package and the optional peer
  // apache-arrow, loaded by `import()` only when toArrow() is called (listed in package.json).
  {
    const seen = new Set()
    const nodeImports = []
    const visit = (file) => {
      if (seen.has(file)) return
      seen.add(file)
      const text = readFileSync(join(stage, 'taosjs', 'dist', file), 'utf8')
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["']([^"']+)["']/g)) {
        if (m[1].startsWith('./')) visit(m[1].slice(2))
        else if (m[1] !== WASM_PKG && !(m[0].startsWith('import') && OPTIONAL_PEERS.has(m[1]))) nodeImports.push(`${file}: ${m[1]}`)
      }
    }
    for (const entry of ['browser.mjs', 'testing-browser.mjs']) visit(entry)
    check('the browser build imports no Node.js built-ins', nodeImports.length === 0, nodeImports.length ? nodeImports.join(', ') : `${seen.size} modules`)
  }
  const symbols = elfHasSymbols(binary)
  if (symbols === null) skip(`${pkg}: binary stripped`, 'no readelf here')
  else check(`${pkg}: binary stripped`, !symbols)
  if (platform.endsWith('-gnu')) {
    const needed = glibcNeeded(binary)
    const older = (a, b) => a.split('.').map(Number).reduce((d, x, i) => d || x - Number(b.split('.')[i] ?? 0), 0) <= 0
    if (args['max-glibc']) check(`${pkg}: runs on glibc ${args['max-glibc']}`, needed !== null && older(needed, args['max-glibc']), `needs glibc ${needed}`)
    else console.log(`info ${pkg}: needs glibc ≥ ${needed} (release builds cross-compile against 2.17)`)
  }
  for (const name of ['taosjs', pkg, ...(withWasm ? [WASM_PKG] : [])]) {
    const scripts = JSON.parse(readFileSync(join(stage, name, 'package.json'), 'utf8')).scripts ?? {}
    check(`${name}: no scripts at all (nothing runs at install)`, Object.keys(scripts).length === 0, Object.keys(scripts).join(', '))
  }

  let tools
  if (hostOnly) {
    skip('publint', '--runtimes host')
    skip('attw', '--runtimes host')
  } else {
    tools = await installTools()
    const bin = (name) => join(tools, 'node_modules', '.bin', name)
    const lint = await run(process.execPath, [bin('publint'), join(stage, 'taosjs'), '--strict'], { env: userEnv() })
    check('publint --strict on the main package', lint.code === 0 && !/warn|error|suggestion/i.test(lint.stdout + lint.stderr), tail(lint.stdout + lint.stderr, 8))
    const attw = await run(process.execPath, [bin('attw'), packed.taosjs.tarball, '--format', 'table-flipped'], { env: userEnv() })
    check('attw on the main tarball (node10, node16 CJS/ESM, bundler)', attw.code === 0, tail(attw.stdout + attw.stderr, 12))
  }

  // A fresh project outside the repository: the tarballs, and TypeScript as a user's project has it.
  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true }, null, 2)}\n`)
  cpSync(join(fixtures, 'consumer'), app, { recursive: true })
  for (const ext of ['mts', 'cts']) copyFileSync(join(app, 'usage.ts'), join(app, `usage.${ext}`))
  const env = userEnv()
  const cargo = await run('cargo', ['--version'], { env })
  check('the project has no Rust toolchain on PATH', cargo.code !== 0, cargo.code === 0 ? cargo.stdout.trim() : '')
  const tarballsToInstall = [packed.taosjs.tarball, packed[pkg].tarball, ...(withWasm ? [packed[WASM_PKG].tarball] : [])]
  const install = await run('npm', ['install', '--no-audit', '--no-fund', ...tarballsToInstall, ...CONSUMER_DEV_DEPENDENCIES], { cwd: app, env, timeoutMs: 300_000 })
  const installLog = install.stdout + install.stderr
  check(`npm install of the ${tarballsToInstall.length} tarballs`, install.code === 0, tail(installLog, install.code === 0 ? 1 : 15))
  check('npm reports no install script of taosjs', !/install-scripts[^\n]*taosjs/.test(installLog), tail(installLog.split('\n').filter((l) => /install-scripts/.test(l)).join('\n'), 4))
  const loader = join(app, 'node_modules', 'taosjs', 'index.js')

  // TypeScript: one consumer file, checked as ESM and CJS under node16 and under bundler.
  for (const config of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
    const tsc = await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { cwd: app, env })
    check(`tsc -p ${config}`, tsc.code === 0, tail(tsc.stdout + tsc.stderr, 10))
  }

  // Each runtime: require and import, each with a round trip against TestServer.
  const runtimes = {
    host: [process.execPath],
    node20: [join(tools ?? '', 'node_modules', 'node20', 'bin', 'node')],
    node22: [join(tools ?? '', 'node_modules', 'node22', 'bin', 'node')],
    node24: [join(tools ?? '', 'node_modules', 'node24', 'bin', 'node')],
    bun: [join(tools ?? '', 'node_modules', '@oven', 'bun-linux-x64-baseline', 'bin', 'bun')],
    deno: [join(tools ?? '', 'node_modules', '@deno', 'linux-x64-glibc', 'deno'), 'run', '-A'],
  }
  const runtimeEnv = { ...env, DENO_DIR: join(work, 'deno'), DENO_NO_UPDATE_CHECK: '1', BUN_INSTALL_CACHE_DIR: join(work, 'bun') }
  const version = async ([cmd, ...rest]) => {
    const r = await run(cmd, rest.length ? ['--version'] : ['-e', 'console.log(process.versions.bun ? "bun " + process.versions.bun : "node " + process.version)'], { cwd: app, env: runtimeEnv })
    return r.stdout.trim().split('\n')[0]
  }
  for (const name of args.runtimes.split(',')) {
    const command = runtimes[name]
    if (!command) {
      check(`runtime ${name}`, false, `unknown runtime (one of ${Object.keys(runtimes).join(', ')})`)
      continue
    }
    const label = `${name} (${await version(command)})`
    for (const [file, what] of [
      ['require.cjs', "require('taosjs')"],
      ['import.mjs', "import('taosjs')"],
    ]) {
      const r = await run(command[0], [...command.slice(1), file], { cwd: app, env: runtimeEnv, timeoutMs: 90_000 })
      check(`${label}: ${what} + TestServer round trip`, r.code === 0 && /round trip ok/.test(r.stdout), r.code === 0 ? '' : `exit ${r.code ?? r.signal}\n${tail(r.stdout + r.stderr)}`)
    }
    if (!withWasm) continue
    // The WebAssembly build (the embedded server still comes from the native addon).
    const what = "NAPI_RS_FORCE_WASI=1 require('taosjs') + TestServer round trip"
    if (name === 'bun') {
      // napi-rs's Node.js loader runs the module with node:wasi, whose initialize() Bun lacks.
      skip(`${label}: ${what}`, "Bun has no node:wasi initialize(); Bun loads the native addon (README, WebAssembly)")
      continue
    }
    const r = await run(command[0], [...command.slice(1), 'require.cjs'], { cwd: app, env: { ...runtimeEnv, NAPI_RS_FORCE_WASI: '1' }, timeoutMs: 120_000 })
    check(`${label}: ${what}`, r.code === 0 && /round trip ok/.test(r.stdout), r.code === 0 ? '' : `exit ${r.code ?? r.signal}\n${tail(r.stdout + r.stderr)}`)
  }

  // No platform package (a platform taosjs ships no binary for): the loader falls back to WebAssembly.
  if (withWasm) {
    const aside = join(work, 'platform-aside')
    renameSync(join(app, 'node_modules', pkg), aside)
    const server = await (await import(join(root, 'dist', 'testing.mjs'))).TestServer.start()
    try {
      const script = `require('taosjs').connect(process.env.DSN).then(async (c) => { const r = await c.query('select server_version()'); const rows = await r.toArray(); await c.close(); console.log('fallback ok', rows[0][0]) }).catch((e) => { console.error(e); process.exit(1) })`
      const node = hostOnly ? process.execPath : runtimes.node22[0]
      const r = await run(node, ['-e', script], { cwd: app, env: { ...runtimeEnv, DSN: server.dsn }, timeoutMs: 60_000 })
      check(`no ${pkg} installed: the loader falls back to ${WASM_PKG}`, r.code === 0 && /fallback ok/.test(r.stdout), r.code === 0 ? r.stdout.trim() : tail(r.stdout + r.stderr))
    } finally {
      await server.close()
      renameSync(aside, join(app, 'node_modules', pkg))
    }
  }

  // Bad installs: each gives one InterfaceError naming cause and fix, and the process lives. The
  // WebAssembly package would take over from a broken native addon, so it is put aside meanwhile.
  const wasmAside = join(work, 'wasm-aside')
  if (withWasm) renameSync(join(app, 'node_modules', WASM_PKG), wasmAside)
  const node = hostOnly ? process.execPath : runtimes.node22[0]
  const installed = join(app, 'node_modules', pkg, binaryFile)
  const good = join(work, 'good.node')
  copyFileSync(installed, good)
  async function loadError(name, expect, { command = [node, 'load-error.cjs'], setup = () => {}, restore = () => {} } = {}) {
    setup()
    try {
      const r = await run(command[0], command.slice(1), { cwd: app, env: runtimeEnv, timeoutMs: 60_000 })
      let report
      try {
        report = JSON.parse(r.stdout.trim().split('\n').at(-1))
      } catch {
        report = undefined
      }
      const missing = report?.message ? expect.filter((fragment) => !report.message.includes(fragment)) : expect
      const ok = r.code === 0 && report?.loaded === false && report.name === 'InterfaceError' && report.isTaosjsError && !report.message.includes('\n') && missing.length === 0
      check(`bad install, ${name}: one error with cause and fix`, ok, ok ? report.message : `exit ${r.code ?? r.signal}; ${missing.length ? `missing ${JSON.stringify(missing)}; ` : ''}${tail(r.stdout + r.stderr, 6)}`)
    } finally {
      restore()
    }
  }
  const putBack = () => copyFileSync(good, installed)
  // The ELF check names the truncation; dyld and LoadLibrary refuse such a file in their own words.
  const truncatedSays = process.platform === 'linux' ? ['damaged', 'truncated'] : ['damaged']
  await loadError('truncated binary', [pkg, ...truncatedSays, 'npm install'], {
    setup: () => writeFileSync(installed, readFileSync(good).subarray(0, 64 * 1024)),
    restore: putBack,
  })
  await loadError('binary that is not a library', [pkg, 'damaged', 'npm install'], { setup: () => writeFileSync(installed, 'not an ELF file\n'), restore: putBack })
  const aside = join(work, 'aside')
  await loadError('platform package missing', [pkg, 'not installed', 'npm install'], {
    setup: () => renameSync(join(app, 'node_modules', pkg), aside),
    restore: () => renameSync(aside, join(app, 'node_modules', pkg)),
  })
  // A platform taosjs ships no binary for: as if this one were not in optionalDependencies.
  const mainManifest = join(app, 'node_modules', 'taosjs', 'package.json')
  const manifestText = readFileSync(mainManifest, 'utf8')
  await loadError('a platform with no prebuilt binary', [`no prebuilt binary for ${platform}`, 'NAPI_RS_NATIVE_LIBRARY_PATH'], {
    setup: () => {
      const manifest = JSON.parse(manifestText)
      delete manifest.optionalDependencies[pkg]
      writeFileSync(mainManifest, JSON.stringify(manifest))
      renameSync(join(app, 'node_modules', pkg), aside)
    },
    restore: () => {
      writeFileSync(mainManifest, manifestText)
      renameSync(aside, join(app, 'node_modules', pkg))
    },
  })
  // node_modules from a glibc machine on a musl one: a mount namespace shows Node an ldd that says musl.
  const otherLibc = platform.endsWith('-gnu') ? platform.replace(/-gnu$/, '-musl') : undefined
  const canUnshare = process.platform === 'linux' && process.getuid?.() === 0 && (await run('unshare', ['-m', 'true'])).code === 0
  if (otherLibc && canUnshare) {
    const fakeLdd = join(work, 'ldd-musl')
    writeFileSync(fakeLdd, '#!/bin/sh\necho "musl libc (x86_64)"\n', { mode: 0o755 })
    await loadError(`${pkg} on a musl system`, [`taosjs-${otherLibc}`, 'not installed', pkg, 'npm install'], {
      command: ['unshare', '-m', 'sh', '-c', `mount --bind "${fakeLdd}" /usr/bin/ldd && exec "${node}" load-error.cjs`],
    })
  } else {
    skip('bad install, wrong C library', otherLibc ? 'needs root and unshare -m' : `no other C library for ${platform}`)
  }
  if (hostOnly) skip('bad install, Node-API 8 (Node.js 20.2)', '--runtimes host')
  else await loadError('Node.js 20.2 (Node-API 8)', ['Node-API 9', 'v20.2.0', 'upgrade Node.js'], { command: [join(tools, 'node_modules', 'node20-napi8', 'bin', 'node'), 'load-error.cjs'] })
  if (process.platform !== 'win32') await loadError(`NAPI_RS_FORCE_WASI=1 without ${WASM_PKG}`, ['WebAssembly', 'NAPI_RS_FORCE_WASI=1', WASM_PKG, 'npm install'], {
    command: ['env', 'NAPI_RS_FORCE_WASI=1', node, '-e', "require('taosjs').connect('ws://127.0.0.1:1').then(() => console.log(JSON.stringify({ loaded: true })), (err) => console.log(JSON.stringify({ loaded: false, name: err.name, isTaosjsError: err instanceof require('taosjs').Error, message: err.message })))"],
  })
  if (withWasm) renameSync(wasmAside, join(app, 'node_modules', WASM_PKG))

  // Budget: require('taosjs') and loading the addon (what the first connect() does), no connection.
  // Checked on CPU time, which a busy machine leaves alone; wall time is reported beside it.
  const timing = `const c = process.cpuUsage(), t = performance.now(); require('taosjs'); require(${JSON.stringify(loader)}); const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000)`
  const wall = []
  const cpu = []
  for (let i = 0; i < 7; i++) {
    const r = await run(node, ['-e', timing], { cwd: app, env })
    const [w, c] = r.stdout.trim().split(' ').map(Number)
    if (r.code === 0 && c > 0) {
      wall.push(w)
      cpu.push(c)
    }
  }
  const timed = `require('taosjs') + loading the addon ≤ ${BUDGET.requireMs} ms CPU (median of 7, ${await version([node])})`
  const figures = `${median(cpu)?.toFixed(1)} ms CPU, ${median(wall)?.toFixed(1)} ms wall`
  // The budget is set for Node 22 on Linux x64; other runners report their figure.
  if (hostOnly) console.log(`info ${timed}: ${figures}`)
  else check(timed, cpu.length === 7 && median(cpu) <= BUDGET.requireMs, figures)
} catch (err) {
  check('packaging test ran to the end', false, err.message)
} finally {
  if (args.keep) console.log(`kept ${work}`)
  else rmSync(work, { recursive: true, force: true })
}

console.log(`${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`)
process.exit(results.failed > 0 ? 1 : 0)
