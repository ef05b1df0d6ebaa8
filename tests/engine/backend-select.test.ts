import { describe, expect, it } from 'vitest'
import { currentBackend, selectBackend } from '../../src/engine/backend'
import { probeBackendName } from '../../src/engine/backendProbe'

describe('backend selection', () => {
  it('auto falls back past the tensorflow packages that cannot load here, naming why', async () => {
    const info = await selectBackend('auto')
    // Here libtensorflow is not installed: the auto choice is wasm, and the probe agrees without loading tfjs.
    expect(info.name).toBe(probeBackendName())
    if (info.name === 'wasm') {
      expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow'])
      for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(0)
    }
    expect(currentBackend()).toBe(info)
  })

  it('a forced backend that cannot load is an error, not a silent fallback', async () => {
    if (probeBackendName() !== 'wasm') return
    await expect(selectBackend('tensorflow')).rejects.toThrow(/tensorflow/)
  })

  it('can force cpu', async () => {
    const info = await selectBackend('cpu')
    expect(info).toMatchObject({ name: 'cpu', tfName: 'cpu' })
    await selectBackend('wasm')
  })
})
