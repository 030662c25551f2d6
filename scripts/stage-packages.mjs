#!/usr/bin/env node
// Lays out the npm packages exactly as they are published, one directory each:
//   <out>/taosjs/             the main package: the files `npm pack` takes from the repository
//                             (package.json "files"), and a package.json with
//                             - optionalDependencies: one `taosjs-<platform>` per target in
//                               "napi.targets", at this version (as `napi pre-publish` adds them;
//                               the repository itself does not depend on its own binaries), and
//                             - none of what only developing needs: scripts (the `prepare` build
//                               above all, which npm counts as an install script), devDependencies,
//                               the ava config;
//   <out>/taosjs-<platform>/  npm/<platform>/: its package.json and README, the files it lists
//                             (the binary), and the licence.
// `npm pack` or `npm publish` then runs in each directory: the release workflow publishes them,
// the packaging test installs them.
//
//   node scripts/stage-packages.mjs [--out DIR] [--platform NAME=BINARY]... [--all]
//
// Without --platform, each npm/<platform>/ whose binary is there is staged (`npm run
// build:release` puts the host's there; the release workflow every target's). --platform takes the
// binary from elsewhere. --all fails unless every target has its binary.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseTriple } from '@napi-rs/cli'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'target', 'npm-stage') },
    platform: { type: 'string', multiple: true, default: [] },
    all: { type: 'boolean', default: false },
  },
})

/** Fields of the repository's package.json that only developing needs. */
const DEVELOPMENT_ONLY = ['scripts', 'devDependencies', 'ava']
/** npm runs these when a package is installed (`prepare` for a tarball or git install). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare']

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'))
const writeJson = (file, value) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
function fail(message) {
  console.error(`stage-packages: ${message}`)
  process.exit(1)
}

const main = readJson(join(root, 'package.json'))
const binaryName = main.napi?.binaryName ?? fail('package.json has no napi.binaryName')
const platforms = (main.napi?.targets ?? []).map((triple) => parseTriple(triple).platformArchABI)
const given = new Map(
  args.platform.map((spec) => {
    const at = spec.indexOf('=')
    if (at < 0) fail(`--platform wants NAME=BINARY, got ${spec}`)
    if (!platforms.includes(spec.slice(0, at))) fail(`--platform ${spec.slice(0, at)} is not one of napi.targets (${platforms.join(', ')})`)
    return [spec.slice(0, at), resolve(spec.slice(at + 1))]
  }),
)
const out = resolve(args.out)
rmSync(out, { recursive: true, force: true })

// The platform packages: npm/<platform>/package.json as `napi create-npm-dirs` wrote it.
const optionalDependencies = {}
const staged = []
for (const platform of platforms) {
  const manifestFile = join(root, 'npm', platform, 'package.json')
  if (!existsSync(manifestFile)) fail(`npm/${platform} is missing: run \`npx napi create-npm-dirs\``)
  const manifest = readJson(manifestFile)
  if (manifest.name !== `${main.name}-${platform}`) fail(`npm/${platform} is named ${manifest.name}, not ${main.name}-${platform}`)
  if (manifest.version !== main.version) fail(`${manifest.name} is at ${manifest.version}, taosjs at ${main.version}: run \`npx napi version\``)
  if (!manifest.files?.includes(manifest.main)) fail(`${manifest.name}: "files" must list "main"`)
  // The WebAssembly build runs on every CPU (napi.wasm.cpu = false): npm installs it everywhere, so
  // that the loader can fall back to it wherever no native binary loads.
  if (!manifest.cpu?.length && platform !== 'wasm32-wasi') fail(`${manifest.name} has no "cpu"`)
  optionalDependencies[manifest.name] = main.version
  // Each of "files" comes from npm/<platform>/, the native binary from --platform when given.
  const binaryFile = `${binaryName}.${platform}.node`
  const source = (file) => (file === binaryFile && given.has(platform) ? given.get(platform) : join(root, 'npm', platform, file))
  const absent = manifest.files.filter((file) => !existsSync(source(file)))
  if (absent.length > 0) {
    if (args.all || given.has(platform)) fail(`${manifest.name}: missing ${absent.map(source).join(', ')}`)
    continue
  }
  const dir = join(out, manifest.name)
  mkdirSync(dir, { recursive: true })
  writeJson(join(dir, 'package.json'), manifest)
  copyFileSync(join(root, 'npm', platform, 'README.md'), join(dir, 'README.md'))
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'))
  for (const file of manifest.files) copyFileSync(source(file), join(dir, file))
  staged.push(manifest.name)
}

// The main package.
const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' }))
const mainDir = join(out, main.name)
for (const { path } of listing[0].files) {
  if (path.endsWith('.node')) fail(`the main package would carry ${path}`)
  mkdirSync(dirname(join(mainDir, path)), { recursive: true })
  copyFileSync(join(root, path), join(mainDir, path))
}
const published = { ...main, optionalDependencies }
for (const field of DEVELOPMENT_ONLY) delete published[field]
writeJson(join(mainDir, 'package.json'), published)

for (const name of [main.name, ...staged]) {
  const found = INSTALL_SCRIPTS.filter((script) => script in (readJson(join(out, name, 'package.json')).scripts ?? {}))
  if (found.length > 0) fail(`${name} would run ${found.join(', ')} when installed`)
}
console.log(`staged in ${out}: ${[main.name, ...staged].join(', ')}`)
