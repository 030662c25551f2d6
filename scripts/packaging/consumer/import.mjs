// `import('taosjs')` from an ES module, then the round trip.
import { createRequire } from 'node:module'

const { roundTrip } = createRequire(import.meta.url)('./roundtrip.cjs')
const taosjs = await import('taosjs')
const testing = await import('taosjs/testing')
console.log(`import: ${await roundTrip(taosjs, testing)}`)
