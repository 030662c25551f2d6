/**
 * A whole stmt2 bind — every table's name, tags and columns — packed into ONE `Uint8Array`, the
 * one thing that crosses into the core per bind (N-API or WebAssembly memory): no object per
 * table or column to read property by property, no typed array per column to copy. The core
 * reads the values in place (`crates/taosjs-core/src/packed.rs` owns the layout; this is its
 * writer). `bind.ts` converts each column straight into the buffer through the
 * {@link ColumnSink} this packer is.
 *
 * @internal
 */
import type { ColumnSink } from './bind.js'
import type { NativeBindKind } from './native.js'

/** `PackedKind` codes of the layout. */
const KIND: Record<NativeBindKind, number> = {
  bool: 0,
  u8: 1,
  i8: 2,
  i16: 3,
  u16: 4,
  i32: 5,
  u32: 6,
  i64: 7,
  u64: 8,
  f32: 9,
  f64: 10,
  ts: 11,
  str: 12,
  bytes: 13,
}
const MAGIC = 0x0142_4a54
const NONE = 0xffff_ffff

const encoder = new TextEncoder()
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer

/**
 * The buffer of the last bind, once the core has copied it out (see {@link recycle}): the next
 * bind packs into it. A new buffer per bind would count against V8's external memory and bring
 * full garbage collections of the caller's whole heap, often more costly than the bind itself.
 */
let spare: ArrayBuffer | null = null
/** Larger buffers are not kept. */
const KEEP_AT_MOST = 32 * 1024 * 1024

/** Hands `packed`'s buffer back for the next bind, once the core has copied what it needed. */
export function recycle(packed: Uint8Array): void {
  const buf = packed.buffer
  if (buf instanceof ArrayBuffer && buf.byteLength <= KEEP_AT_MOST && (spare === null || spare.byteLength < buf.byteLength)) {
    // Zeroed again: the conversion relies on fresh regions being zero.
    new Uint8Array(buf, 0, packed.byteLength).fill(0)
    spare = buf
  }
}

export class BindPacker implements ColumnSink<void> {
  private buf: ArrayBuffer
  private bytes: Uint8Array
  /** A Buffer over `buf` in Node.js (its UTF-8 writer is the fastest there). */
  private node: Buffer | undefined
  private at = 0
  private readonly dir: number[] = [MAGIC, 0]

  constructor() {
    this.buf = spare ?? new ArrayBuffer(64 * 1024)
    spare = null
    this.bytes = new Uint8Array(this.buf)
    this.node = NodeBuffer?.from(this.buf)
  }

  /** Starts the next table; then its tags, then its columns, go to {@link BindPacker.column}. */
  table(name: string | undefined, tags: number, columns: number): void {
    this.dir[1] = this.dir[1]! + 1
    if (name === undefined) this.dir.push(0, NONE, tags, columns)
    else {
      const bytes = this.utf8(name)
      this.dir.push(bytes.byteOffset, bytes.length, tags, columns)
    }
  }

  /** The bind: the data, the directory, and the directory's offset in the last 4 bytes. */
  finish(): Uint8Array {
    const dirAt = this.reserve(4 * this.dir.length + 4, 4)
    const words = new Uint32Array(this.buf, dirAt, this.dir.length + 1)
    words.set(this.dir)
    words[this.dir.length] = dirAt
    return new Uint8Array(this.buf, 0, this.at)
  }

  f64(n: number): Float64Array {
    const at = this.reserve(8 * n, 8) // first: it may grow the buffer
    return new Float64Array(this.buf, at, n)
  }

  i64(n: number): BigInt64Array {
    const at = this.reserve(8 * n, 8) // first: it may grow the buffer
    return new BigInt64Array(this.buf, at, n)
  }

  u64(n: number): BigUint64Array {
    const at = this.reserve(8 * n, 8) // first: it may grow the buffer
    return new BigUint64Array(this.buf, at, n)
  }

  u8(n: number): Uint8Array {
    const at = this.reserve(n, 1) // first: it may grow the buffer
    return new Uint8Array(this.buf, at, n)
  }

  u32(n: number): Uint32Array {
    const at = this.reserve(4 * n, 4) // first: it may grow the buffer
    return new Uint32Array(this.buf, at, n)
  }

  utf8(text: string): Uint8Array {
    // At most 3 bytes per UTF-16 unit; what is not used is given back.
    const at = this.reserve(3 * text.length, 1)
    const written =
      this.node !== undefined ? this.node.write(text, at, 'utf8') : encoder.encodeInto(text, this.bytes.subarray(at)).written
    this.at = at + written
    return new Uint8Array(this.buf, at, written)
  }

  column(kind: NativeBindKind, data: Uint8Array, offsets?: Uint32Array, nulls?: Uint8Array, type?: number): void {
    const [dataAt, dataLen] = this.place(data, kind === 'str' || kind === 'bytes' || kind === 'bool' || kind === 'u8' || kind === 'i8' ? 1 : 8)
    this.dir.push(KIND[kind] | ((type === undefined ? 0 : type + 1) << 8), dataAt, dataLen)
    if (offsets === undefined) this.dir.push(0, 0)
    else this.dir.push(this.place(offsets, 4)[0], offsets.length)
    if (nulls === undefined) this.dir.push(0, NONE)
    else this.dir.push(...this.place(nulls, 1))
  }

  /** Where `view`'s bytes are in the buffer: where they were written, or a copy of them. */
  private place(view: ArrayBufferView, align: number): [number, number] {
    if (view.buffer === this.buf) return [view.byteOffset, view.byteLength]
    // A caller's typed array, or a region written before the buffer grew.
    const at = this.reserve(view.byteLength, align)
    this.bytes.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), at)
    return [at, view.byteLength]
  }

  /** `n` bytes at an offset aligned to `align`, zeroed; grows the buffer when needed. */
  private reserve(n: number, align: number): number {
    const at = (this.at + align - 1) & ~(align - 1)
    const end = at + n
    if (end > this.buf.byteLength) this.grow(end)
    this.at = end
    return at
  }

  private grow(need: number): void {
    const buf = new ArrayBuffer(Math.max(need, 2 * this.buf.byteLength))
    const bytes = new Uint8Array(buf)
    bytes.set(this.bytes.subarray(0, this.at))
    this.buf = buf
    this.bytes = bytes
    this.node = NodeBuffer?.from(buf)
  }
}
