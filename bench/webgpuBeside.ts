// bench:train's webgpu figures at the reference shape, beside the tfjs backend and PyTorch figures
// measured earlier in the same run. On a software adapter (SwiftShader, an emulator of a GPU on the
// CPU) a step takes minutes, so there one step is timed, compilation included, and sampling makes
// 4 new tokens a sequence; the figures then say what the emulator does, not what a GPU would.
import { prepareVulkanDrivers, probeAdapter } from '../src/engine/webgpuAdapter'
import { measureBackend, report, type Shape } from './trainStep'

export interface Reference {
  backend: string
  tfjsStepS: number | null
  tfjsSampleTokPerS: number | null
  torchStepS: number | null
  torchSampleTokPerS: number | null
}

export async function webgpuBeside(shape: Shape, ref: Reference): Promise<void> {
  console.log('\nwebgpu at the same shape:')
  let m
  try {
    // Whether the adapter is an emulator decides how much to time: ask Dawn first.
    prepareVulkanDrivers(true)
    const software = (await probeAdapter()).software
    m = await measureBackend('webgpu', shape, software ? { steps: 1, sampleNew: 4, untimedFirst: false } : { steps: 6 })
    if (software) console.log('  (software adapter, an emulator: one step timed with its shader compilation, 4 sampled tokens a sequence)')
  } catch (e) {
    console.log(`  webgpu unavailable: ${(e as Error).message.split('\n')[0]}`)
    return
  }
  for (const line of report(m)) console.log(line)
  const ratio = (a: number | null, b: number | null) => (a && b ? (a / b).toFixed(2) : 'n/a')
  console.log(`  step time webgpu/${ref.backend}: ${ratio(m.stepS, ref.tfjsStepS)}, webgpu/PyTorch: ${ratio(m.stepS, ref.torchStepS)}`)
  console.log(`  sampling speed webgpu/${ref.backend}: ${ratio(m.sampleTokPerS, ref.tfjsSampleTokPerS)}, webgpu/PyTorch: ${ratio(m.sampleTokPerS, ref.torchSampleTokPerS)}`)
}
