import { createWriteStream, type WriteStream } from 'node:fs'
import type { Command } from '../command'
import { UsageError } from '../command'
import { parse } from '../args'
import { defaultDbPath } from '../paths'
import { withBackend } from '../client'
import type { Store } from '../../main/store'

/** RUN is an id or an exact run name. */
function findRun(store: Store, arg: string): number {
  if (/^\d+$/.test(arg) && store.runs.get(Number(arg))) return Number(arg)
  const named = store.runs.list({ search: arg }).filter((r) => r.name === arg)
  if (named.length === 1) return named[0]!.id
  if (named.length > 1) throw new UsageError(`${named.length} runs are named '${arg}': give the id (${named.map((r) => r.id).join(', ')})`)
  throw new UsageError(`no run '${arg}' in this workspace (see hicra runs list)`)
}

const csvCell = (v: number | undefined) => (v === undefined ? '' : String(v))

export const exportCommand: Command = {
  name: 'export',
  summary: "export a run's metrics, every step (never downsampled), as CSV or JSONL",
  usage: `hicra export RUN [--db FILE] --format csv|jsonl [--out FILE]

RUN is a run id or name. CSV: one row per step, a column per metric. JSONL: one object per step.

  --db FILE     workspace database (default: ${defaultDbPath()})
  --format F    csv or jsonl
  --out FILE    write there instead of stdout`,
  async run(argv) {
    const { values, positionals } = parse(argv, { db: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } })
    if (values.help) {
      console.log(this.usage)
      return 0
    }
    if (positionals.length !== 1) throw new UsageError('give one run (id or name)')
    const format = values.format
    if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl${format ? `, got '${format}'` : ''}`)
    return withBackend(values.db, async (backend) => {
      const store = backend.ctx.store
      const runId = findRun(store, positionals[0]!)
      const keys = store.runs.metricKeys(runId)
      const file: WriteStream | null = values.out ? createWriteStream(values.out) : null
      const write = (s: string) => (file ? file.write(s) : process.stdout.write(s))
      if (format === 'csv') write(['step', ...keys].join(',') + '\n')
      let step: number | null = null
      let row: Record<string, number> = {}
      let rows = 0
      const flush = () => {
        if (step === null) return
        rows++
        if (format === 'csv') write([step, ...keys.map((k) => csvCell(row[k]))].join(',') + '\n')
        else write(JSON.stringify({ step, ...row }) + '\n')
      }
      // Points come ordered by step, then key: one output row per step, streamed.
      for (const p of store.metrics.all(runId)) {
        if (p.step !== step) {
          flush()
          step = p.step
          row = {}
        }
        row[p.key] = p.value
      }
      flush()
      if (file) {
        await new Promise<void>((res, rej) => file.end((err?: Error | null) => (err ? rej(err) : res())))
        console.error(`wrote ${rows} steps × ${keys.length} metrics of run ${runId} to ${values.out}`)
      }
      return 0
    })
  }
}
