// The acceptance figures of the `strategy` task's base policy and of 200 GRPO steps (issue #12,
// docs/engine.md): `tsx bench/strategyAcceptance.ts run --seed S --out FILE [--workspace DIR]`
// trains one seed with the default config (`hicra train --task strategy --algo grpo --steps 200
// --seed S`, its own base), then measures the base's test Pass@1 by a 1-step run with evaluation at
// step 1 on the cached base; `... table FILE...` prints the markdown table of several seeds.
// Seeds can run at the same time in separate processes; the load average is recorded with each.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { mean } from '../src/core/stats'
import { runTraining } from '../src/engine/trainer'

interface SeedResult {
  seed: number
  steps: number
  warmupS: number
  stepMedianS: number
  load: number[][]
  step1: Record<string, number>
  tests: { step: number; pass1: number }[]
  basePass1: number
  windows: { first: Record<string, number>; last: Record<string, number> }
}

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const KEYS = ['accuracy', 'length', 'error_planning', 'error_calculation', 'error_format', 'semantic_entropy', 'token_entropy_planning', 'token_entropy_execution']

async function run(): Promise<void> {
  const seed = Number(arg('seed', '1'))
  const steps = Number(arg('steps', '200'))
  const out = arg('out', `acceptance-seed${seed}.json`)!
  const ws = arg('workspace', path.join('/tmp', `hicra-acceptance-${seed}`))!
  mkdirSync(ws, { recursive: true })
  const load: number[][] = [loadavg()]
  let warmupS = 0
  const rows: Record<string, number>[] = []
  const tests: { step: number; pass1: number }[] = []
  const fail = (e: { message: string }) => { throw new Error(e.message) }
  const r = await runTraining({ task: 'strategy', algo: 'grpo', steps, seed }, {
    onWarmup: (p) => {
      if (!p.cached) warmupS = p.elapsedS
      if (p.step === p.steps || p.step % 50 === 0) console.log(`seed ${seed}: warm-up ${p.step}/${p.steps} ${p.elapsedS.toFixed(0)} s`)
    },
    onStep: (e) => {
      rows.push({ step: e.step, ...e.metrics })
      if (e.metrics.test_pass_at_1 !== undefined) tests.push({ step: e.step, pass1: e.metrics.test_pass_at_1 })
      if (e.step % 25 === 0) { load.push(loadavg()); console.log(`seed ${seed}: step ${e.step}/${steps} acc ${e.metrics.accuracy?.toFixed(3)} test ${e.metrics.test_pass_at_1?.toFixed(3) ?? '-'}`) }
    },
    onError: fail
  }, { runId: `acceptance-${seed}`, workspace: ws })
  if (r.status !== 'completed') throw new Error(`run ${r.status}`)
  let basePass1 = NaN
  const b = await runTraining({ task: 'strategy', algo: 'grpo', steps: 1, seed, eval: { every: 1 } }, {
    onStep: (e) => { basePass1 = e.metrics.test_pass_at_1 ?? NaN },
    onError: fail
  }, { runId: `acceptance-base-${seed}`, workspace: ws })
  if (b.status !== 'completed') throw new Error(`base evaluation ${b.status}`)
  const win = (from: number, to: number) => Object.fromEntries(KEYS.map((k) => [k, mean(rows.slice(from, to).map((x) => x[k]).filter((v) => v !== undefined))]))
  const times = rows.slice(1).map((x) => x.step_time_s).sort((a, b) => a - b)
  const res: SeedResult = {
    seed, steps, warmupS, stepMedianS: times[Math.floor(times.length / 2)], load,
    step1: rows[0], tests, basePass1, windows: { first: win(0, 20), last: win(rows.length - 20, rows.length) }
  }
  writeFileSync(out, JSON.stringify(res, null, 1))
  console.log(`seed ${seed}: written ${out}`)
}

function table(files: string[]): void {
  const rs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as SeedResult)
  const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '–')
  const sgn = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3)
  const line = (name: string, target: string, vals: number[], fmt = f3) => {
    const lo = Math.min(...vals), hi = Math.max(...vals)
    console.log(`| ${name} | ${target} | ${vals.map(fmt).join(' | ')} | ${fmt(mean(vals))} | ${fmt(lo)}–${fmt(hi)} |`)
  }
  console.log(`| figure | target | ${rs.map((r) => `seed ${r.seed}`).join(' | ')} | mean | min–max |`)
  console.log(`|---|---|${rs.map(() => '---|').join('')}---|---|`)
  line('planning-token entropy, step 1 (nats)', '> execution', rs.map((r) => r.step1.token_entropy_planning))
  line('execution-token entropy, step 1 (nats)', '', rs.map((r) => r.step1.token_entropy_execution))
  line('`planning_high_entropy_share`, step 1', '≥ 0.5', rs.map((r) => r.step1.planning_high_entropy_share))
  line('`high_entropy_planning_share`, step 1', '< 0.5', rs.map((r) => r.step1.high_entropy_planning_share))
  line('base test Pass@1 (T 0.6)', '0.15–0.5', rs.map((r) => r.basePass1))
  const final = (r: SeedResult) => r.tests[r.tests.length - 1].pass1
  line(`test Pass@1 at step ${rs[0].steps}`, '', rs.map(final))
  line(`rise of test Pass@1 over ${rs[0].steps} steps`, '≥ 0.10 on average', rs.map((r) => final(r) - r.basePass1), sgn)
  for (const k of ['accuracy', 'length', 'error_planning', 'semantic_entropy']) {
    console.log(`| ${k}, steps 1–20 → last 20 | | ${rs.map((r) => `${f3(r.windows.first[k])} → ${f3(r.windows.last[k])}`).join(' | ')} | | |`)
  }
  console.log(`\nwarm-up ${rs.map((r) => r.warmupS.toFixed(0) + ' s').join(' / ')}; median RL step ${rs.map((r) => r.stepMedianS.toFixed(2) + ' s').join(' / ')}; load average (1 min) during the runs ${rs.map((r) => `${Math.min(...r.load.map((l) => l[0])).toFixed(1)}–${Math.max(...r.load.map((l) => l[0])).toFixed(1)}`).join(' / ')}`)
}

if (process.argv[2] === 'table') table(process.argv.slice(3))
else await run()
