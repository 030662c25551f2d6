#!/usr/bin/env node
// `npm test`: every suite of the project, one after the other, then one closing line
// `N passed, N failed[, N skipped]` summed over all of them (CI reads that line).
//
// Suites: Rust (cargo test, release profile shared with the developer's addon build, so Rust
// compiles once), the WASM build of the sans-IO core, the official Python clients against the
// embedded server, and the ava specs of the Node package. Opt-in suites run only when named
// (`npm test -- --with packaging`, or `node scripts/test-all.mjs packaging`): the packaging test
// installs the packed tarballs on five runtimes it downloads, so it is CI's (.ci/run), not every
// developer's.
//
// What a suite needs beyond README's prerequisites it installs itself: the WASM suite adds the
// Rust target `wasm32-wasip1-threads` with rustup when it is missing.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const withAt = argv.indexOf('--with');
const extra = withAt >= 0 ? (argv[withAt + 1] ?? '').split(',') : [];
const only = withAt >= 0 ? argv.filter((_, i) => i !== withAt && i !== withAt + 1) : argv;

// `napi build --platform` compiles for an explicit `--target <host triple>`; cargo test does the
// same so that both share target/<triple>/release and Rust compiles once per run.
const host = execFileSync('rustc', ['-vV'], { encoding: 'utf8' }).match(/^host: (\S+)$/m)[1];
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const testserverBin = join(targetDir, host, 'release', 'taos-testserver');

/** Runs a command, echoing its output, and resolves with { code, output }. */
function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const echo = (stream) => (chunk) => {
      output += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    child.on('error', (err) => resolve({ code: 127, output: output + String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const WASM_TARGET = 'wasm32-wasip1-threads';

/**
 * The WASM suite needs the Rust standard library for its target. rustup (README's way to install
 * Rust) adds it; a toolchain without rustup must already have it.
 */
async function ensureRustTarget() {
  const sysroot = execFileSync('rustc', ['--print', 'sysroot'], { encoding: 'utf8' }).trim();
  if (existsSync(join(sysroot, 'lib', 'rustlib', WASM_TARGET))) return { code: 0, output: '' };
  console.log(`the Rust target ${WASM_TARGET} is missing: rustup target add ${WASM_TARGET}`);
  const added = await run('rustup', ['target', 'add', WASM_TARGET]);
  if (added.code === 127) {
    const message = `the Rust target ${WASM_TARGET} is missing and there is no rustup to add it: install Rust with rustup, or add the target to this toolchain`;
    console.error(message);
    return { code: 1, output: message };
  }
  return added;
}

/** cargo's libtest lines: `test result: ok. 12 passed; 0 failed; 1 ignored; …`. */
function countCargo(output) {
  const c = { passed: 0, failed: 0, skipped: 0 };
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)) {
    c.passed += +m[1];
    c.failed += +m[2];
    c.skipped += +m[3];
  }
  return c;
}

/** A plain closing line `N passed, N failed[, N skipped]`; the last one wins. */
function countPlain(output) {
  const lines = [...output.matchAll(/^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/gm)];
  const m = lines.at(-1);
  return m ? { passed: +m[1], failed: +m[2], skipped: +(m[3] ?? 0) } : null;
}

/** TAP summary as printed by `ava --tap`. */
function countTap(output) {
  const pick = (name) => +(output.match(new RegExp(`^# ${name} (\\d+)`, 'm'))?.[1] ?? 0);
  if (!/^# (pass|fail|tests) /m.test(output)) return null;
  return { passed: pick('pass'), failed: pick('fail'), skipped: pick('skip') + pick('todo') };
}

const suites = [
  {
    name: 'rust',
    cmd: 'cargo',
    args: ['test', '--release', '--workspace', '--target', host, '--', '--test-threads=2'],
    count: countCargo,
  },
  {
    name: 'wasm',
    cmd: 'cargo',
    args: ['build', '--release', '-p', 'taosjs-core', '--target', WASM_TARGET],
    prepare: ensureRustTarget,
    // One check: the sans-IO core builds for WebAssembly.
    count: (_out, code) => ({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 }),
  },
  {
    name: 'conformance',
    cmd: 'bash',
    args: ['scripts/conformance/run.sh'],
    env: { TESTSERVER_BIN: testserverBin },
    enabled: () => existsSync(join(root, 'scripts/conformance/run.sh')),
    count: countPlain,
  },
  {
    name: 'ava',
    cmd: 'npm',
    args: ['run', '--silent', 'test:ava', '--', '--tap'],
    count: countTap,
  },
  {
    name: 'packaging',
    cmd: process.execPath,
    args: ['scripts/test-packaging.mjs'],
    optIn: true,
    count: countPlain,
  },
];

const total = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
for (const suite of suites) {
  const named = only.includes(suite.name) || extra.includes(suite.name);
  if (!(only.length ? named : !suite.optIn || named)) continue;
  if (suite.enabled && !suite.enabled()) {
    summary.push(`${suite.name}: not present`);
    continue;
  }
  console.log(`\n=== ${suite.name}: ${suite.cmd} ${suite.args.join(' ')}`);
  const started = Date.now();
  const prepared = suite.prepare ? await suite.prepare() : { code: 0, output: '' };
  const { code, output } = prepared.code === 0 ? await run(suite.cmd, suite.args, suite.env) : prepared;
  let c = suite.count(output, code);
  // A suite that failed without reporting counts (build error, crash) is one failure, never silence.
  if (!c || (code !== 0 && c.failed === 0)) c = { passed: c?.passed ?? 0, failed: (c?.failed ?? 0) + 1, skipped: c?.skipped ?? 0 };
  total.passed += c.passed;
  total.failed += c.failed;
  total.skipped += c.skipped;
  const secs = ((Date.now() - started) / 1000).toFixed(0);
  summary.push(`${suite.name}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (exit ${code}, ${secs}s)`);
}

console.log('\n=== summary');
for (const line of summary) console.log(line);
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 ? 1 : 0);
