import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { Command } from '../command'
import { UsageError } from '../command'
import { intOption, parse } from '../args'
import { defaultDbPath } from '../paths'
import { call, withBackend } from '../client'
import { progressLine, table } from '../format'
import { ApiError } from '../../shared/errors'
import type { SgEvalCounts, SgEvalResult } from '../../shared/api/sg'
import { serializeSgSet } from '../../core/strategicGrams'
import { builtinDefaultSet, DEFAULT_SET_NAME, resolveSgSet, type ResolvedSgSet } from '../../main/sg/resolve'
import { evaluateDirs } from '../../main/sg/eval'
import type { Backend } from '../../main/backend'

const fmt = (x: number | null): string => (x === null ? '—' : x.toFixed(3))

function printEval(r: SgEvalResult): void {
  const row = (name: string, c: SgEvalCounts) => [name, c.positives, c.predicted, c.truePositives, fmt(c.precision), fmt(c.recall), fmt(c.f1)]
  console.log(`Strategic Gram set ${r.set} on ${r.files} labelled file(s), ${r.overall.chunks} chunks; planning = ${r.planningTags.join(' | ')}\n`)
  console.log(table(['chunks tagged', 'positives', 'predicted', 'true pos', 'precision', 'recall', 'F1'],
    [row('planning (overall)', r.overall), ...Object.entries(r.perTag).map(([t, c]) => row(t, c))]))
}

/** SG_SET for commands that may run without a workspace: a file or `default` needs no --db. */
async function withSet<T>(db: string | undefined, arg: string, fn: (set: ResolvedSgSet, backend: Backend | null) => Promise<T>): Promise<T> {
  if (db === undefined) {
    try {
      return await fn(resolveSgSet(null, arg, 'SG_SET'), null)
    } catch (e) {
      // Not a file nor the built-in: look it up in the default workspace, if there is one.
      if (!(e instanceof ApiError && e.code === 'not_found') || !existsSync(defaultDbPath())) throw e
    }
  }
  return withBackend(db, async (backend) => fn(resolveSgSet(backend.ctx.store, arg, 'SG_SET'), backend))
}

function parseSteps(v: string | undefined): { stepMin?: number; stepMax?: number } {
  if (v === undefined) return {}
  const m = /^(\d*):(\d*)$/.exec(v) ?? /^(\d+)$/.exec(v)
  if (!m) throw new UsageError(`--steps must be A:B, A:, :B or N, got '${v}'`)
  if (m.length === 2) return { stepMin: Number(m[1]), stepMax: Number(m[1]) }
  return { ...(m[1] ? { stepMin: Number(m[1]) } : {}), ...(m[2] ? { stepMax: Number(m[2]) } : {}) }
}

