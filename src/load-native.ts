/**
 * Loading the addon on Node.js, Bun and Deno, and saying clearly why it did not load.
 *
 * The generated loader (`index.js`, reached through the private `#native` import) picks the
 * binary: `NAPI_RS_NATIVE_LIBRARY_PATH` when set, else a `taosjs.<platform>.node` built in the
 * repository, else the platform package `taosjs-<platform>` that npm installed as an optional
 * dependency; when none loads, the WebAssembly build (`taosjs.wasi.cjs` built in the repository,
 * or the package `taosjs-wasm32-wasi`). `NAPI_RS_FORCE_WASI` chooses the WebAssembly build first:
 * `1` or `error` load only it, `true` prefers it and falls back to the native addon (napi-rs's
 * meaning). When nothing loads, the loader's error is a chain of raw `require`/`dlopen` messages;
 * some bad files crash the process instead. This module checks what can crash before loading,
 * and turns a failure into one {@link InterfaceError} naming the platform, the package or file,
 * the cause and the fix; the raw chain stays in `cause` for a bug report.
 *
 * The WebAssembly build exports the sans-IO session, not connections: {@link loadNative} puts the
 * JavaScript driver (`session-driver.ts`) on top of it, so the facade sees the same interface.
 *
 * @internal
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { InterfaceError, NotSupportedError } from './errors.js'
import type { NativeModule, NativeTestServer, NativeTestServerOptions } from './native.js'
import { openNodeSocket } from './node-socket.js'
import { runtimeName } from './runtime.js'
import { sessionDriven, type SessionBinding } from './session-driver.js'

/** The addon is built with napi-rs's `napi9` feature (crates/taosjs-napi): Node-API 9 or later. */
const NODE_API_VERSION = 9
/** The first Node.js 20 release with Node-API 9 (`engines` in package.json says the same). */
const NODE_API_FIRST_NODE = '20.3.0'

type Require = ReturnType<typeof createRequire>

/** What either build exports: connections (native) or the session (WebAssembly). */
type Binding = Partial<NativeModule> & Partial<SessionBinding> & { __napiBindingTarget?: string }

let loaded: NativeModule | undefined
let warned = false

/** Loads the addon on first use, so that importing the facade never needs the binary. */
export function loadNative(): NativeModule {
  if (loaded === undefined) {
    const binding = loadAddon<Binding>()
    loaded =
      typeof binding.connect === 'function' && typeof binding.startTestServer === 'function'
        ? (binding as NativeModule)
        : sessionDriven(binding as SessionBinding, openNodeSocket, nativeTestServer)
  }
  return loaded
}

/** Which build {@link loadNative} loaded: `'native'` or `'wasm32-wasi'`. */
export function loadedBuild(): string {
  const binding = loadAddon<Binding>()
  return binding.__napiBindingTarget ?? 'native'
}

/** `NAPI_RS_FORCE_WASI` as napi-rs's loader reads it: `1` means the same as `error` (WASM only). */
function forcedWasi(): string | undefined {
  const value = process.env.NAPI_RS_FORCE_WASI
  return value === '1' ? 'error' : value === 'true' || value === 'error' ? value : undefined
}

/** Loads the addon (`require` caches it); throws one {@link InterfaceError} when it cannot. */
export function loadAddon<T>(): T {
  const require = createRequire(import.meta.url)
  const target = new Target(require)
  const forced = forcedWasi()
  if (forced === undefined) {
    checkNodeApi()
    target.checkNotTruncated()
  }
  const given = process.env.NAPI_RS_FORCE_WASI
  try {
    // The generated loader reads the variable once, when it first runs.
    if (forced !== undefined) process.env.NAPI_RS_FORCE_WASI = forced
    const binding = require('#native') as T & { __napiBindingTarget?: string }
    // A native addon that is there but did not load (damaged, another platform's): the WebAssembly
    // build took over, which works but is slower; say so once.
    const native = target.nativeFile()
    if (forced === undefined && binding.__napiBindingTarget === 'wasm32-wasi' && native !== undefined && !warned) {
      warned = true
      process.emitWarning(`taosjs runs as WebAssembly: its native addon ${native} is installed but did not load (check with \`node -e "require('${native.replace(/\\/g, '/')}')"\`). Fix: reinstall taosjs on this machine`, { code: 'TAOSJS_WASM_FALLBACK' })
    }
    return binding
  } catch (err) {
    throw forced === 'error' ? target.explainWasm(err, given ?? forced) : target.explain(err)
  } finally {
    if (given === undefined) delete process.env.NAPI_RS_FORCE_WASI
    else process.env.NAPI_RS_FORCE_WASI = given
  }
}

