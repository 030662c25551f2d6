/**
 * A whole stmt2 bind — every table's name, tags and columns — packed into ONE `Uint8Array`, the
 * one thing that crosses into the core per bind (N-API or WebAssembly memory): no object per
 * table or column to read property by property, no typed array per column to copy. The core
 * reads the values in place (`crates/taosjs-core/src/packed.rs` owns the layout; this is its
 * writer). `bind.ts` converts each column straight into the buffer through the
 * {@link ColumnSink} this packer is. An insert whose values are all of the usual kinds goes as
 * the stmt2 message itself instead (`bind-message.ts`); this layout carries queries' parameters
 * and what that writer leaves to the core's conversions (DECIMAL, text into numbers, values to
 * refuse, …).
 *
 * The packer is a bump allocator over one `ArrayBuffer` with ONE view of each element type over
 * the whole buffer: a bind of 100 tables × 10 columns writes through those views at offsets,
 * instead of making a typed array (or two) per column; its directory is a `Uint32Array`.
 *
 * @internal
 */
import type { ColumnSink, TypedColumn } from './bind.js'
import type { NativeBindColumn, NativeBindKind } from './native.js'

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
/** Texts at least this long are encoded by the runtime (one call); shorter ones in a JS loop, cheaper than the call. */
const LONG_TEXT = 48

/**
 * The buffer of the last bind, once the core is done with it (see {@link recycle}): the next
 * bind packs into it. A new buffer per bind would count against V8's external memory and bring
 * full garbage collections of the caller's whole heap, often more costly than the bind itself.
 */
let spare: ArrayBuffer | null = null
/** Larger buffers are not kept. */
const KEEP_AT_MOST = 32 * 1024 * 1024

/**
 * Hands `packed`'s buffer back for the next bind, once the core no longer reads it (the native
 * addon reads a bind in place until the call resolves).
 */
export function recycle(packed: Uint8Array): void {
  const buf = packed.buffer
  // Not zeroed: the conversion writes every byte it hands on, and zeroes the regions it only
  // partly writes (null masks) when it reserves them.
  if (buf instanceof ArrayBuffer && buf.byteLength <= KEEP_AT_MOST && (spare === null || spare.byteLength < buf.byteLength)) spare = buf
}

/** A caller's typed array's constructor, for a view of the same type over the packer's buffer. */
type TypedConstructor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedColumn; readonly BYTES_PER_ELEMENT: number }
/** The typed arrays whose own type a view over the buffer is made of (a subclass's bytes are copied as bytes). */
const STANDARD = new Set<TypedConstructor>([
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
  BigUint64Array,
  Float32Array,
  Float64Array,
])

/** The last bind's buffer for the next one (see {@link recycle}); `null` when a bind is using it. */
export function takeSpare(): ArrayBuffer {
  const buf = spare ?? new ArrayBuffer(64 * 1024)
  spare = null
  return buf
}

/**
 * The memory a bind is converted into: a bump allocator over one `ArrayBuffer`, with one view
 * of each element type over all of it.
 */
export abstract class BindMemory {
  protected buf!: ArrayBuffer
  u8!: Uint8Array
  i32!: Int32Array
  u32!: Uint32Array
  f64!: Float64Array
  i64!: BigInt64Array
  u64!: BigUint64Array
  /** For values at unaligned offsets (a stmt2 message's). */
  dv!: DataView
  /** A Buffer over `buf` in Node.js (its UTF-8 writer is the fastest there for long texts). */
  private node: Buffer | undefined
  /** Views of the other element types, made when a caller's typed array of that type is copied in. */
  private others = new Map<TypedConstructor, TypedColumn>()
  protected at = 0

  constructor(buf: ArrayBuffer) {
    this.use(buf)
  }

  reserve(n: number, align: number): number {
    const at = (this.at + align - 1) & ~(align - 1)
    const end = at + n
    if (end > this.buf.byteLength) this.grow(end)
    this.at = end
    return at
  }

  zeroed(n: number, align: number): number {
    const at = this.reserve(n, align)
    this.u8.fill(0, at, at + n)
    return at
  }

  trim(end: number): void {
    this.at = end
  }

  /** Hands the memory back unused, for the next bind (see {@link recycle}). */
  giveBack(): void {
    recycle(new Uint8Array(this.buf, 0, 0))
  }

