/**
 * A minimal GGUF v3 writer: metadata key/values and f32 tensors, nothing else.
 * Layout: header, metadata, tensor infos, padding to `alignment`, tensor data (each tensor aligned).
 */

/** GGUF metadata value types (gguf.h `gguf_type`). */
enum ValueType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9
}

export type MetadataValue =
  | { readonly type: "u32"; readonly value: number }
  | { readonly type: "f32"; readonly value: number }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "string[]"; readonly value: ReadonlyArray<string> }
  | { readonly type: "f32[]"; readonly value: ReadonlyArray<number> }
  | { readonly type: "i32[]"; readonly value: ReadonlyArray<number> }

export interface Tensor {
  readonly name: string
  /** GGML order: `ne[0]` is the innermost (contiguous) dimension. */
  readonly dims: ReadonlyArray<number>
  readonly data: Float32Array
}

const GGML_TYPE_F32 = 0

class ByteSink {
  private chunks: Array<Uint8Array> = []
  length = 0
  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.length += bytes.length
  }
  u32(n: number): void {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n, true)
    this.push(b)
  }
  i32(n: number): void {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setInt32(0, n, true)
    this.push(b)
  }
  u64(n: number): void {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setBigUint64(0, BigInt(n), true)
    this.push(b)
  }
  f32(n: number): void {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setFloat32(0, n, true)
    this.push(b)
  }
  string(s: string): void {
    const bytes = new TextEncoder().encode(s)
    this.u64(bytes.length)
    this.push(bytes)
  }
  raw(bytes: Uint8Array): void {
    this.push(bytes)
  }
  pad(alignment: number): void {
    const rest = this.length % alignment
    if (rest !== 0) this.push(new Uint8Array(alignment - rest))
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length)
    let offset = 0
    for (const c of this.chunks) {
      out.set(c, offset)
      offset += c.length
    }
    return out
  }
}

const writeValue = (sink: ByteSink, value: MetadataValue): void => {
  switch (value.type) {
    case "u32":
      sink.u32(ValueType.Uint32)
      sink.u32(value.value)
      return
    case "f32":
      sink.u32(ValueType.Float32)
      sink.f32(value.value)
      return
    case "bool":
      sink.u32(ValueType.Bool)
      sink.raw(new Uint8Array([value.value ? 1 : 0]))
      return
    case "string":
      sink.u32(ValueType.String)
      sink.string(value.value)
      return
    case "string[]":
      sink.u32(ValueType.Array)
      sink.u32(ValueType.String)
      sink.u64(value.value.length)
      for (const s of value.value) sink.string(s)
      return
    case "f32[]":
      sink.u32(ValueType.Array)
      sink.u32(ValueType.Float32)
      sink.u64(value.value.length)
      for (const n of value.value) sink.f32(n)
      return
    case "i32[]":
      sink.u32(ValueType.Array)
      sink.u32(ValueType.Int32)
      sink.u64(value.value.length)
      for (const n of value.value) sink.i32(n)
      return
  }
}

/** Serialise a GGUF v3 file. Deterministic: the same inputs give the same bytes. */
export const encodeGguf = (
  metadata: ReadonlyArray<readonly [string, MetadataValue]>,
  tensors: ReadonlyArray<Tensor>,
  alignment = 32
): Uint8Array => {
  const sink = new ByteSink()
  sink.raw(new TextEncoder().encode("GGUF"))
  sink.u32(3)
  sink.u64(tensors.length)
  sink.u64(metadata.length)
  for (const [key, value] of metadata) {
    sink.string(key)
    writeValue(sink, value)
  }
  let offset = 0
  const offsets: Array<number> = []
  for (const t of tensors) {
    offsets.push(offset)
    offset += t.data.byteLength
    offset = Math.ceil(offset / alignment) * alignment
  }
  tensors.forEach((t, i) => {
    sink.string(t.name)
    sink.u32(t.dims.length)
    for (const d of t.dims) sink.u64(d)
    sink.u32(GGML_TYPE_F32)
    sink.u64(offsets[i])
  })
  sink.pad(alignment)
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.byteLength)
    const view = new DataView(bytes.buffer)
    t.data.forEach((v, i) => view.setFloat32(i * 4, v, true))
    sink.raw(bytes)
    sink.pad(alignment)
  }
  return sink.concat()
}
