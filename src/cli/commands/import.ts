import { basename } from 'node:path'
import type { Command } from '../command'
import { UsageError } from '../command'
import { formatOption, intOption, mapOption, parse } from '../args'
import { defaultDbPath } from '../paths'
import { withBackend, call } from '../client'
import { humanBytes, progressPrinter } from '../format'
import { importResult, type ImportSummary } from '../../main/import/importer'
import { MAP_FIELDS } from '../../main/import/mapping'
import { tokenNote } from '../../shared/tokenNote'
import { outcomeNote } from '../../shared/outcomeNote'

export function printSummary(s: ImportSummary, runName: string | null): void {
  if (s.alreadyImported !== null) {
    console.log(`nothing imported: every file is already in run ${s.alreadyImported}${runName ? ` '${runName}'` : ''} (same content hash)`)
    return
  }
  const rate = s.seconds > 0 ? ` ${(s.bytes / 1e6 / s.seconds).toFixed(1)} MB/s` : ''
  console.log(`imported ${s.rollouts.toLocaleString('en-US')} rollouts over ${s.steps} steps into run ${s.runId}${runName ? ` '${runName}'` : ''} ` +
    `(${s.format}${s.layout ? ` from ${s.layout}` : ''}, ${humanBytes(s.bytes)} in ${s.seconds.toFixed(1)} s,${rate}; Strategic Grams: ${s.sg})`)
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
  const outcome = outcomeNote(s.noOutcome ?? 0, s.rollouts)
  if (outcome) console.log(outcome)
  for (const n of s.notes) console.log(`note: ${n}`)
}

export const importCommand: Command = {
  name: 'import',
  summary: 'import rollouts (verl dumps, JSONL, checkpoint evaluations) into a workspace',
  usage: `hicra import PATH... [--db FILE] [--name NAME] [--format verl|jsonl|checkpoints] [--map FIELD=NAME ...]
                [--each NAME,NAME...] [--split FIELD] [--sg FILE_OR_NAME] [--tokenizer tokenizer.json] [--max-line-mb N]
                [--final-step N] [--json]

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
  --each A,B         several models' answers in each record ({"question", "A": {…}, "B": {…}}):
                     one run per named entry, its fields read inside it (--map entry=A for one)
  --split FIELD      one run per value of FIELD (temperature, top_p, seed, model… or any scalar
                     field): a step's rollouts at each value apart, named NAME · FIELD=VALUE
  --sg FILE_OR_NAME  Strategic Gram set: a JSON file or a set of the workspace (default: resources/sg/default.json)
  --tokenizer FILE   tokenizer.json: tokenize responses that come without tokens
  --max-line-mb N    longest line read, in MB (default 64, at most 512): a longer line is skipped
                     and listed as a bad line with file:line, without holding it in memory
  --final-step N     the step of checkpoint files without a number in their name (final.jsonl);
                     default: right after the last numbered checkpoint (the summary says where)
  --json             print the summary as JSON`,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      db: { type: 'string' }, name: { type: 'string' }, format: { type: 'string' }, map: { type: 'string', multiple: true },
      sg: { type: 'string' }, tokenizer: { type: 'string' }, json: { type: 'boolean' }, 'max-line-mb': { type: 'string' },
      each: { type: 'string', multiple: true }, 'final-step': { type: 'string' }, split: { type: 'string' }
    })
    if (values.help) {
      console.log(this.usage)
      return 0
    }
    if (positionals.length === 0) throw new UsageError('give at least one file or folder to import')
    const format = formatOption(values.format)
    const mapping = mapOption(values.map)
    const maxLineMb = intOption(values['max-line-mb'], 'max-line-mb', 1, 512)
    const finalStep = intOption(values['final-step'], 'final-step', 0, 1e12)
    const each = (values.each ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
    if (values.each && each.length === 0) throw new UsageError('--each: name at least one entry, e.g. --each 6b_finetuning,175b_verification')
    return withBackend(values.db, async (backend) => {
      const bar = progressPrinter('importing')
      let jobId = 0
      let others: { jobId: number; runId: number; name: string }[] = []
      const off = backend.ctx.events.on('jobs/progress', (p) => {
        if (p.jobId === jobId && p.status === 'running') bar.update(p)
      })
      let cancelled = false
      const onSigint = () => {
        cancelled = true
        for (const id of [jobId, ...others.map((o) => o.jobId)]) if (id) void call(backend, 'import/cancel', { jobId: id }).catch(() => undefined)
      }
      process.on('SIGINT', onSigint)
      try {
        const started = await call(backend, 'import/start', {
          paths: positionals,
          ...(format ? { format } : {}),
          ...(values.name ? { name: values.name } : {}),
          ...(mapping ? { mapping } : {}),
          ...(values.sg ? { sg: values.sg } : {}),
          ...(values.tokenizer ? { tokenizer: values.tokenizer } : {}),
          ...(maxLineMb !== undefined ? { maxLineMb } : {}),
          ...(each.length > 0 ? { each } : {}),
          ...(values.split ? { split: values.split } : {}),
          ...(finalStep !== undefined ? { finalStep } : {})
        })
        jobId = started.jobId
        others = started.also ?? []
        if (cancelled) for (const id of [jobId, ...others.map((o) => o.jobId)]) backend.ctx.jobs.cancel(id)
        // The import's run, and the others it started (--each entries, a folder's start/final files).
        const jobs = [{ jobId, name: null as string | null }, ...others.map((o) => ({ jobId: o.jobId, name: o.name as string | null }))]
        const results: { name: string | null; summary?: ImportSummary; error?: string }[] = []
        for (const j of jobs) {
          try {
            results.push({ name: j.name, summary: await importResult(j.jobId)! })
          } catch (err) {
            results.push({ name: j.name, error: (err as Error).message })
          }
          if (j.jobId === jobId) bar.end()
        }
        if (cancelled) {
          console.error('hicra import: cancelled; the workspace is as it was before')
          return 130
        }
        if (values.json) console.log(JSON.stringify(results.length === 1 ? results[0]!.summary ?? { error: results[0]!.error } : results, null, 2))
        for (const r of results) {
          if (r.error !== undefined) console.error(`hicra import${r.name ? ` (${r.name})` : ''}: ${r.error}`)
          else if (!values.json) {
            if (results.length > 1 && r.name) console.log(`\n${r.name}:`)
            printSummary(r.summary!, r.summary!.runId ? backend.ctx.store.runs.get(r.summary!.runId)?.name ?? null : null)
          }
        }
        // An import that stored nothing is a failure, even beside others that worked.
        return results.some((r) => r.error !== undefined) ? 1 : 0
      } finally {
        off()
        process.off('SIGINT', onSigint)
      }
    })
  }
}
