import { selectBackend } from '../../src/engine/backend'

/** Engine tests run on wasm, the backend this machine trains on. */
export async function useWasm(): Promise<void> {
  const info = await selectBackend('wasm')
  if (info.name !== 'wasm') throw new Error(`expected wasm, got ${info.name}`)
}
