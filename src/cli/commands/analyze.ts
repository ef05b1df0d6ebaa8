import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import type { Command } from '../command'
import { UsageError } from '../command'
import { formatOption, intOption, mapOption, parse } from '../args'
import { progressPrinter, table } from '../format'
import { analyzeFiles } from '../../main/import/analyze'
import { resolveSg } from '../../main/import/sgResolve'
import { readTokenizer } from '../../main/import/tokenizer'
import { tokenNote } from '../../shared/tokenNote'
import { outcomeNote } from '../../shared/outcomeNote'

/**
 * With a worker on every core, V8's background compiler threads can only take turns with the
 * workers, and a worker runs its hot code unoptimized until its turn comes; compiling on the
 * worker's own thread instead (this process runs nothing else) was faster: docs/import.md. The
 * flag holds for isolates made after it is set, so for the workers about to start.
 */
function compileOnWorkers(count: number): void {
  if (count >= availableParallelism()) setFlagsFromString('--no-concurrent-recompilation')
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'SPEC metrics per step of rollout files, without a workspace',
  usage: `hicra analyze PATH... [--sg FILE] [--format verl|jsonl|checkpoints] [--map FIELD=NAME ...]
                 [--tokenizer tokenizer.json] [--json]

Reads the files the way \`hicra import\` does and prints the metrics of SPEC §4 per step (only those
the input supports), without writing anything. Skipped lines are reported on stderr.

  --sg FILE         Strategic Gram set (JSON; default: resources/sg/default.json)
  --format F        verl, jsonl or checkpoints (detected when not given)
  --map FIELD=NAME  where a field is (repeat), as for hicra import
  --tokenizer FILE  tokenizer.json, for token-level metrics of responses without tokens
  --threads N       threads, this one included (default: one per core up to 8 for several files over 32 MB; 1 = no workers)
  --json            print one JSON object {"steps": [{"step": 1, "rollouts": …, "accuracy": …}, …]}`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      sg: { type: 'string' }, format: { type: 'string' }, map: { type: 'string', multiple: true }, tokenizer: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }
    })
    if (values.help) {
      console.log(this.usage)
      return 0
    }
    if (positionals.length === 0) throw new UsageError('give at least one file or folder to analyze')
    const format = formatOption(values.format)
    const threads = intOption(values.threads, 'threads', 1, 64)
    const mapping = mapOption(values.map)
    let sg
    let tokenizer = null
    try {
      sg = resolveSg(values.sg, null)
      if (values.tokenizer) tokenizer = readTokenizer(values.tokenizer)
    } catch (e) {
      console.error(`hicra analyze: ${(e as Error).message}`)
      return 1
    }
    let r
    const bar = progressPrinter('analyzing')
    const t0 = Date.now()
    const onProgress = (done: number, total: number) => {
      const s = (Date.now() - t0) / 1000
      bar.update({ done, total, unit: 'bytes', rate: s > 0.5 ? done / s : null, message: null })
    }
    try {
      r = await analyzeFiles({ paths: positionals, format, mapping, phrases: sg.phrases, tokenizer, tokenizerPath: values.tokenizer ?? null, threads, onProgress, onWorkers: compileOnWorkers })
    } catch (e) {
      bar.end()
      if ((e as Error).name === 'SourceError') {
        console.error(`hicra analyze: ${(e as Error).message}`)
        return 1
      }
      throw e
    }
    bar.end()
    if (r.bad.total > 0) {
      const kinds = Object.entries(r.bad.byKind).map(([k, n]) => `${n} ${k}`).join(', ')
      console.error(`skipped: ${kinds}`)
      for (const b of r.bad.first.slice(0, 20)) console.error(`  ${b.file}:${b.line}: ${b.kind}: ${b.message}`)
    }
    for (const n of r.notes) console.error(`note: ${n}`)
    console.error(`format: ${r.format} from ${r.layout}`)
    if (r.rollouts === 0) {
      // Nothing usable: no metrics to print, and the reason instead of an empty table.
      const why = r.bad.total > 0 ? `every record was skipped (${Object.entries(r.bad.byKind).map(([k, n]) => `${n} ${k}`).join(', ')})` : 'the files hold no records'
      console.error(`hicra analyze: no rollout to analyze in ${positionals.join(', ')}: ${why}`)
      return 1
    }
    console.error(tokenNote(r.tokenRollouts, r.rollouts))
    const outcome = outcomeNote(r.noOutcome, r.rollouts)
    if (outcome) console.error(outcome)
    if (values.json) {
      process.stdout.write(JSON.stringify({ steps: r.steps }) + '\n')
      return 0
    }
    const keys = [...new Set(r.steps.flatMap((s) => Object.keys(s)))]
    console.log(table(keys, r.steps.map((s) => keys.map((k) => (s[k] === undefined ? '' : Number.isInteger(s[k]) ? s[k] : s[k]!.toFixed(4))))))
    return 0
  }
}