/**
 * `TestServer` under the WebAssembly build: the embedded server lives in the native addon only,
 * so it is loaded on its own when it can be (`NAPI_RS_FORCE_WASI` on a platform with a binary).
 */
async function nativeTestServer(options: NativeTestServerOptions): Promise<NativeTestServer> {
  const require = createRequire(import.meta.url)
  const file = new Target(require).nativeFile()
  let addon: Partial<NativeModule>
  try {
    if (file === undefined) throw new Error('no native addon is installed for this platform')
    addon = require(file) as Partial<NativeModule>
  } catch (err) {
    throw new NotSupportedError(
      `TestServer needs the native addon, which did not load in ${runtimeName()} (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); ` +
        'taosjs runs as WebAssembly here, which has no embedded server. Fix: run the tests where the native addon loads, or start the standalone taos-testserver and connect to its ws:// DSN',
      { cause: err },
    )
  }
  if (typeof addon.startTestServer !== 'function') throw new NotSupportedError(`${file} has no embedded server`)
  return addon.startTestServer(options)
}

/** An older Node-API fails later, at the first call of a newer function, by killing the process. */
function checkNodeApi(): void {
  const napi = Number(process.versions.napi)
  if (Number.isInteger(napi) && napi < NODE_API_VERSION) {
    throw new InterfaceError(
      `taosjs needs Node-API ${NODE_API_VERSION}, but this Node.js ${process.version} has Node-API ${napi}. ` +
        `Fix: upgrade Node.js to ${NODE_API_FIRST_NODE} or later (20, 22 and 24 are tested).`,
    )
  }
}

const DAMAGED =
  /invalid ELF header|file too short|truncated|ELF load command|wrong ELF class|not a valid Win32 application|is not a valid|not a mach-o file|slice is not valid mach-o|unknown file type|no suitable image found|Module did not self-register|wrong architecture|incompatible architecture/i
const WRONG_LIBC = /GLIBC_[\d.]+'? not found|GLIBCXX|libc\.musl|ld-musl|ld-linux|Error relocating/i

/** This machine's binary: its platform name, package, and the file the generated loader tries. */
class Target {
  /** napi-rs's platform name: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, … */
  readonly triple = platformTriple()
  readonly pkg = `taosjs-${this.triple}`
  readonly fileName = `taosjs.${this.triple}.node`
  /** This package's directory (package.json and the generated index.js). */
  private readonly root: string | undefined
  private readonly override = process.env.NAPI_RS_NATIVE_LIBRARY_PATH || undefined

  constructor(private readonly require: Require) {
    this.root = tryOr(() => dirname(require.resolve('#native')), undefined)
  }

  private get local(): string | undefined {
    return this.root && join(this.root, this.fileName)
  }

  /** The native addon's file, when there is one to load (an override, a local build, the package's). */
  nativeFile(): string | undefined {
    const file = this.candidate()
    return file !== undefined && existsSync(file) ? file : undefined
  }

  /** The loader found no WebAssembly build it could load, and the native addon was not wanted. */
  explainWasm(err: unknown, asked: string): InterfaceError {
    const loadErrors = chainMessages(err).filter((m) => !/^(Cannot find (module|native binding)|Failed to load native binding)/.test(m))
    const local = this.root && join(this.root, 'taosjs.wasi.cjs')
    const installed = this.packageDir('taosjs-wasm32-wasi')
    const where = local && existsSync(local) ? local : installed
    const detail = loadErrors.map(firstLine).find((m) => m.length > 0)
    const cause = where
      ? `${where} failed to load${detail ? ` (${detail})` : ''}`
      : 'the package taosjs-wasm32-wasi (an optional dependency of taosjs) is not installed'
    return new InterfaceError(
      `taosjs cannot load its WebAssembly build, which NAPI_RS_FORCE_WASI=${asked} asks for (${runtimeName()}): ${cause}. ` +
        'Fix: `npm install taosjs-wasm32-wasi` (in this repository: `npm run build:wasm`), or unset NAPI_RS_FORCE_WASI to use the native addon',
      { cause: err },
    )
  }

