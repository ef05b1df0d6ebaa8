// Part of `npm run bench:train`: how long a first run of each task waits, with its default config
// (the targets for `strategy`: warm-up of the default base policy <= 90 s, one RL step
// <= 1.5 s on two cores). `strategy` runs its whole default warm-up and then a few default RL
// steps through the real trainer; `route` and `countdown` time the first warm-up steps of their
// defaults and extrapolate to their step counts (a whole warm-up takes many minutes there).
// The machine's load average is printed beside the figures: other work on a shared machine slows
// every figure here, and nothing is compared against a reference in the same run.
import { loadavg } from 'node:os'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseTrainConfig, TASKS, type TaskName } from '../src/engine/config'
import { runTraining } from '../src/engine/trainer'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')

async function timeTask(task: TaskName, backend: string, full: boolean, rlSteps: number) {
  const ws = mkdtempSync(path.join(tmpdir(), 'hicra-bench-task-'))
  const defaults = parseTrainConfig({ task })
  const warmSteps = full ? defaults.warmup.steps : Math.min(defaults.warmup.steps, 10)
  let warm = { elapsedS: 0, step: 0, cpuS: 0 }
  let cpu0 = 0
  const stepTimes: number[] = []
  const stepCpu: number[] = []
  let cpuStep = 0
  try {
    const r = await runTraining({
      task, algo: 'grpo', backend, steps: rlSteps, eval: { every: 0 }, checkpointEvery: 0,
      warmup: { ...defaults.warmup, steps: warmSteps }
    }, {
      // CPU time of this process beside the wall time: on a shared machine the wall time counts
      // other processes' work too, the CPU time (one busy thread) is close to an idle machine's wall time.
      onWarmup: (p) => {
        if (p.cached) return
        if (p.step === 0) cpu0 = cpuSeconds()
        warm = { elapsedS: p.elapsedS, step: p.step, cpuS: cpuSeconds() - cpu0 }
        if (p.step === p.steps) cpuStep = cpuSeconds()
      },
      onStep: (e) => {
        stepTimes.push(e.metrics.step_time_s)
        const now = cpuSeconds()
        stepCpu.push(now - cpuStep)
        cpuStep = now
      },
      onError: (e) => { throw new Error(`${task}: ${e.message}`) }
    }, { runId: `bench-${task}`, workspace: ws })
    if (r.status !== 'completed') throw new Error(`${task}: run ${r.status}`)
  } finally {
    rmSync(ws, { recursive: true, force: true })
  }
  const perStep = warm.elapsedS / Math.max(1, warm.step)
  return {
    defaults, warmS: perStep * defaults.warmup.steps, warmCpuS: (warm.cpuS / Math.max(1, warm.step)) * defaults.warmup.steps, measured: warm.step,
    rlStep: stepTimes.length > 0 ? median(stepTimes.slice(1)) : NaN, rlCpu: stepCpu.length > 1 ? median(stepCpu.slice(1)) : NaN
  }
}

export async function taskSpeed(backend: string, only?: string): Promise<void> {
  console.log(`\nfirst run of each task, default config, tfjs ${backend} (load average before: ${load()})`)
  for (const task of TASKS) {
    if (only && only !== task) continue
    const full = task === 'strategy'
    const t = await timeTask(task, backend, full, full ? 6 : 1)
    const m = t.defaults.model
    const warmNote = (full ? `${t.warmS.toFixed(1)} s measured` : `${t.warmS.toFixed(0)} s extrapolated from ${t.measured} steps`) +
      ` (CPU ${t.warmCpuS.toFixed(1)} s)`
    let line = `  ${task.padEnd(9)} L${m.layers} D${m.dModel} H${m.heads}: warm-up ${t.defaults.warmup.steps}×${t.defaults.warmup.batchSize} ${warmNote}`
    // An RL step is timed only after the whole warm-up: a barely warmed policy writes to the length limit.
    if (full) {
      line += `; RL step (B ${t.defaults.batchPrompts} × G ${t.defaults.groupSize}) median of ${5} ${t.rlStep.toFixed(2)} s (CPU ${t.rlCpu.toFixed(2)} s)` +
        `  (targets: warm-up <= 90 s ${t.warmS <= 90 ? 'met' : 'NOT met'}, step <= 1.5 s ${t.rlStep <= 1.5 ? 'met' : 'NOT met'})`
    }
    console.log(line)
  }
  console.log(`  load average after: ${load()}`)
}
