/** Schemaless writes end to end: InfluxDB line, OpenTSDB telnet and JSON, precisions, errors. */
import { createHash } from 'node:crypto'
import test from 'ava'
import * as taos from '../src/index.js'
import { SmlPrecision, SmlProtocol } from '../src/index.js'
import { dbName, open, useServer } from './helpers/server.js'

const server = useServer(test)
const md5 = (data: string | Buffer) => createHash('md5').update(data).digest('hex')


async function database(t: import('ava').ExecutionContext, prefix: string, precision = 'ns') {
  const db = dbName(prefix)
  const admin = await open(t, server().dsn)
  await admin.execute(`create database ${db} precision '${precision}'`)
  t.teardown(() => admin.execute(`drop database if exists ${db}`).then(() => undefined))
  return { conn: await open(t, `${server().dsn.replace(/\/$/, '')}/${db}`, { timestampAs: 'bigint' }), db }
}

test('the enums carry the wire values', (t) => {
  t.deepEqual([SmlProtocol.LINE, SmlProtocol.TELNET, SmlProtocol.JSON], [1, 2, 3])
  t.deepEqual(
    [SmlPrecision.NOT_CONFIGURED, SmlPrecision.HOURS, SmlPrecision.MINUTES, SmlPrecision.SECONDS, SmlPrecision.MILLI_SECONDS, SmlPrecision.MICRO_SECONDS, SmlPrecision.NANO_SECONDS],
    ['', 'h', 'm', 's', 'ms', 'u', 'ns'],
  )
})

test('InfluxDB lines create the super table and child tables; microseconds are honoured', async (t) => {
  const { conn, db } = await database(t, 'sml_line', 'us')
  const lines = [
    'meters,location=California.LosAngeles,groupid=2 current=11.8,voltage=221,phase=0.28 1648432611249000',
    'meters,location=California.LosAngeles,groupid=2 current=13.4,voltage=223,phase=0.29 1648432611250000',
    'meters,location=California.SanFrancisco,groupid=3 current=10.8,voltage=223,phase=0.29 1648432611249000',
  ]
  t.is(await conn.schemalessInsert(lines, SmlProtocol.LINE, SmlPrecision.MICRO_SECONDS, { ttl: 0, reqId: 1234 }), 3)
  const rows = await (await conn.query(`select _ts, current, location from ${db}.meters order by _ts, location`)).toArray()
  t.deepEqual(rows, [
    [1648432611249000n, 11.8, 'California.LosAngeles'],
    [1648432611249000n, 10.8, 'California.SanFrancisco'],
    [1648432611250000n, 13.4, 'California.LosAngeles'],
  ])
})

test('OpenTSDB telnet and JSON', async (t) => {
  const { conn, db } = await database(t, 'sml_tsdb', 'ms')
  t.is(await conn.schemalessInsert(['meters.current 1648432611249 10.3 location=California.SanFrancisco groupid=2'], SmlProtocol.TELNET, SmlPrecision.MILLI_SECONDS), 1)
  const json = JSON.stringify([{ metric: 'meters.voltage', timestamp: 1648432611250, value: 219, tags: { location: 'California.LosAngeles', groupid: 1 } }])
  t.is(await conn.schemalessInsert(json, SmlProtocol.JSON, SmlPrecision.MILLI_SECONDS), 1)
  // dots in a metric become underscores in the super table's name, as TDengine names it
  t.deepEqual(await (await conn.query(`select _ts, _value from ${db}.meters_current`)).toArray(), [[1648432611249n, 10.3]])
  t.deepEqual(await (await conn.query(`select _ts, _value from ${db}.meters_voltage`)).toArray(), [[1648432611250n, 219]])
  // child tables are `t_` + md5 of the super table's name and the tags sorted by key; a JSON
  // number tag is a DOUBLE and enters the digest as its 8 bytes
  const double = Buffer.alloc(8)
  double.writeDoubleLE(1)
  const children = await (await conn.query(`select stable_name, table_name from information_schema.ins_tables where db_name = '${db}' order by stable_name`)).toArray()
  t.deepEqual(children, [
    ['meters_current', `t_${md5('meters_current,groupid=2,location=California.SanFrancisco')}`],
    ['meters_voltage', `t_${md5(Buffer.concat([Buffer.from('meters_voltage,groupid='), double, Buffer.from(',location=California.LosAngeles')]))}`],
  ])
  t.deepEqual(children[0]![1], 't_e71c6cf63cfcabb0e261886adea02274')
})

test('a malformed line is a SchemalessError with TDengine’s code, naming the line', async (t) => {
  const { conn } = await database(t, 'sml_bad', 'ms')
  const err = await t.throwsAsync(
    conn.schemalessInsert(['ok.metric 1648432611249 1 host=a', 'tel_metric 1710000000000000 4 host=host0 interface=eth0'], SmlProtocol.TELNET, SmlPrecision.NOT_CONFIGURED),
    { instanceOf: taos.SchemalessError },
  )
  t.is(err!.errno, 295)
  t.regex(err!.message, /line 2: tel_metric/)
  const single = await t.throwsAsync(conn.schemalessInsert(['nofields'], SmlProtocol.LINE, SmlPrecision.MILLI_SECONDS), { instanceOf: taos.SchemalessError })
  t.regex(single!.message, /\(line 1: nofields\)$/)
  t.is(typeof single!.errno, 'number')
})

test('a JSON point whose metric is not a string is refused before it is sent, and the connection stays usable', async (t) => {
  // TDengine 3.3.7.5's client library reads the metric as a string: its adapter goes down on it
  const { conn } = await database(t, 'sml_metric', 'ms')
  const points = JSON.stringify([{ metric: 'ok', timestamp: 1648432611249, value: 1, tags: { h: 'a' } }, { metric: 5, timestamp: 1648432611250, value: 2, tags: { h: 'a' } }])
  const err = await t.throwsAsync(conn.schemalessInsert(points, SmlProtocol.JSON, SmlPrecision.MILLI_SECONDS), { instanceOf: taos.SchemalessError })
  t.is(err!.errno, 545)
  t.regex(err!.message, /metric of point 2 is 5, not a string/)
  t.is(await conn.schemalessInsert(JSON.stringify({ metric: 'ok', timestamp: 1648432611251, value: 3, tags: { h: 'a' } }), SmlProtocol.JSON, SmlPrecision.MILLI_SECONDS), 1)
})

test('what TDengine refuses in a batch refuses the whole batch: an empty line between lines, a name given twice, a JSON point without tags', async (t) => {
  const { conn, db } = await database(t, 'sml_refused', 'ms')
  const refused = async (lines: string | string[], protocol: SmlProtocol, errno: number) => {
    const err = await t.throwsAsync(conn.schemalessInsert(lines, protocol, SmlPrecision.MILLI_SECONDS), { instanceOf: taos.SchemalessError })
    t.is(err!.errno, errno, String(lines))
  }
  await refused('m v=1i 1648432611249\n\nm v=2i 1648432611250', SmlProtocol.LINE, 522)
  await refused(['m v=1i,v=2i 1648432611249'], SmlProtocol.LINE, 9788)
  await refused(['m 1648432611249 1 host=a host=b'], SmlProtocol.TELNET, 9788)
  await refused(JSON.stringify({ metric: 'm', timestamp: 1648432611249, value: 1 }), SmlProtocol.JSON, 545)
  await refused('[]', SmlProtocol.JSON, 1807)
  // nothing of any of them was written
  t.deepEqual(await (await conn.query(`select count(*) from information_schema.ins_stables where db_name = '${db}'`)).toArray(), [[0n]])
})
