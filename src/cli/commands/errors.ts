import { readFileSync } from 'node:fs'
import type { Command } from '../command'
import { UsageError } from '../command'
import { intOption, parse } from '../args'
import { defaultDbPath } from '../paths'
import { call, withBackend } from '../client'
import { progressLine, table } from '../format'
import type { Backend } from '../../main/backend'
import type { ErrorsJobReport, LabelFilter } from '../../shared/api/errors'

const SOURCES = ['effective', 'truth', 'manual', 'rule', 'judge']

function runArg(positionals: string[], verb: string): number {
  const id = Number(positionals[0])
  if (positionals.length !== 1 || !Number.isInteger(id) || id <= 0) throw new UsageError(`usage: hicra errors ${verb} RUN_ID`)
  return id
}

/** Waits for an errors job, drawing its progress on stderr; Ctrl-C cancels it. */
async function follow(backend: Backend, jobId: number, label: string): Promise<ErrorsJobReport> {
  const tty = process.stderr.isTTY
  const off = backend.ctx.events.on('jobs/progress', (p) => {
    if (p.jobId !== jobId || p.status !== 'running' || !tty) return
    process.stderr.write('\r' + progressLine(label, p.done, p.total, p.unit, p.rate) + '\x1b[K')
  })
  const onSigint = () => backend.ctx.jobs.cancel(jobId)
  process.on('SIGINT', onSigint)
  try {
    for (;;) {
      const j = await call(backend, 'errors/job', { jobId })
      if (j.status !== 'running' && j.status !== 'queued') {
        if (tty) process.stderr.write('\r\x1b[K')
        return j
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    off()
    process.off('SIGINT', onSigint)
  }
}

function jobExit(j: ErrorsJobReport, what: string): number {
  if (j.status === 'completed') return 0
  console.error(j.status === 'cancelled' ? `hicra errors ${what}: cancelled; labels stored so far are kept` : `hicra errors ${what}: ${j.error}`)
  return j.status === 'cancelled' ? 130 : 1
}

export const errorsCommand: Command = {
  name: 'errors',
  summary: 'error types of failed responses: counts, rule pre-labels, LLM judge, taxonomy',
  usage: `hicra errors counts RUN_ID [--source effective|truth|manual|rule|judge] [--json]
hicra errors rules RUN_ID                     pre-label failures with the rules (source rule)
hicra errors judge RUN_ID [--url URL] [--model NAME] [--key-env VAR] [--concurrency N]
                          [--timeout S] [--redo] [--limit N]
                                              label failures with an OpenAI-compatible endpoint
hicra errors label ROLLOUT_ID TYPE | --clear | --accept judge|rule|truth
hicra errors taxonomy [--set FILE.json | --reset] [--json]

  --db FILE       workspace database (default: ${defaultDbPath()})
  --source S      count one label source, or each failure's effective label (manual > judge > rule > truth)
  --url, --model  judge endpoint and model, saved for later runs (the app's Errors view shares them)
  --key-env VAR   read the judge's API key from environment variable VAR, for this run only (never stored);
                  without it, a key saved in the app for this same URL is used`,
  async run(argv) {
    const [verb, ...rest] = argv
    const { values, positionals } = parse(rest, {
      db: { type: 'string' }, json: { type: 'boolean' }, source: { type: 'string' },
      url: { type: 'string' }, model: { type: 'string' }, 'key-env': { type: 'string' }, concurrency: { type: 'string' },
      timeout: { type: 'string' }, redo: { type: 'boolean' }, limit: { type: 'string' },
      clear: { type: 'boolean' }, accept: { type: 'string' }, set: { type: 'string' }, reset: { type: 'boolean' }
    })
    if (values.help || !verb || verb === '--help' || verb === '-h') {
      console.log(this.usage)
      return verb ? 0 : 2
    }
    return withBackend(values.db, async (backend) => {
      switch (verb) {
        case 'counts': {
          const source = (values.source ?? 'effective') as LabelFilter
          if (!SOURCES.includes(source)) throw new UsageError(`--source must be one of ${SOURCES.join(', ')}`)
          const c = await call(backend, 'errors/counts', { runId: runArg(positionals, 'counts'), source })
          if (values.json) console.log(JSON.stringify(c, null, 2))
          else if (c.totals.failures === 0) console.log('This run has no failed responses.')
          else console.log(table(['step', 'failures', ...c.types, 'unlabelled', ...c.groups.map((g) => g.name)],
            c.steps.map((s, i) => [s, c.failures[i], ...c.types.map((t) => c.series[t]![i]), c.unlabelled[i], ...c.groups.map((g) => g.counts[i])])))
          return 0
        }
        case 'rules': {
          const { jobId } = await call(backend, 'errors/rules', { runId: runArg(positionals, 'rules') })
          const j = await follow(backend, jobId, 'rules')
          const r = j.result as { failures: number; labelled: number; byRule: Record<string, number> } | null
          if (r) console.log(`${r.labelled} of ${r.failures} failures pre-labelled` +
            (Object.keys(r.byRule).length ? ': ' + Object.entries(r.byRule).map(([k, n]) => `${k} ${n}`).join(', ') : ''))
          return jobExit(j, 'rules')
        }
        case 'judge': {
          const runId = runArg(positionals, 'judge')
          let apiKey: string | undefined
          if (values['key-env'] !== undefined) {
            apiKey = process.env[values['key-env']]
            if (apiKey === undefined) throw new UsageError(`environment variable ${values['key-env']} is not set`)
          }
          const concurrency = intOption(values.concurrency, 'concurrency', 1, 32)
          const timeout = intOption(values.timeout, 'timeout', 1, 600)
          const limit = intOption(values.limit, 'limit', 1)
          const patch = {
            ...(values.url !== undefined ? { baseUrl: values.url } : {}), ...(values.model !== undefined ? { model: values.model } : {}),
            ...(concurrency !== undefined ? { concurrency } : {}),
            ...(timeout !== undefined ? { timeoutSeconds: timeout } : {})
          }
          if (Object.keys(patch).length > 0) {
            const v = await call(backend, 'errors/setJudgeConfig', patch)
            if (v.keyDropped && apiKey === undefined) console.error(`note: the stored API key was for the previous URL and was dropped (a key is sent only to the URL it was given for); pass --key-env VAR for ${v.baseUrl}`)
          }
          // The key from the environment is used for this run only and never stored.
          const { jobId } = await call(backend, 'errors/judge', { runId, redo: values.redo ?? false, ...(limit !== undefined ? { limit } : {}), ...(apiKey !== undefined ? { apiKey } : {}) })
          const j = await follow(backend, jobId, 'judging')
          const r = j.result as { asked: number; labelled: number; failed: number; errors: { rolloutId: number; message: string }[] } | null
          if (r) {
            console.log(`${r.labelled} of ${r.asked} failures labelled by the judge${r.failed ? `, ${r.failed} replies unusable` : ''}`)
            for (const e of r.errors.slice(0, 10)) console.log(`  rollout ${e.rolloutId}: ${e.message}`)
          }
          return jobExit(j, 'judge')
        }
        case 'label': {
          const id = Number(positionals[0])
          if (!Number.isInteger(id) || id <= 0) throw new UsageError('usage: hicra errors label ROLLOUT_ID TYPE | --clear | --accept SOURCE')
          const type = positionals[1]
          const given = [type !== undefined, values.clear === true, values.accept !== undefined].filter(Boolean).length
          if (given !== 1) throw new UsageError('give exactly one of TYPE, --clear and --accept SOURCE')
          const res = values.accept !== undefined
            ? await call(backend, 'errors/label', { rolloutId: id, accept: values.accept as 'judge' | 'rule' | 'truth' })
            : await call(backend, 'errors/label', { rolloutId: id, errorType: values.clear ? null : type! })
          console.log(res.labels.length ? res.labels.map((l) => `${l.source}: ${l.errorType}`).join(', ') : `rollout ${id} has no label`)
          return 0
        }
        case 'taxonomy': {
          if (values.set !== undefined && values.reset) throw new UsageError('give --set FILE or --reset, not both')
          let tax
          if (values.set !== undefined) {
            let parsed: unknown
            try {
              parsed = JSON.parse(readFileSync(values.set, 'utf8'))
            } catch (err) {
              throw new UsageError(`${values.set}: ${(err as Error).message}`)
            }
            tax = await call(backend, 'errors/setTaxonomy', { taxonomy: parsed as never })
          } else if (values.reset) tax = await call(backend, 'errors/setTaxonomy', { taxonomy: null })
          else tax = await call(backend, 'errors/taxonomy', {})
          if (values.json) console.log(JSON.stringify(tax, null, 2))
          else console.log(table(['id', 'group', 'meaning'], tax.types.map((t) => [t.id, t.group, t.meaning])))
          return 0
        }
        default:
          throw new UsageError(`unknown verb 'errors ${verb}': use counts, rules, judge, label or taxonomy`)
      }
    })
  }
}
