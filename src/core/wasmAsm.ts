// A tiny WebAssembly assembler: the opcodes and encodings the project's hand-written modules use
// (wasmScan.ts, the import's JSON line scanner). Each instruction is a function or constant that
// gives its bytes, so a function body reads as the instruction list it is; there is no toolchain,
// nothing to build and nothing binary in the repository.

export const uleb = (n: number): number[] => {
  const o: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    o.push(b)
  } while (n !== 0)
  return o
}
export const sleb = (n: number): number[] => {
  const o: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...o, b]
    o.push(b | 0x80)
  }
}
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))]
export const section = (id: number, items: number[][]): number[] => {
  const body = [...uleb(items.length), ...items.flat()]
  return [id, ...uleb(body.length), ...body]
}
/** A function body: its locals (all i32 after the parameters: `locals` of them) and code. */
export const body = (locals: number, code: number[], v128Locals = 0): number[] => {
  const decl = [...(locals > 0 ? [[...uleb(locals), I32]] : []), ...(v128Locals > 0 ? [[...uleb(v128Locals), V128]] : [])]
  const b = [...uleb(decl.length), ...decl.flat(), ...code]
  return [...uleb(b.length), ...b]
}
export const I32 = 0x7f
export const V128 = 0x7b
const VOID = 0x40
export const get = (l: number) => [0x20, l]
export const set = (l: number) => [0x21, l]
export const tee = (l: number) => [0x22, l]
export const i32 = (v: number) => [0x41, ...sleb(v)]
export const load = (offset = 0) => [0x28, 2, ...uleb(offset)]
export const load8 = (offset = 0) => [0x2d, 0, ...uleb(offset)]
export const load16 = (offset = 0) => [0x2f, 1, ...uleb(offset)]
export const store = (offset = 0) => [0x36, 2, ...uleb(offset)]
export const store8 = (offset = 0) => [0x3a, 0, ...uleb(offset)]
export const block = [0x02, VOID]
export const loop = [0x03, VOID]
export const if_ = [0x04, VOID]
export const ifI32 = [0x04, I32]
export const else_ = [0x05]
export const end = [0x0b]
export const br = (d: number) => [0x0c, d]
export const brIf = (d: number) => [0x0d, d]
export const ret = [0x0f]
export const call = (f: number) => [0x10, f]
export const drop = [0x1a]
export const select = [0x1b]
export const [eqz, eq, ne, ltU, gtU, leU, geU] = [[0x45], [0x46], [0x47], [0x49], [0x4b], [0x4d], [0x4f]]
export const [ctz, add, sub, mul, and, or, xor, shl, shrS, shrU] = [[0x68], [0x6a], [0x6b], [0x6c], [0x71], [0x72], [0x73], [0x74], [0x75], [0x76]]
/** memory.copy (bulk memory): (dst, src, n) → (). */
export const memoryCopy = [0xfc, 10, 0, 0]
// 128-bit SIMD: a 16-byte load, a byte splat, byte compares, or, and the bytes' top bits as a mask.
export const v128Load = (offset = 0) => [0xfd, 0, 0, ...uleb(offset)]
export const i8x16Splat = [0xfd, 15]
export const i8x16Eq = [0xfd, 35]
export const i8x16LtU = [0xfd, 38]
export const v128Or = [0xfd, 80]
export const i8x16Bitmask = [0xfd, 100]

/** A WebAssembly page, the unit memory grows by. */
export const PAGE = 65536

// The few WebAssembly API members used (the Node side and the core are compiled without the DOM's declarations).
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
export interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory
  Module: new (bytes: Uint8Array) => object
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> }
}

/** The host's WebAssembly, or undefined where there is none. */
export const webAssembly = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly
