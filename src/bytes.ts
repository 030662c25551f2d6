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

/** `n` bytes to be overwritten. */
export const allocBytes: (n: number) => Uint8Array = NodeBuffer !== undefined ? (n) => NodeBuffer.allocUnsafe(n) : (n) => new Uint8Array(n)

/** A copy of `bytes`, as a Buffer where there is one. */
export const copyBytes: (bytes: Uint8Array) => Uint8Array = NodeBuffer !== undefined ? (bytes) => NodeBuffer.from(bytes) : (bytes) => bytes.slice()

/** Whether `value` is a Node.js Buffer (there are none in browsers). */
export const isBuffer = (value: unknown): boolean => NodeBuffer !== undefined && NodeBuffer.isBuffer(value)
