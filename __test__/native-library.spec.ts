/**
 * `taos://` without a usable TDengine client library: `connect` rejects with an InterfaceError
 * that names the library, every place it looked and why, and what to do — and the process
 * survives a damaged file. These run everywhere (CI has no TDengine client); each connect reads
 * TAOS_LIBRARY_PATH again, because only a successful load is kept for the process.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { connect, InterfaceError, NotSupportedError, ProgrammingError } from '../src/index.js'

const LIB = process.platform === 'win32' ? 'taos.dll' : process.platform === 'darwin' ? 'libtaos.dylib' : 'libtaos.so'
const dir = mkdtempSync(join(tmpdir(), 'taosjs-native-'))

async function refusal(t: import('ava').ExecutionContext, libraryPath: string): Promise<string> {
  process.env['TAOS_LIBRARY_PATH'] = libraryPath
  const e = await t.throwsAsync(connect('taos://root:s3cret-pw@localhost:6030/db'), { instanceOf: InterfaceError })
  t.false(e!.message.includes('s3cret-pw'), 'never the password')
  t.true(e!.message.includes('ws://'), `names the alternative: ${e!.message}`)
  return e!.message
}

test.serial('an absent library: which library, where it looked, what to do', async (t) => {
  const missing = join(dir, 'nowhere', LIB)
  const m = await refusal(t, missing)
  t.true(m.includes(LIB), m)
  t.true(m.includes(`TAOS_LIBRARY_PATH=${missing}: no such file`), m)
  t.true(m.includes('Install the TDengine client'), m)
})

test.serial('a folder in TAOS_LIBRARY_PATH means the library inside it', async (t) => {
  const m = await refusal(t, dir)
  t.true(m.includes(`${join(dir, LIB)}: no such file`), m)
})

test.serial('a file that is not a library gives the loader’s reason', async (t) => {
  const file = join(dir, `garbage-${LIB}`)
  writeFileSync(file, 'this is not a shared library\n')
  const m = await refusal(t, file)
  t.true(m.includes('could not be loaded'), m)
  t.true(m.includes('the loader refused it'), m)
})

if (process.platform === 'linux') {
  // Node's own shared C library: a real ELF library, but not libtaos.
  const libc = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[5])
    .find((p) => p !== undefined && /\/libc(\.so|-)/.test(p))

  test.serial('a truncated library is refused before it is mapped (no SIGBUS)', async (t) => {
    const whole = readFileSync(libc!)
    const file = join(dir, `truncated-${LIB}`)
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)))
    const m = await refusal(t, file)
    t.true(m.includes('damaged'), m)
    t.true(m.includes('reinstall'), m)
  })

  test.serial('a library without the TDengine API is refused by name', async (t) => {
    const file = join(dir, `other-${LIB}`)
    copyFileSync(libc!, file)
    const m = await refusal(t, file)
    t.true(m.includes('has no function `taos_init`'), m)
    t.true(m.includes('not a TDengine 3.x client library'), m)
  })
}

test.serial('the connection still works for WebSocket users afterwards, and bad DSNs are named', async (t) => {
  process.env['TAOS_LIBRARY_PATH'] = join(dir, 'nowhere', LIB)
  // A bad DSN is a ProgrammingError naming it, before any I/O (as for every option).
  await t.throwsAsync(connect('taos://localhost:99999'), { instanceOf: ProgrammingError, message: /port `99999`/ })
  await t.throwsAsync(connect('gopher://localhost'), { instanceOf: NotSupportedError, message: /taos:\/\// })
})