  /** The file the loader tries first, in its order: the override, a local build, the package's. */
  private candidate(): string | undefined {
    if (this.override) return this.override
    if (this.local && existsSync(this.local)) return this.local
    const installed = this.packageDir(this.pkg)
    return installed && join(installed, this.fileName)
  }

  private packageDir(name: string): string | undefined {
    return tryOr(() => dirname(this.require.resolve(`${name}/package.json`)), undefined)
  }

  private fail(cause: string, fix: string, err?: unknown): InterfaceError {
    return new InterfaceError(
      `taosjs cannot load its native addon for ${this.triple} (${runtimeName()}): ${cause}. Fix: ${fix}.`,
      err === undefined ? undefined : { cause: err },
    )
  }

  private reinstall(file: string): string {
    if (this.override) return `rebuild ${file}, or unset NAPI_RS_NATIVE_LIBRARY_PATH to use the prebuilt ${this.pkg}`
    if (file === this.local) return 'rebuild it: `npm run build:native`'
    return `reinstall it: remove node_modules/${this.pkg} and run \`npm install\``
  }

  /**
   * A truncated ELF file (an interrupted copy or extraction) is not refused by the dynamic
   * loader: it maps pages past the end and the process dies of SIGBUS while relocating. The
   * headers say how long the file must be, so a few hundred bytes read first turn that crash into
   * an error. Mach-O and PE loaders refuse such files with an error of their own.
   */
  checkNotTruncated(): void {
    if (process.platform === 'darwin' || process.platform === 'win32') return
    const file = this.candidate()
    const missing = file ? elfShortfall(file) : 0
    if (file && missing > 0) {
      throw this.fail(`${file} is damaged (truncated: ${missing} bytes missing)`, this.reinstall(file))
    }
  }

  /** Turns the generated loader's error chain into one error with a cause and a fix. */
  explain(err: unknown): InterfaceError {
    const loadErrors = chainMessages(err).filter((m) => !/^(Cannot find (module|native binding)|Failed to load native binding)/.test(m))
    const file = this.candidate()
    if (file && existsSync(file)) {
      const message = firstLine(loadErrors.find((m) => m.includes(file)) ?? loadErrors[0] ?? 'unknown error')
      if (DAMAGED.test(message)) return this.fail(`${file} is damaged or is not a Node.js addon for ${this.triple} (${message})`, this.reinstall(file), err)
      if (WRONG_LIBC.test(message)) {
        return this.fail(
          `${file} does not fit this system's C library (${message})`,
          `install taosjs on this machine, so that npm picks the binary for its C library (glibc ≥ 2.17 or musl), instead of copying node_modules from another`,
          err,
        )
      }
      return this.fail(`${file} failed to load (${message})`, this.reinstall(file), err)
    }
    if (this.override) return this.fail(`NAPI_RS_NATIVE_LIBRARY_PATH=${this.override} does not exist`, this.reinstall(this.override), err)
    if (file) return this.fail(`${this.pkg} is installed but has no ${this.fileName}`, this.reinstall(file), err)
    if (this.root && existsSync(join(this.root, 'Cargo.toml'))) {
      return this.fail(`${this.fileName} has not been built in this repository`, 'build it: `npm run build:native` (`npm install` does too)', err)
    }
    const prebuilt = this.prebuiltTriples()
    if (prebuilt.length > 0 && !prebuilt.includes(this.triple)) {
      return this.fail(
        `there is no prebuilt binary for ${this.triple} (prebuilt: ${prebuilt.join(', ')})`,
        `build ${this.fileName} in a clone of the taosjs repository (\`npm install\` there builds it) and set NAPI_RS_NATIVE_LIBRARY_PATH to its path`,
        err,
      )
    }
    const others = prebuilt.filter((t) => t !== this.triple && this.packageDir(`taosjs-${t}`) !== undefined).map((t) => `taosjs-${t}`)
    if (others.length > 0) {
      return this.fail(
        `the package ${this.pkg} is not installed, but ${others.join(', ')} (for another platform or C library) is: node_modules was installed on another machine`,
        `run \`npm install\` on this machine (if npm still skips ${this.pkg}, remove node_modules and package-lock.json first)`,
        err,
      )
    }
    return this.fail(
      `the package ${this.pkg} (an optional dependency of taosjs) is not installed`,
      `run \`npm install\` again, without --omit=optional / --no-optional; if npm still skips it, remove node_modules and package-lock.json and install again (npm bug 4828)`,
      err,
    )
  }

