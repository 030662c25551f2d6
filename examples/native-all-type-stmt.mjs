// Parameter binding of every type (the reference page's native_all_type_stmt example), tags and
// columns, with a NULL row, then read back.
//   npm run build && node examples/native-all-type-stmt.mjs          (TDENGINE_DSN to use a real server)
import { connect } from 'taosjs'
import { TestServer } from 'taosjs/testing'

const server = process.env.TDENGINE_DSN ? undefined : await TestServer.start()
try {
  const conn = await connect(process.env.TDENGINE_DSN ?? server.dsn, { timestampAs: 'string' })
  await conn.execute('create database if not exists all_types precision \'us\'')
  // a table named per bind (`insert into ? …`) belongs to the current database
  await conn.execute('use all_types')
  await conn.execute(
    'create stable if not exists all_types.stb (ts timestamp, int_col int, double_col double, bool_col bool, binary_col binary(100), nchar_col nchar(100), ' +
      'varbinary_col varbinary(100), geometry_col geometry(100), decimal_col decimal(10,2)) ' +
      'tags (int_tag int, double_tag double, bool_tag bool, binary_tag binary(100), nchar_tag nchar(100), varbinary_tag varbinary(100), geometry_tag geometry(100))',
  )
  const point = Buffer.from('0101000000000000000000f03f0000000000000040', 'hex') // POINT(1 2) as WKB
  const stmt = await conn.statement2('insert into ? using all_types.stb tags (?, ?, ?, ?, ?, ?, ?) values (?, ?, ?, ?, ?, ?, ?, ?, ?)')
  await stmt.bindParam(
    ['tb1'],
    [[1, 1.1, true, 'binary_value', 'nchar_value', Buffer.from([0x98, 0xf4, 0x6e]), point]],
    [[
      ['2026-01-01T00:00:00.000001Z', 1767225600000002n],
      [1, null],
      [1.1, null],
      [true, null],
      ['binary_value', null],
      ['nchar_value', null],
      [Buffer.from([0x98, 0xf4, 0x6e]), null],
      [point, null],
      ['12.34', null],
    ]],
  )
  console.log(`all types: inserted ${await stmt.execute()} rows`)
  await stmt.close()

  const result = await conn.query('select * from all_types.stb order by ts')
  for await (const row of result) {
    console.log(row.map((v) => (Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : String(v))).join(' | '))
  }
  await conn.execute('drop database all_types')
  await conn.close()
} finally {
  await server?.close()
}
