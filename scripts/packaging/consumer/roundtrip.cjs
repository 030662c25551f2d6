// The round trip every runtime runs from the installed tarballs: an embedded server from
// `taosjs/testing`, a connection, DDL, writes through SQL and through stmt2 parameters, a query of
// every kind of column back, and errors of the right classes (also across the two entry points).
'use strict'

const assert = require('node:assert/strict')

/** @param {typeof import('taosjs')} taosjs @param {typeof import('taosjs/testing')} testing */
async function roundTrip(taosjs, testing) {
  const server = await testing.TestServer.start()
  try {
    const conn = await taosjs.connect(server.dsn)
    try {
      await conn.execute('create database pk')
      await conn.execute(
        'create stable pk.meters (ts timestamp, v int, d double, s varchar(20), n nchar(10), b bool, big bigint) tags (loc varchar(16))',
      )
      const written = await conn.execute(
        "insert into pk.d1 using pk.meters tags ('here') values (1700000000000, 1, 1.5, 'text', 'ñandú', true, 9007199254740993) (1700000000001, null, null, null, null, null, null)",
      )
      assert.equal(written, 2)
      const cursor = conn.cursor()
      await cursor.execute('insert into pk.d1 using pk.meters tags (?) values (?, ?, ?, ?, ?, ?, ?)', [
        'here', new Date(1700000000002), 3, 2.25, "it's", 'ü', false, -5n,
      ])
      assert.equal(cursor.rowcount, 1)
      await cursor.close()

      const result = await conn.query('select ts, v, d, s, n, b, big, loc from pk.meters order by ts')
      const rows = await result.toArray()
      assert.deepEqual(rows, [
        [new Date(1700000000000), 1, 1.5, 'text', 'ñandú', true, 9007199254740993n, 'here'],
        [new Date(1700000000001), null, null, null, null, null, null, 'here'],
        [new Date(1700000000002), 3, 2.25, "it's", 'ü', false, -5n, 'here'],
      ])

      const refused = await conn.query('select * from pk.nope').then(() => undefined, (err) => err)
      assert.ok(refused instanceof taosjs.QueryError, `a missing table is a QueryError, got ${refused}`)
      assert.ok(refused instanceof taosjs.Error)
      assert.equal(typeof refused.errno, 'number')
    } finally {
      await conn.close()
    }
    // An error raised through `taosjs/testing` is an instance of the classes `taosjs` exports.
    const taken = await testing.TestServer.start({ port: server.port }).then(
      async (second) => {
        await second.close()
        return undefined
      },
      (err) => err,
    )
    assert.ok(taken instanceof taosjs.Error, `a port in use is a taosjs.Error, got ${taken && taken.constructor.name}: ${taken}`)
  } finally {
    await server.close()
  }
  return 'round trip ok'
}

module.exports = { roundTrip }
