#!/usr/bin/env node
// `npm test`: every suite of the project, one after the other, then one closing line
// `N passed, N failed[, N skipped]` summed over all of them (CI reads that line).
//
// Suites: Rust (cargo test, release profile shared with the developer's addon build, so Rust
// compiles once), the WebAssembly build of the addon (scripts/build-wasm.mjs), the official Python
// clients against the embedded server, the ava specs of the Node package, the same core specs again
// on the WebAssembly build (`NAPI_RS_FORCE_WASI=1`: connection, every type, results, columns and
// Arrow, cursors, stmt2, stmt, schemaless, errors, call options, settling, reconnect), and the
// browser test (headless Chromium). Opt-in suites run only when named (`npm test -- --with
// packaging`, or `node scripts/test-all.mjs packaging`): the packaging test installs the packed
// tarballs on five runtimes it downloads, so it is CI's (.ci/run), not every developer's.
//
// What a suite needs beyond README's prerequisites it installs itself: the WASM build adds the
// Rust target `wasm32-wasip1-threads` with rustup when it is missing; the browser test installs
// Debian's chromium with apt when there is no Chromium.
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

/** The core specs that run a second time on the WebAssembly build. */
// call-options, settle and reconnect check what the session decides and the JavaScript driver must
// carry out: per-call deadlines, aborts, keepalive, protocol violations, every call settling when
// the server vanishes, goes silent, stops reading or sends garbage, reconnects; wasm what the build
// cannot do (taos://, REST) and says so; pool the pool taosjs/browser exports too, on the driven connections.
const WASM_SPECS = ['connection', 'types', 'results', 'columns', 'cursor', 'stmt2', 'stmt', 'schemaless', 'errors', 'call-options', 'settle', 'reconnect', 'unreachable', 'rest', 'rest-faults', 'tmq', 'wasm', 'pool'].map((name) => `__test__/${name}.spec.ts`);

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
    cmd: process.execPath,
    // The release profile, as the native addon's (the dist profile, LTO and one codegen unit, is
    // the release workflow's: it costs minutes here and tests nothing more).
    args: ['scripts/build-wasm.mjs', '--profile', 'release'],
    // One check: the addon builds for WebAssembly (the sans-IO core inside it).
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
    name: 'ava-wasm',
    cmd: 'npm',
    args: ['run', '--silent', 'test:ava', '--', '--tap', ...WASM_SPECS],
    env: { NAPI_RS_FORCE_WASI: '1' },
    count: countTap,
  },
  {
    name: 'browser',
    cmd: process.execPath,
    args: ['scripts/test-browser.mjs'],
    enabled: () => existsSync(join(root, 'scripts/test-browser.mjs')),
    count: countPlain,
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
