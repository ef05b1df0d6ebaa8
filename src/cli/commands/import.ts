import { basename } from 'node:path'
import type { Command } from '../command'
import { UsageError } from '../command'
import { formatOption, mapOption, parse } from '../args'
import { defaultDbPath } from '../paths'
import { withBackend, call } from '../client'
import { humanBytes, progressPrinter } from '../format'
import { importResult, type ImportSummary } from '../../main/import/importer'
import { MAP_FIELDS } from '../../main/import/mapping'
import { tokenNote } from '../../shared/tokenNote'

export function printSummary(s: ImportSummary, runName: string | null): void {
  if (s.alreadyImported !== null) {
    console.log(`nothing imported: every file is already in run ${s.alreadyImported}${runName ? ` '${runName}'` : ''} (same content hash)`)
    return
  }
  const rate = s.seconds > 0 ? ` ${(s.bytes / 1e6 / s.seconds).toFixed(1)} MB/s` : ''
  console.log(`imported ${s.rollouts.toLocaleString('en-US')} rollouts over ${s.steps} steps into run ${s.runId}${runName ? ` '${runName}'` : ''} ` +
    `(${s.format}, ${humanBytes(s.bytes)} in ${s.seconds.toFixed(1)} s,${rate}; Strategic Grams: ${s.sg})`)
  const already = s.files.filter((f) => f.status !== 'imported')
  for (const f of already) console.log(`  ${basename(f.path)}: ${f.status}${f.runId ? ` (run ${f.runId})` : ''}, not imported again`)
  if (s.skippedLines > 0) {
    const kinds = Object.entries(s.skippedByKind).map(([k, n]) => `${n} ${k}`).join(', ')
    console.log(`skipped ${s.skippedLines.toLocaleString('en-US')} line${s.skippedLines === 1 ? '' : 's'} (${kinds})`)
    for (const b of s.bad) console.log(`  ${b.file}:${b.line}: ${b.kind}: ${b.message}`)
    const more = Object.values(s.skippedByKind).reduce((a, b) => a + b, 0) - s.bad.length
    if (more > 0) console.log(`  … and ${more} more`)
  } else console.log('skipped 0 lines')
  console.log(tokenNote(s.tokenRollouts, s.rollouts))
  for (const n of s.notes) console.log(`note: ${n}`)
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import rollouts (verl dumps, JSONL, checkpoint evaluations) into a workspace',
  usage: `hicra import PATH... [--db FILE] [--name NAME] [--format verl|jsonl|checkpoints] [--map FIELD=NAME ...]
                [--sg FILE_OR_NAME] [--tokenizer tokenizer.json] [--json]

Reads each file as a stream (any size), stores every rollout with its per-token arrays, and the
per-step metrics of SPEC §4 for the Strategic Gram set. Bad lines are skipped and listed with
file:line. Files already imported (same content) are not imported again. Ctrl-C cancels and
leaves the workspace as it was.

  --db FILE          workspace database (default: ${defaultDbPath()})
  --name NAME        run name (default: the file or folder name)
  --format F         verl (folder of <step>.jsonl), jsonl, checkpoints (one file per checkpoint,
                     rollouts nested per question); detected when not given
  --map FIELD=NAME   where a field is (repeat): ${MAP_FIELDS.join(', ')};
                     NAME may be a dotted path. Defaults catch the common names.
  --sg FILE_OR_NAME  Strategic Gram set: a JSON file or a set of the workspace (default: resources/sg/default.json)
  --tokenizer FILE   tokenizer.json: tokenize responses that come without tokens
  --json             print the summary as JSON`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      db: { type: 'string' }, name: { type: 'string' }, format: { type: 'string' }, map: { type: 'string', multiple: true },
      sg: { type: 'string' }, tokenizer: { type: 'string' }, json: { type: 'boolean' }
    })
    if (values.help) {
      console.log(this.usage)
      return 0
    }
    if (positionals.length === 0) throw new UsageError('give at least one file or folder to import')
    const format = formatOption(values.format)
    const mapping = mapOption(values.map)
    return withBackend(values.db, async (backend) => {
      const bar = progressPrinter('importing')
      let jobId = 0
      const off = backend.ctx.events.on('jobs/progress', (p) => {
        if (p.jobId === jobId && p.status === 'running') bar.update(p)
      })
      let cancelled = false
      const onSigint = () => {
        cancelled = true
        if (jobId) void call(backend, 'import/cancel', { jobId }).catch(() => undefined)
      }
      process.on('SIGINT', onSigint)
      try {
        const started = await call(backend, 'import/start', {
          paths: positionals,
          ...(format ? { format } : {}),
          ...(values.name ? { name: values.name } : {}),
          ...(mapping ? { mapping } : {}),
          ...(values.sg ? { sg: values.sg } : {}),
          ...(values.tokenizer ? { tokenizer: values.tokenizer } : {})
        })
        jobId = started.jobId
        if (cancelled) backend.ctx.jobs.cancel(jobId)
        let summary: ImportSummary
        try {
          summary = await importResult(jobId)!
        } catch (err) {
          bar.end()
          if (cancelled) {
            console.error('hicra import: cancelled; the workspace is as it was before')
            return 130
          }
          throw err
        }
        bar.end()
        if (values.json) console.log(JSON.stringify(summary, null, 2))
        else printSummary(summary, summary.runId ? backend.ctx.store.runs.get(summary.runId)?.name ?? null : null)
        return 0
      } finally {
        off()
        process.off('SIGINT', onSigint)
      }
    })
  }
}