  utf8At(text: string, at: number): number {
    const n = text.length
    if (n >= LONG_TEXT) {
      return at + (this.node !== undefined ? this.node.write(text, at, 'utf8') : encoder.encodeInto(text, this.u8.subarray(at)).written)
    }
    // UTF-8 as the runtime writes it: a lone surrogate becomes U+FFFD.
    const out = this.u8
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i)
      if (c < 0x80) {
        out[at++] = c
        continue
      }
      if (c < 0x800) {
        out[at++] = 0xc0 | (c >> 6)
        out[at++] = 0x80 | (c & 0x3f)
        continue
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? text.charCodeAt(i + 1) : 0
        if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)
          out[at++] = 0xf0 | (cp >> 18)
          out[at++] = 0x80 | ((cp >> 12) & 0x3f)
          out[at++] = 0x80 | ((cp >> 6) & 0x3f)
          out[at++] = 0x80 | (cp & 0x3f)
          i++
          continue
        }
        c = 0xfffd
      }
      out[at++] = 0xe0 | (c >> 12)
      out[at++] = 0x80 | ((c >> 6) & 0x3f)
      out[at++] = 0x80 | (c & 0x3f)
    }
    return at
  }

  copy(values: TypedColumn): number {
    const size = values.BYTES_PER_ELEMENT
    const at = this.reserve(values.byteLength, size)
    // A view of the same type copies as one block, and no view of `values` is made.
    const ctor = values.constructor as TypedConstructor
    let view = this.others.get(ctor)
    if (view === undefined) {
      if (!STANDARD.has(ctor)) {
        this.u8.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at)
        return at
      }
      view = new ctor(this.buf, 0, Math.floor(this.buf.byteLength / size))
      this.others.set(ctor, view)
    }
    ;(view as Uint8Array).set(values as Uint8Array, at / size)
    return at
  }

  private use(buf: ArrayBuffer): void {
    this.buf = buf
    this.u8 = new Uint8Array(buf)
    this.i32 = new Int32Array(buf, 0, buf.byteLength >>> 2)
    this.u32 = new Uint32Array(buf, 0, buf.byteLength >>> 2)
    this.f64 = new Float64Array(buf, 0, buf.byteLength >>> 3)
    this.i64 = new BigInt64Array(buf, 0, buf.byteLength >>> 3)
    this.u64 = new BigUint64Array(buf, 0, buf.byteLength >>> 3)
    this.dv = new DataView(buf)
    this.node = NodeBuffer?.from(buf)
    this.others.clear()
  }

  private grow(need: number): void {
    // A multiple of 8, so that every view covers the whole buffer.
    const buf = new ArrayBuffer((Math.max(need, 2 * this.buf.byteLength) + 7) & ~7)
    new Uint8Array(buf).set(this.u8.subarray(0, this.at))
    this.use(buf)
  }
}

export class BindPacker extends BindMemory implements ColumnSink<void> {
  private dir = new Uint32Array(256)
  private words = 2

  constructor(buf: ArrayBuffer = takeSpare()) {
    super(buf)
    this.dir[0] = MAGIC
    // Never the marker of a stmt2 message (bind-message.ts), which the core takes as well.
    this.zeroed(8, 8)
  }

  /** Starts the next table; then its tags, then its columns, go to {@link BindPacker.column}. */
  table(name: string | undefined, tags: number, columns: number): void {
    this.dir[1]!++
    let at = 0
    let len = NONE
    if (name !== undefined) {
      at = this.reserve(3 * name.length, 1)
      const end = this.utf8At(name, at)
      this.at = end
      len = end - at
    }
    const dir = this.room(4)
    dir[this.words++] = at
    dir[this.words++] = len
    dir[this.words++] = tags
    dir[this.words++] = columns
  }

  /** The bind: the data, the directory, and the directory's offset in the last 4 bytes. */
  finish(): Uint8Array {
    const dirAt = this.reserve(4 * this.words + 4, 4)
    const base = dirAt >>> 2
    this.u32.set(this.dir.subarray(0, this.words), base)
    this.u32[base + this.words] = dirAt
    return new Uint8Array(this.buf, 0, this.at)
  }

  column(kind: NativeBindKind, dataAt: number, dataLen: number, rows: number, nullsAt: number, offsetsAt: number, type?: number): void {
    const dir = this.room(7)
    let w = this.words
    dir[w++] = KIND[kind] | ((type === undefined ? 0 : type + 1) << 8)
    dir[w++] = dataAt
    dir[w++] = dataLen
    dir[w++] = offsetsAt < 0 ? 0 : offsetsAt
    dir[w++] = offsetsAt < 0 ? 0 : rows + 1
    dir[w++] = nullsAt < 0 ? 0 : nullsAt
    dir[w++] = nullsAt < 0 ? NONE : rows
    this.words = w
  }

  /** The directory, with room for `n` more words. */
  private room(n: number): Uint32Array {
    if (this.words + n > this.dir.length) {
      const dir = new Uint32Array(2 * this.dir.length)
      dir.set(this.dir)
      this.dir = dir
    }
    return this.dir
  }

}

/**
 * stmt v1's columns: converted like a stmt2 bind's, into a buffer of their own, each handed
 * out as a `NativeBindColumn` of views of it (the addon copies them during the call).
 */
export class ColumnObjects extends BindMemory implements ColumnSink<NativeBindColumn> {
  constructor() {
    super(new ArrayBuffer(4 * 1024))
  }

  column(kind: NativeBindKind, dataAt: number, dataLen: number, rows: number, nullsAt: number, offsetsAt: number, type?: number): NativeBindColumn {
    // Views of the buffer as it is now: a later growth copies it, these keep the bytes written.
    const buf = this.buf
    const col: NativeBindColumn = { kind, data: new Uint8Array(buf, dataAt, dataLen) }
    if (offsetsAt >= 0) col.offsets = new Uint32Array(buf, offsetsAt, rows + 1)
    if (nullsAt >= 0) col.nulls = new Uint8Array(buf, nullsAt, rows)
    if (type !== undefined) col.type = type
    return col
  }
}
