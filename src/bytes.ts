/**
 * Bytes and UTF-8 text in every runtime: Node.js's `Buffer` where there is one (its decoding and
 * encoding are the fastest there), `Uint8Array` with `TextDecoder`/`TextEncoder` in browsers.
 * Values of VARBINARY, GEOMETRY and BLOB columns are Buffers in Node.js and Uint8Arrays in
 * browsers.
 *
 * @internal
 * @module
 */

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer
const decoder = new TextDecoder()
const encoder = new TextEncoder()

/** The UTF-8 text of `bytes[start..end]`. */
export const utf8Slice: (bytes: Uint8Array, start: number, end: number) => string =
  NodeBuffer !== undefined
    ? (bytes, start, end) => (NodeBuffer.isBuffer(bytes) ? bytes.toString('utf8', start, end) : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', start, end))
    : (bytes, start, end) => decoder.decode(bytes.subarray(start, end))

/** UTF-8 length of `s` as `Buffer.from(s)` encodes it (a lone surrogate becomes 3 bytes). */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2 // a pair: 2 units, 4 bytes
      i++
    } else n += 2
  }
  return n
}

/** The text of `bytes[start..end]`, known to be ASCII (Node.js decodes it fastest as latin1). */
export const asciiSlice: (bytes: Uint8Array, start: number, end: number) => string =
  NodeBuffer !== undefined
    ? (bytes, start, end) => (NodeBuffer.isBuffer(bytes) ? bytes.toString('latin1', start, end) : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end))
    : (bytes, start, end) => decoder.decode(bytes.subarray(start, end))

/** `bytes` as a Buffer where there is one (a view, no copy): values of VARBINARY and the like are Buffers in Node.js. */
export const asBuffer: (bytes: Uint8Array) => Uint8Array =
  NodeBuffer !== undefined ? (bytes) => (NodeBuffer.isBuffer(bytes) ? bytes : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) : (bytes) => bytes

/** `parts` joined into one array (a Buffer where there is one). */
export const concatBytes: (parts: Uint8Array[]) => Uint8Array =
  NodeBuffer !== undefined
    ? (parts) => NodeBuffer.concat(parts)
    : (parts) => {
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
        let at = 0
        for (const p of parts) {
          out.set(p, at)
          at += p.length
        }
        return out
      }

/** `text` as UTF-8 bytes. */
export const utf8Bytes: (text: string) => Uint8Array = NodeBuffer !== undefined ? (text) => NodeBuffer.from(text, 'utf8') : (text) => encoder.encode(text)

/** Writes `text` as UTF-8 into `into` at `offset` (which has room for it). */
export const utf8Write: (text: string, into: Uint8Array, offset: number) => void =
  NodeBuffer !== undefined
    ? (text, into, offset) => void (NodeBuffer.isBuffer(into) ? into : NodeBuffer.from(into.buffer, into.byteOffset, into.byteLength)).write(text, offset, 'utf8')
    : (text, into, offset) => void encoder.encodeInto(text, into.subarray(offset))

/** `n` bytes to be overwritten. */
export const allocBytes: (n: number) => Uint8Array = NodeBuffer !== undefined ? (n) => NodeBuffer.allocUnsafe(n) : (n) => new Uint8Array(n)

/** A copy of `bytes`, as a Buffer where there is one. */
export const copyBytes: (bytes: Uint8Array) => Uint8Array = NodeBuffer !== undefined ? (bytes) => NodeBuffer.from(bytes) : (bytes) => bytes.slice()

/** Whether `value` is a Node.js Buffer (there are none in browsers). */
export const isBuffer = (value: unknown): boolean => NodeBuffer !== undefined && NodeBuffer.isBuffer(value)