  /** The platforms with a prebuilt package: the `taosjs-*` entries of `optionalDependencies`. */
  private prebuiltTriples(): string[] {
    type Manifest = { optionalDependencies?: Record<string, string> }
    const manifest = tryOr((): Manifest => JSON.parse(readFileSync(join(this.root!, 'package.json'), 'utf8')), {} as Manifest)
    return Object.keys(manifest.optionalDependencies ?? {})
      .filter((name) => name.startsWith('taosjs-'))
      .map((name) => name.slice('taosjs-'.length))
  }
}

/** napi-rs's platform name for this process, decided as the generated loader decides it. */
function platformTriple(): string {
  const { platform, arch } = process
  if (platform === 'linux') {
    const libc = isMusl() ? 'musl' : 'gnu'
    return arch === 'arm' ? `linux-arm-${libc}eabihf` : `linux-${arch}-${libc}`
  }
  if (platform === 'win32') return `win32-${arch}-msvc`
  if (platform === 'android') return arch === 'arm' ? 'android-arm-eabi' : `android-${arch}`
  return `${platform}-${arch}`
}

/** Same order as the generated loader: what `ldd` is, then the C library Node itself runs on. */
function isMusl(): boolean {
  const ldd = tryOr(() => readFileSync('/usr/bin/ldd', 'utf8'), undefined)
  if (ldd !== undefined) return ldd.includes('musl')
  return tryOr(() => {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
    return header !== undefined && header.glibcVersionRuntime === undefined
  }, false)
}

/** How many bytes an ELF file lacks to hold what its own headers describe (0: whole, or not ELF). */
function elfShortfall(file: string): number {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const size = fstatSync(fd).size
    const header = Buffer.alloc(64)
    if (readSync(fd, header, 0, 64, 0) < 64 || header.readUInt32BE(0) !== 0x7f454c46) return 0
    const is64 = header[4] === 2
    const le = header[5] === 1
    const u16 = (b: Buffer, at: number) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at))
    const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at))
    const word = (b: Buffer, at: number) => (is64 ? Number(le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at)) : u32(b, at))
    const phoff = word(header, is64 ? 0x20 : 0x1c)
    const shoff = word(header, is64 ? 0x28 : 0x20)
    const phentsize = u16(header, is64 ? 0x36 : 0x2a)
    const phnum = u16(header, is64 ? 0x38 : 0x2c)
    const shentsize = u16(header, is64 ? 0x3a : 0x2e)
    const shnum = u16(header, is64 ? 0x3c : 0x30)
    let needed = Math.max(phoff + phentsize * phnum, shoff + shentsize * shnum)
    const table = Buffer.alloc(phentsize * phnum)
    if (phoff + table.length <= size && readSync(fd, table, 0, table.length, phoff) === table.length) {
      for (let i = 0; i < phnum; i++) {
        const offset = word(table, i * phentsize + (is64 ? 0x08 : 0x04))
        const fileSize = word(table, i * phentsize + (is64 ? 0x20 : 0x10))
        needed = Math.max(needed, offset + fileSize)
      }
    }
    return Math.max(0, needed - size)
  } catch {
    return 0 // unreadable: the loader reports it
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Every message in the error and its `cause` chain, outermost first. */
function chainMessages(err: unknown): string[] {
  const out: string[] = []
  for (let e = err, depth = 0; e != null && depth < 20; e = (e as { cause?: unknown }).cause, depth++) {
    out.push(e instanceof Error ? e.message : String(e))
  }
  return out
}

/** A load error's first line: dlopen's message (a module-not-found error lists its requirers after it). */
function firstLine(message: string): string {
  return message.split('\n')[0]!.trim()
}


function tryOr<T, U>(f: () => T, fallback: U): T | U {
  try {
    return f()
  } catch {
    return fallback
  }
}
