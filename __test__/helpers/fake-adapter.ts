/**
 * A scripted stand-in for taosAdapter's `/ws`, just enough to drive the real addon's write paths
 * (stmt2, stmt v1, schemaless) while the embedded server does not serve them: it answers the
 * login, records every frame, answers statement actions with the replies given by the spec
 * (shaped like the recorded ones in ../shared/reference/wire/transcripts), and answers other
 * queries as updates.
 */
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'

export type Received = { kind: 'text'; json: Record<string, unknown> } | { kind: 'binary'; data: Buffer }

export class FakeAdapter {
  readonly received: Received[] = []
  /** Extra reply fields per action (e.g. `stmt2_prepare` → `{ is_insert, fields }`). */
  readonly replies: Record<string, Record<string, unknown>> = {}
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeAdapter> {
    const server = createServer((_req, res) => res.writeHead(400).end())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const adapter = new FakeAdapter(server, port)
    server.on('upgrade', (req, socket: Socket) => {
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
      let buf = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk])
        for (;;) {
          const frame = readFrame(buf)
          if (frame === null) break
          buf = buf.subarray(frame.size)
          if (frame.opcode === 8) return socket.end(encodeFrame(8, Buffer.alloc(0)))
          if (frame.opcode === 9) socket.write(encodeFrame(10, frame.payload))
          if (frame.opcode === 1 || frame.opcode === 2) adapter.answer(socket, frame.opcode, frame.payload)
        }
      })
      socket.on('error', () => undefined)
    })
    return adapter
  }

  get dsn(): string {
    return `ws://root:taosdata@127.0.0.1:${this.port}`
  }

  /** The frames of the given JSON action, in order. */
  actions(action: string): Array<Record<string, unknown>> {
    return this.received.flatMap((r) => (r.kind === 'text' && r.json['action'] === action ? [r.json] : []))
  }

  /** Binary frames with this action code (bytes 16..24). */
  binaries(action: bigint): Buffer[] {
    return this.received.flatMap((r) => (r.kind === 'binary' && r.data.length >= 24 && r.data.readBigUInt64LE(16) === action ? [r.data] : []))
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private answer(socket: Socket, opcode: number, payload: Buffer): void {
    const reply = (action: string, reqId: unknown, extra: Record<string, unknown>): void => {
      socket.write(encodeFrame(1, Buffer.from(stringify({ code: 0, message: '', action, req_id: reqId, timing: 1, ...extra, ...this.replies[action] }))))
    }
    if (opcode === 2) {
      this.received.push({ kind: 'binary', data: Buffer.from(payload) })
      const reqId = payload.readBigUInt64LE(0)
      const id = payload.readBigUInt64LE(8)
      const action = payload.readBigUInt64LE(16)
      if (action === 6n) return reply('binary_query', reqId, { id: 0, is_update: true, affected_rows: 0, fields_count: 0, fields_names: null, fields_types: null, fields_lengths: null, precision: 0 })
      if (action === 9n) return reply('stmt2_bind', reqId, { stmt_id: id })
      if (action === 1n) return reply('set_tags', reqId, { stmt_id: id })
      if (action === 2n) return reply('bind', reqId, { stmt_id: id })
      return
    }
    const json = JSON.parse(payload.toString('utf8')) as { action: string; args?: Record<string, unknown> }
    this.received.push({ kind: 'text', json: json as Record<string, unknown> })
    const args = json.args ?? {}
    const reqId = rawReqId(payload.toString('utf8')) ?? args['req_id'] ?? 0
    const stmt = { stmt_id: args['stmt_id'] ?? 1 }
    switch (json.action) {
      case 'version': return reply('version', 0, { version: '3.3.7.5' })
      case 'conn': return reply('conn', reqId, { version: '3.3.7.5' })
      case 'stmt2_init': case 'init': return reply(json.action, reqId, { stmt_id: 1 })
      case 'stmt2_prepare': case 'prepare': case 'stmt2_exec': case 'exec': case 'stmt2_close':
      case 'set_table_name': case 'add_batch': case 'get_tag_fields': case 'get_col_fields':
        return reply(json.action, reqId, stmt)
      case 'insert': return reply('insert', reqId, { affected_rows: 2, total_rows: 2 })
      default: return
    }
  }
}

/** req_id as written in the text (u64 ids lose precision in JSON.parse). */
function rawReqId(text: string): bigint | undefined {
  const m = /"req_id":(\d+)/.exec(text)
  return m === null ? undefined : BigInt(m[1]!)
}

function stringify(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `__big${v}` : v)).replace(/"__big(\d+)"/g, '$1')
}

function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buf.length < 2) return null
  const opcode = buf[0]! & 0x0f
  const masked = (buf[1]! & 0x80) !== 0
  let len = buf[1]! & 0x7f
  let at = 2
  if (len === 126) {
    if (buf.length < 4) return null
    len = buf.readUInt16BE(2)
    at = 4
  } else if (len === 127) {
    if (buf.length < 10) return null
    len = Number(buf.readBigUInt64BE(2))
    at = 10
  }
  const maskAt = at
  if (masked) at += 4
  if (buf.length < at + len) return null
  const payload = Buffer.from(buf.subarray(at, at + len))
  if (masked) for (let i = 0; i < len; i++) payload[i] = payload[i]! ^ buf[maskAt + (i % 4)]!
  return { opcode, payload, size: at + len }
}

function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode
    head[1] = 126
    head.writeUInt16BE(n, 2)
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode
    head[1] = 127
    head.writeBigUInt64BE(BigInt(n), 2)
  }
  return Buffer.concat([head, payload])
}
