#!/usr/bin/env node
// Builds the native addon with napi-rs: `taosjs.<platform>.node` in the repository root (where the
// generated loader looks first), and the generated loader `index.js` / `index.d.ts`.
//
//   node scripts/build-native.mjs [--profile release|dist] [--target TRIPLE] [-- NAPI_BUILD_FLAGS…]
//
// `release` (`npm run build:native`, and `npm install` through `prepare`) is the developing build:
// `cargo test --release --workspace` shares its artefacts, so Rust compiles once (see below). `dist`
// (`npm run build:release`) is what ships: LTO, one codegen unit, stripped; the binary is also
// copied into npm/<platform>/, from where scripts/stage-packages.mjs packs it.
// TAOSJS_NATIVE_PROFILE picks the profile when no --profile is given. Flags after `--` go to `napi
// build` (the release workflow's cross-compiling `--use-napi-cross` or `-x`).
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseTriple, readNapiConfig } from '@napi-rs/cli'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args, positionals: napiFlags } = parseArgs({
  options: {
    profile: { type: 'string', default: process.env.TAOSJS_NATIVE_PROFILE || 'release' },
    target: { type: 'string' },
  },
  allowPositionals: true,
})
if (!['release', 'dist'].includes(args.profile)) {
  console.error(`build-native: unknown profile ${args.profile} (release or dist)`)
  process.exit(2)
}

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

const rustcHost = () => spawnSync('rustc', ['-vV'], { cwd: root, encoding: 'utf8' }).stdout?.match(/^host: (\S+)$/m)?.[1]
let host = rustcHost()
if (!host && spawnSync('rustup', ['--version'], { stdio: 'ignore' }).status === 0) {
  // rustup ≥ 1.28 no longer installs the toolchain rust-toolchain.toml pins on first use: without
  // a word, `rustc` here only says it is not installed. `rustup toolchain install` with no name
  // installs that one, with the targets the file lists.
  console.log('build-native: installing the Rust toolchain rust-toolchain.toml pins (rustup toolchain install)')
  spawnSync('rustup', ['toolchain', 'install', '--no-self-update'], { cwd: root, stdio: 'inherit' })
  host = rustcHost()
}
const target = args.target ?? host
if (!target) {
  console.error('build-native: `rustc` was not found; install Rust ≥ 1.88 with rustup (see README, "Two commands")')
  process.exit(1)
}

// Cargo compiles a crate once per feature set, and resolves features per command: for
// `-p taosjs-napi` alone it enables fewer features of serde, syn, chrono… than for `cargo test
// --workspace`, which adds every member and the dev-dependencies; each difference recompiles the
// crate and everything above it (the whole graph, for syn and serde). So the developing build
// resolves as the tests do: every member of the workspace, and a dev target (`--examples`; cargo
// activates dev-dependencies for it, and `cargo test` builds the examples anyway). What it builds
// besides the addon is the members' libraries, which the tests need, and one small example. The
// shipping build resolves for the addon alone: nothing a test needs goes into it.
const shareWithTests = args.profile === 'release' ? ['--', '--workspace', '--lib', '--examples'] : []
const napi = join(root, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
run(process.execPath, [
  napi, 'build', '--platform', '--profile', args.profile, '--target', target,
  '--manifest-path', 'crates/taosjs-napi/Cargo.toml', '--output-dir', '.',
  ...napiFlags, ...shareWithTests,
])

if (args.profile === 'dist') {
  const { binaryName } = await readNapiConfig(join(root, 'package.json'))
  const platform = parseTriple(target).platformArchABI
  const file = `${binaryName}.${platform}.node`
  const npmDir = join(root, 'npm', platform)
  if (!existsSync(npmDir)) {
    console.error(`build-native: npm/${platform} does not exist; add the target to package.json "napi.targets" and run \`napi create-npm-dirs\``)
    process.exit(1)
  }
  copyFileSync(join(root, file), join(npmDir, file))
  console.log(`build-native: ${file} (dist profile) copied to npm/${platform}/`)
}
