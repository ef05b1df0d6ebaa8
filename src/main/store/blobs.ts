/** Typed arrays ↔ SQLite BLOBs without copying on the way in; one copy on the way out (alignment). */
export function toBlob(a: ArrayBufferView | null | undefined): Buffer | null {
  if (!a) return null
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength)
}

function aligned(b: Buffer, bytesPer: number): ArrayBuffer {
  if (b.byteLength % bytesPer !== 0) throw new Error(`blob of ${b.byteLength} bytes is not a multiple of ${bytesPer}`)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

export const blobToFloat32 = (b: Buffer | null): Float32Array | null => (b ? new Float32Array(aligned(b, 4)) : null)
export const blobToInt32 = (b: Buffer | null): Int32Array | null => (b ? new Int32Array(aligned(b, 4)) : null)
export const blobToUint8 = (b: Buffer | null): Uint8Array | null => (b ? new Uint8Array(aligned(b, 1)) : null)
