import { afterEach, describe, expect, it } from 'vitest'
import { currentBackend, describeBackend, selectBackend } from '../../src/engine/backend'
import { probeBackend } from '../../src/engine/backendProbe'
import { configuredVulkanDrivers, prepareVulkanDrivers, type FoundAdapter } from '../../src/engine/webgpuAdapter'

// Selection order: tensorflow-gpu, webgpu on a hardware adapter, tensorflow, wasm, cpu. Dawn is
// replaced by stand-ins where the test is about the policy (which adapter counts), and used as it
// is where the test is about this machine.

const noAdapter = async (): Promise<FoundAdapter> => {
  throw new Error('Dawn found no WebGPU adapter (no Vulkan driver is installed)')
}
const software = async (): Promise<FoundAdapter> => ({
  gpu: { requestAdapter: async () => null },
  globals: {},
  raw: { requestDevice: async () => ({}), limits: {} },
  adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader driver 5.0.0', software: true }
})

describe('backend selection', () => {
  it('auto falls back past the backends that cannot load here, naming why, and the probe agrees without loading tfjs', async () => {
    const info = await selectBackend('auto')
    const probe = await probeBackend()
    expect(info.name).toBe(probe.name)
    if (info.name === 'wasm') {
      // Here libtensorflow is not installed and no GPU is present.
      expect(info.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow'])
      expect(probe.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow'])
      for (const s of info.skipped) expect(s.reason.length).toBeGreaterThan(0)
      expect(info.adapter).toBeNull()
      expect(describeBackend(info)).toMatch(/^wasm; tensorflow-gpu skipped: .+; webgpu skipped: .+; tensorflow skipped: /)
    }
    expect(currentBackend()).toBe(info)
  })

  it('no WebGPU adapter: webgpu is skipped with the reason', async () => {
    const info = await selectBackend('auto', { findAdapter: noAdapter, fresh: true })
    const webgpu = info.skipped.find((s) => s.name === 'webgpu')
    expect(webgpu?.reason).toBe('Dawn found no WebGPU adapter (no Vulkan driver is installed)')
    expect(info.name).not.toBe('webgpu')
  })

  it('a software adapter is not chosen by auto', async () => {
    const info = await selectBackend('auto', { findAdapter: software, fresh: true })
    expect(info.name).not.toBe('webgpu')
    expect(info.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/only a software adapter was found \(google \/ swiftshader \/ SwiftShader driver 5\.0\.0.*\); auto never trains on an emulator/)
  })

  it('a forced backend that cannot load is an error, not a silent fallback', async () => {
    if ((await probeBackend()).name !== 'wasm') return
    await expect(selectBackend('tensorflow')).rejects.toThrow(/tensorflow/)
    await expect(selectBackend('webgpu', { findAdapter: noAdapter, fresh: true })).rejects.toThrow(/webgpu: Dawn found no WebGPU adapter/)
  })

  it('can force cpu', async () => {
    const info = await selectBackend('cpu')
    expect(info).toMatchObject({ name: 'cpu', tfName: 'cpu', adapter: null })
    await selectBackend('wasm')
  })
})

describe('Vulkan drivers for a forced webgpu', () => {
  const saved = { ...process.env }
  afterEach(() => {
    for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES']) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  })

  it('leaves a driver the user named alone, and sets none for auto', () => {
    delete process.env.VK_ICD_FILENAMES
    process.env.VK_DRIVER_FILES = '/opt/gpu/icd.json'
    expect(configuredVulkanDrivers()).toEqual(['/opt/gpu/icd.json'])
    expect(prepareVulkanDrivers(true)).toBeNull()
    expect(process.env.VK_ICD_FILENAMES).toBeUndefined()
    delete process.env.VK_DRIVER_FILES
    expect(prepareVulkanDrivers(false)).toBeNull()
    expect(process.env.VK_ICD_FILENAMES).toBeUndefined()
  })
})
