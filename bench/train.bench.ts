// `npm run bench:train`: one policy-gradient step of the reference shape (L=2, D=128, H=4, T=64,
// vocab 64, batch 32×64 tokens, Adam) on tfjs against PyTorch CPU on the same shape, timed in the
// same run; then rollout sampling tokens/s with and without the KV cache against PyTorch.
// Then the first-run figures of each task's default config (bench/taskSpeed.ts).
// Then the same step and sampling on webgpu (bench/trainStep.ts), beside wasm and PyTorch.
// Options: --backend wasm|cpu|tensorflow|tensorflow-gpu (default wasm), --steps N, --no-torch,
// --no-tasks, --task NAME (only that task's first-run figures), --no-webgpu.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Adam } from '../src/engine/adam'
import { selectBackend, type BackendName } from '../src/engine/backend'
import { Policy } from '../src/engine/model'
import { Rng } from '../src/engine/rng'
import { sample } from '../src/engine/sampling'
import { taskSpeed } from './taskSpeed'
import { median, policyGradientStep } from './trainStep'
import { webgpuBeside, type Reference } from './webgpuBeside'

const args = process.argv.slice(2)
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : d
}
const SHAPE = { layers: 2, d: 128, heads: 4, t: 64, vocab: 64, batch: 32, prompt: 8 }
const steps = Number(opt('steps', '6'))
const backend = opt('backend', 'wasm') as BackendName

interface TorchOut {
  step_s: number
  step_times: number[]
  threads: number
  torch: string
  params: number
  sample_tok_s_cache: number
  sample_tok_s_nocache: number
}

function runTorch(here: string, shape: Record<string, unknown>): TorchOut | null {
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(here, 'torch_reference.py'), JSON.stringify(shape)], { encoding: 'utf8' })
    return JSON.parse(out.trim().split('\n').pop()!) as TorchOut
  } catch (e) {
    console.log(`PyTorch reference failed: ${(e as Error).message.split('\n')[0]}`)
    return null
  }
}

// What main measured, for the webgpu figures printed beside it.
const reference: Reference = { backend, tfjsStepS: null, tfjsSampleTokPerS: null, torchStepS: null, torchSampleTokPerS: null }

async function main() {
  const info = await selectBackend(backend)
  const policy = new Policy({ layers: SHAPE.layers, dModel: SHAPE.d, heads: SHAPE.heads, context: SHAPE.t, ffMult: 4, vocab: SHAPE.vocab }, 0)
  const adam = new Adam(policy.variables, { lr: 1e-4, beta1: 0.9, beta2: 0.999 })
  const rng = new Rng(0)
  const n = SHAPE.batch
  const step = policyGradientStep(policy, adam, SHAPE, rng)
  await step()
  // The machine may be shared: alternate rounds of tfjs and PyTorch steps so that both sides see
  // the same load, and compare medians.
  const here = path.dirname(fileURLToPath(import.meta.url))
  const withTorch = !args.includes('--no-torch')
  const rounds = 3
  const per = Math.max(1, Math.ceil(steps / rounds))
  const times: number[] = []
  const torchTimes: number[] = []
  let torchInfo: TorchOut | null = null
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < per; i++) {
      const t0 = performance.now()
      await step()
      times.push((performance.now() - t0) / 1000)
    }
    if (withTorch && (round === 0 || torchInfo)) {
      const out = runTorch(here, { ...SHAPE, steps: per, no_sampling: true })
      if (out) {
        torchInfo = out
        torchTimes.push(...out.step_times)
      }
    }
  }
  const tfjsStep = median(times)

  const prompts = Array.from({ length: n }, () => Array.from({ length: SHAPE.prompt }, () => rng.int(2, SHAPE.vocab - 1)))
  const newTokens = SHAPE.t - SHAPE.prompt
  const sampleRate = async (useCache: boolean) => {
    // eos id −1: never stop early, so both sides generate exactly N × (T − P) tokens.
    const o = { maxNew: newTokens, temperature: 1, topP: 1, eosId: -1, padId: 0, rng: new Rng(1), useCache }
    await sample(policy, prompts, { ...o, maxNew: 4 })
    const t0 = performance.now()
    const res = await sample(policy, prompts, o)
    return res.generated / ((performance.now() - t0) / 1000)
  }
  const tokCache = await sampleRate(true)
  const tokNoCache = await sampleRate(false)

  reference.tfjsStepS = tfjsStep
  reference.tfjsSampleTokPerS = tokCache
  console.log(`tfjs backend ${info.name}: params ${policy.parameterCount}`)
  console.log(`  policy-gradient step (median of ${times.length}): ${tfjsStep.toFixed(3)} s`)
  console.log(`  sampling: ${tokCache.toFixed(0)} tokens/s with KV cache, ${tokNoCache.toFixed(0)} without`)
  if (!withTorch) return
  const torch = torchInfo ? runTorch(here, { ...SHAPE, steps: 1 }) : null
  if (!torch || !torchInfo) {
    console.log('PyTorch reference unavailable (apt-get install python3-torch)')
    return
  }
  torch.step_s = median(torchTimes)
  reference.torchStepS = torch.step_s
  reference.torchSampleTokPerS = torch.sample_tok_s_cache
  console.log(`PyTorch ${torch.torch} CPU (${torch.threads} thread(s)): params ${torch.params}`)
  console.log(`  policy-gradient step (median of ${torchTimes.length}): ${torch.step_s.toFixed(3)} s`)
  console.log(`  sampling: ${torch.sample_tok_s_cache.toFixed(0)} tokens/s with KV cache, ${torch.sample_tok_s_nocache.toFixed(0)} without`)
  const ratio = tfjsStep / torch.step_s
  console.log(`step time ratio tfjs/PyTorch: ${ratio.toFixed(2)} (target <= 0.50: ${ratio <= 0.5 ? 'met' : 'NOT met'})`)
  const sr = tokCache / torch.sample_tok_s_cache
  console.log(`sampling speed ratio tfjs/PyTorch with KV cache: ${sr.toFixed(2)} (target >= 1: ${sr >= 1 ? 'met' : 'NOT met'})`)
}

main()
  .then(() => (args.includes('--no-webgpu') || backend === 'webgpu' ? undefined : webgpuBeside(SHAPE, reference)))
  .then(() => (args.includes('--no-tasks') ? undefined : taskSpeed(backend, args.includes('--task') ? opt('task', '') : undefined)))
  .catch((e) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