export const sgCommand: Command = {
  name: 'sg',
  summary: 'Strategic Gram sets: list, import, export, evaluate on labelled traces, mine',
  usage: `hicra sg list [--db FILE] [--json]
hicra sg eval SG_SET DIR... [--json] [--grams] [--db FILE]
hicra sg export NAME [--version N] [--out FILE] [--db FILE]
hicra sg import FILE [--name NAME] [--replace] [--db FILE]
hicra sg mine --run ID [--run ID ...] [--steps A:B] [--min-n 3] [--max-n 5] [--min-support 2] [--limit 50] [--set NAME] [--json] [--db FILE]

  SG_SET      a set file (JSON), a stored set's name, or '${DEFAULT_SET_NAME}' (the built-in set)
  DIR         folders searched for chunks_labeled.json (thought-anchors format); a chunk is planning
              when its function_tags hold plan_generation, uncertainty_management or self_checking,
              predicted planning when it holds an occurrence of the set
  --json      print JSON (eval: overall and per-tag precision, recall, F1; --grams adds per-gram counts)
  --db FILE   workspace database (default: ${defaultDbPath()})`,
  async run(argv) {
    const [verb, ...rest] = argv
    const { values, positionals } = parse(rest, {
      db: { type: 'string' }, json: { type: 'boolean' }, grams: { type: 'boolean' }, out: { type: 'string' }, name: { type: 'string' },
      replace: { type: 'boolean' }, version: { type: 'string' }, run: { type: 'string', multiple: true }, steps: { type: 'string' },
      'min-n': { type: 'string' }, 'max-n': { type: 'string' }, 'min-support': { type: 'string' }, limit: { type: 'string' }, set: { type: 'string' }
    })
    if (values.help || !verb || verb === '--help' || verb === '-h') {
      console.log(this.usage)
      return verb ? 0 : 2
    }
    switch (verb) {
      case 'eval': {
        if (positionals.length < 2) throw new UsageError('usage: hicra sg eval SG_SET DIR...')
        const [setArg, ...dirs] = positionals as [string, ...string[]]
        return withSet(values.db, setArg, async (set) => {
          const label = set.origin.kind === 'stored' ? `${set.name} v${set.origin.version}` : set.origin.kind === 'file' ? `${set.name} (${set.origin.path})` : `${set.name} (built-in)`
          const result = evaluateDirs(label, set.grams.map((g) => g.phrase), dirs)
          if (values.json) {
            const { perGram, ...rest } = result
            console.log(JSON.stringify(values.grams ? result : rest, null, 2))
          } else printEval(result)
          return 0
        })
      }
      case 'export': {
        if (positionals.length !== 1) throw new UsageError('usage: hicra sg export NAME [--out FILE]')
        const version = intOption(values.version, 'version', 1)
        const json = await withBackend(values.db, async (backend) => {
          const stored = backend.ctx.store.sgSets.byName(positionals[0]!)
          if (!stored) {
            if (positionals[0] === DEFAULT_SET_NAME) return serializeSgSet(builtinDefaultSet())
            throw new ApiError('not_found', `no stored Strategic Gram set named '${positionals[0]}' (see hicra sg list)`, 'NAME')
          }
          return (await call(backend, 'sg/export', { id: stored.id, ...(version ? { version } : {}) })).json
        })
        if (values.out) {
          writeFileSync(values.out, json)
          console.error(`wrote ${values.out}`)
        } else process.stdout.write(json)
        return 0
      }
      case 'import': {
        if (positionals.length !== 1) throw new UsageError('usage: hicra sg import FILE [--name NAME]')
        const file = positionals[0]!
        let text: string
        try {
          text = readFileSync(file, 'utf8')
        } catch (e) {
          throw new ApiError('invalid_argument', `cannot read ${file}: ${(e as Error).message}`, 'FILE')
        }
        return withBackend(values.db, async (backend) => {
          const set = await call(backend, 'sg/import', {
            json: text, fileName: basename(file), ...(values.name ? { name: values.name } : {}), replace: values.replace ?? false
          })
          console.log(`imported ${set.gramCount} grams as '${set.name}' version ${set.version} (set ${set.id})`)
          return 0
        })
      }
      case 'list': {
        return withBackend(values.db, async (backend) => {
          const sets = await call(backend, 'sg/list', {})
          if (values.json) console.log(JSON.stringify(sets, null, 2))
          else if (sets.length === 0) console.log(`No Strategic Gram sets yet. Import one with \`hicra sg import FILE\`; the built-in '${DEFAULT_SET_NAME}' is always available as SG_SET.`)
          else console.log(table(['id', 'name', 'version', 'grams', 'updated'],
            sets.map((s) => [s.id, s.name, s.headVersion, s.gramCount, new Date(s.updatedAt).toISOString().slice(0, 19).replace('T', ' ')])))
          return 0
        })
      }
      case 'mine': {
        const runs = (values.run ?? []).map((r) => intOption(r, 'run', 1)!)
        if (runs.length === 0) throw new UsageError('give at least one --run ID')
        return withBackend(values.db, async (backend) => {
          const setId = values.set ? backend.ctx.store.sgSets.byName(values.set)?.id : undefined
          if (values.set && setId === undefined) throw new ApiError('not_found', `no stored Strategic Gram set named '${values.set}'`, 'set')
          const tty = process.stderr.isTTY
          const off = backend.ctx.events.on('jobs/progress', (p) => {
            if (p.kind !== 'sg-mine') return
            const line = progressLine('mining', p.done, p.total, p.unit, p.rate)
            if (tty) process.stderr.write(`\r${line}`)
          })
          try {
            const { jobId } = await call(backend, 'sg/mine', {
              runIds: runs, ...parseSteps(values.steps), ...(setId ? { setId } : {}),
              ...(values['min-n'] ? { minN: intOption(values['min-n'], 'min-n', 2, 8) } : {}),
              ...(values['max-n'] ? { maxN: intOption(values['max-n'], 'max-n', 2, 8) } : {}),
              ...(values['min-support'] ? { minSupport: intOption(values['min-support'], 'min-support', 1) } : {}),
              limit: intOption(values.limit, 'limit', 1, 2000) ?? 50
            })
            const res = await call(backend, 'sg/candidates', { jobId })
            if (tty) process.stderr.write('\n')
            if (res.status !== 'completed') throw new ApiError('internal', `mining ${res.status}: ${res.error ?? ''}`)
            if (values.json) console.log(JSON.stringify(res, null, 2))
            else {
              console.log(`${res.responses} responses (${res.successResponses} successful); ${res.hiddenRejected} rejected candidates hidden\n`)
              console.log(table(['phrase', 'count', 'docs', 'success', 'failure', 'lift', 'cue', 'in set'],
                res.candidates.map((c) => [c.phrase, c.successCount + c.failureCount, c.docFreq, c.successDocs, c.failureDocs, c.lift.toFixed(2), c.cueScore.toFixed(1), c.inSet ? 'yes' : ''])))
            }
            return 0
          } finally {
            off()
          }
        })
      }
      default:
        throw new UsageError(`unknown verb 'sg ${verb}': use list, eval, export, import or mine`)
    }
  }
}
