/**
 * How resources/sg/default.json was mined (docs/strategic-grams.md). Reads real traces from a data
 * folder (default ../shared/data/real, never copied into the repo) and prints SgMiner candidates:
 *
 *  1. Qwen traces (Qwen2.5-Math-Instruct, 8 samples × 100 MATH problems; Qwen2.5-1.5B PPO
 *     checkpoints on GSM8K): ordinary mining, successful vs failed responses, ranked by cue score.
 *  2. The BUILD half of the labelled R1-distill traces (problems listed in BUILD_PROBLEMS): each
 *     sentence chunk is one response, "successful" meaning labelled planning, so lift measures how
 *     much more often an n-gram opens planning sentences than other sentences.
 *
 * The HELD-OUT problems are never read here. Usage: tsx scripts/sg/mine-default.ts [DATA_DIR] [--top N]
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SgMiner, type MinedCandidate } from '../../src/core/mining'
import { PLANNING_TAGS } from '../../src/main/sg/eval'
import { BUILD_PROBLEMS, LABELLED_MODEL } from './split'

const args = process.argv.slice(2)
const data = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top') ?? join(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/real')
const topIdx = args.indexOf('--top')
const top = topIdx >= 0 ? Number(args[topIdx + 1]) : 60
if (!existsSync(data)) {
  console.error(`no data folder at ${data}`)
  process.exit(2)
}

function show(title: string, cands: MinedCandidate[]): void {
  console.log(`\n## ${title}`)
  console.log('successDocs failureDocs lift cue phrase')
  for (const c of cands.slice(0, top)) {
    console.log(`${String(c.successDocs).padStart(5)} ${String(c.failureDocs).padStart(5)} ${c.lift.toFixed(2).padStart(6)} ${c.cueScore.toFixed(1).padStart(5)}  ${c.phrase}`)
  }
}

// 1. Qwen traces, mined the ordinary way.
const qwen = new SgMiner({ minN: 2, maxN: 5 })
const mathFile = join(data, 'qwen25_math_instruct_maj8_math100.jsonl')
let qwenResponses = 0
for (const line of readFileSync(mathFile, 'utf8').split('\n')) {
  if (!line.trim()) continue
  const rec = JSON.parse(line) as { code: string[]; score: boolean[] }
  rec.code.forEach((text, i) => { qwen.addResponse({ text, correct: rec.score[i] === true }); qwenResponses++ })
}
const ckpt = join(data, 'qwen25_1p5b_ppo_gsm8k_checkpoints')
for (const f of readdirSync(ckpt).filter((n) => n.endsWith('_raw.jsonl')).sort()) {
  for (const line of readFileSync(join(ckpt, f), 'utf8').split('\n')) {
    if (!line.trim()) continue
    const rec = JSON.parse(line) as { rollouts: { text: string; correct: boolean }[] }
    for (const r of rec.rollouts) { qwen.addResponse({ text: r.text, correct: r.correct }); qwenResponses++ }
  }
}
console.log(`Qwen responses mined: ${qwenResponses}`)
show('Qwen traces, ranked by cue score (minSupport 5)', qwen.candidates({ minSupport: 5, sortBy: 'cue', limit: top, minCue: 1 }))

// 2. The build half of the labelled R1-distill traces: planning sentences vs the rest.
const r1 = new SgMiner({ minN: 2, maxN: 4 })
const planning = new Set(PLANNING_TAGS)
let chunks = 0
let planningChunks = 0
for (const folder of ['correct_base_solution', 'incorrect_base_solution']) {
  for (const p of BUILD_PROBLEMS) {
    const file = join(data, 'thought_anchors_r1distill_math', LABELLED_MODEL, folder, `problem_${p}`, 'chunks_labeled.json')
    for (const c of JSON.parse(readFileSync(file, 'utf8')) as { chunk: string; function_tags: string[] }[]) {
      const isPlanning = c.function_tags.some((t) => planning.has(t))
      chunks++
      if (isPlanning) planningChunks++
      r1.addResponse({ text: c.chunk, correct: isPlanning })
    }
  }
}
console.log(`\nR1-distill build half: ${chunks} chunks, ${planningChunks} planning (problems ${BUILD_PROBLEMS.join(', ')})`)
show('R1-distill build half, planning vs other sentences, ranked by lift (minSupport 3)', r1.candidates({ minSupport: 3, sortBy: 'lift', limit: top, fold: false }))
