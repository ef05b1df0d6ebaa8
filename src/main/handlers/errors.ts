import { ApiError } from '../../shared/errors'
import { DEFAULT_ERROR_TAXONOMY, validateTaxonomy, type ErrorTaxonomy } from '../../core/errorTypes'
import type { JudgeConfigView, QueueItem } from '../../shared/api/errors'
import type { BackendContext } from '../context'
import { buildCounts } from '../errors/counts'
import { DEFAULT_JUDGE_CONFIG, type JudgeConfig } from '../errors/judge'
import { startJudgeJob, startRulesJob } from '../errors/jobs'
import { PlanningSpans } from '../errors/planning'
import { loadTaxonomy } from '../errors/taxonomy'
import type { HandlersOf } from './types'

function mustHaveRun(ctx: BackendContext, id: number, field = 'runId'): void {
  if (!ctx.store.runs.get(id)) throw new ApiError('not_found', `run ${id} does not exist`, field)
}

/**
 * The judge's API key is a secret bound to the URL it was given for: kept in the secret store
 * (the OS keychain in the desktop app) as `{baseUrl, key}`, and sent only to that URL. A key
 * for another URL is no key at all, so changing the URL can never send the old key elsewhere.
 */
const KEY_SECRET = 'judge.apiKey'
interface BoundKey { baseUrl: string; key: string }

function storedKey(ctx: BackendContext): BoundKey | null {
  const text = ctx.secrets.get(KEY_SECRET)
  if (text === null) return null
  try {
    const v = JSON.parse(text) as Partial<BoundKey>
    return typeof v.baseUrl === 'string' && typeof v.key === 'string' ? { baseUrl: v.baseUrl, key: v.key } : null
  } catch {
    return null
  }
}

function judgeConfig(ctx: BackendContext): JudgeConfig {
  const saved = ctx.store.errorLabels.getSetting<Partial<JudgeConfig>>('judge') ?? {}
  if (saved.apiKey) {
    // Written by an older version, in plain settings: moved to the secret store, bound to its URL.
    const { apiKey, ...rest } = saved
    try {
      ctx.secrets.set(KEY_SECRET, JSON.stringify({ baseUrl: rest.baseUrl ?? '', key: apiKey }))
      ctx.store.errorLabels.setSetting('judge', rest)
    } catch {
      // a read-only workspace: use it as it is
    }
  }
  const cfg = { ...DEFAULT_JUDGE_CONFIG, ...saved, apiKey: '' }
  const bound = saved.apiKey ? { baseUrl: saved.baseUrl ?? '', key: saved.apiKey } : storedKey(ctx)
  if (bound && bound.baseUrl === cfg.baseUrl) cfg.apiKey = bound.key
  return cfg
}

function view(ctx: BackendContext, cfg: JudgeConfig, keyDropped = false): JudgeConfigView {
  const { apiKey, ...rest } = cfg
  return { ...rest, hasApiKey: apiKey !== '', keyStore: ctx.secrets.where, ...(keyDropped ? { keyDropped } : {}) }
}

type ErrorChannels = 'errors/taxonomy' | 'errors/setTaxonomy' | 'errors/counts' | 'errors/queue' | 'errors/label' |
  'errors/rules' | 'errors/judgeConfig' | 'errors/setJudgeConfig' | 'errors/judge' | 'errors/job'

export const errorsHandlers: HandlersOf<ErrorChannels> = {
  'errors/taxonomy': (_req, ctx) => loadTaxonomy(ctx.store.errorLabels),

  'errors/setTaxonomy': (req, ctx) => {
    // null restores the SPEC default.
    const tax: ErrorTaxonomy = req.taxonomy === null ? DEFAULT_ERROR_TAXONOMY : { types: req.taxonomy.types.map((t) => ({ ...t, meaning: t.meaning ?? '' })) }
    const problems = validateTaxonomy(tax)
    if (problems.length > 0) throw new ApiError('invalid_argument', `errors/setTaxonomy: ${problems.join('; ')}`, 'taxonomy.types')
    ctx.store.errorLabels.setSetting('taxonomy', req.taxonomy === null ? null : tax)
    return tax
  },

  'errors/counts': (req, ctx) => {
    mustHaveRun(ctx, req.runId)
    if (req.stepMin !== undefined && req.stepMax !== undefined && req.stepMin > req.stepMax) {
      throw new ApiError('invalid_argument', 'errors/counts: stepMin must not exceed stepMax', 'stepMin')
    }
    const repo = ctx.store.errorLabels
    return buildCounts(req.runId, req.source, loadTaxonomy(repo), repo.counts(req.runId, req.source, req.stepMin, req.stepMax))
  },

  'errors/queue': (req, ctx) => {
    mustHaveRun(ctx, req.runId)
    const repo = ctx.store.errorLabels
    const page = repo.queue(req.runId, req)
    const labels = repo.labelsOf(page.items.map((r) => r.id))
    const spans = new PlanningSpans(repo)
    const items: QueueItem[] = page.items.map((r) => {
      const ls = labels.get(r.id) ?? []
      const suggestion = ls.find((l) => l.source === 'judge') ?? ls.find((l) => l.source === 'rule') ?? ls.find((l) => l.source === 'truth') ?? null
      return {
        id: r.id, runId: r.runId, step: r.step, promptId: r.promptId, prompt: r.prompt, response: r.response,
        answer: r.answer, gold: r.gold, score: r.score, planningSpans: spans.of(r.runId, r.id, r.response), labels: ls, suggestion
      }
    })
    return { total: page.total, items }
  },

  'errors/label': (req, ctx) => {
    const repo = ctx.store.errorLabels
    const r = repo.rollout(req.rolloutId)
    if (!r) throw new ApiError('not_found', `rollout ${req.rolloutId} does not exist`, 'rolloutId')
    if (!r.failed) throw new ApiError('conflict', `rollout ${req.rolloutId} did not fail; only failed responses get an error type`, 'rolloutId')
    if (req.accept !== undefined) {
      const from = repo.labels(r.id).find((l) => l.source === req.accept)
      if (!from) throw new ApiError('not_found', `rollout ${r.id} has no ${req.accept} label to accept`, 'accept')
      repo.set(r.id, 'manual', from.errorType, req.note ?? `accepted ${req.accept}`)
    } else if (req.errorType === null) {
      repo.clear(r.id, 'manual')
    } else {
      const tax = loadTaxonomy(repo)
      if (!tax.types.some((t) => t.id === req.errorType)) {
        throw new ApiError('invalid_argument', `errors/label: errorType: unknown error type "${req.errorType}" (known: ${tax.types.map((t) => t.id).join(', ')})`, 'errorType')
      }
      repo.set(r.id, 'manual', req.errorType!, req.note ?? null)
    }
    ctx.events.emit('errors/changed', { runId: r.runId })
    return { rolloutId: r.id, labels: repo.labels(r.id) }
  },

  'errors/rules': (req, ctx) => {
    mustHaveRun(ctx, req.runId)
    return { jobId: startRulesJob(ctx, req.runId).jobId }
  },

  'errors/judgeConfig': (_req, ctx) => view(ctx, judgeConfig(ctx)),

  'errors/setJudgeConfig': (req, ctx) => {
    const cfg = judgeConfig(ctx)
    const next: JudgeConfig = {
      ...cfg,
      ...(req.baseUrl !== undefined ? { baseUrl: req.baseUrl } : {}),
      ...(req.model !== undefined ? { model: req.model } : {}),
      // An empty prompt means "the default", so a user can get it back.
      ...(req.prompt !== undefined ? { prompt: req.prompt.trim() === '' ? DEFAULT_JUDGE_CONFIG.prompt : req.prompt } : {}),
      ...(req.concurrency !== undefined ? { concurrency: req.concurrency } : {}),
      ...(req.timeoutSeconds !== undefined ? { timeoutSeconds: req.timeoutSeconds } : {})
    }
    // The key goes with its URL: a new URL without a new key drops the stored one.
    const urlChanged = next.baseUrl !== cfg.baseUrl
    let keyDropped = false
    if (req.apiKey !== undefined) next.apiKey = req.apiKey
    else if (urlChanged) {
      keyDropped = cfg.apiKey !== ''
      next.apiKey = ''
    }
    const { apiKey, ...settings } = next
    ctx.store.errorLabels.setSetting('judge', settings)
    if (req.apiKey !== undefined || urlChanged) ctx.secrets.set(KEY_SECRET, apiKey === '' ? null : JSON.stringify({ baseUrl: next.baseUrl, key: apiKey }))
    return view(ctx, next, keyDropped)
  },

  'errors/judge': (req, ctx) => {
    mustHaveRun(ctx, req.runId)
    const cfg = judgeConfig(ctx)
    if (cfg.baseUrl === '') throw new ApiError('invalid_argument', 'errors/judge: no judge endpoint is configured (set its base URL first)', 'baseUrl')
    if (cfg.model === '') throw new ApiError('invalid_argument', 'errors/judge: no judge model is configured', 'model')
    // A key for this run only (the CLI's --key-env): used with the configured URL, never stored.
    const run = req.apiKey !== undefined ? { ...cfg, apiKey: req.apiKey } : cfg
    return { jobId: startJudgeJob(ctx, req.runId, run, { redo: req.redo, limit: req.limit }).jobId }
  },

  'errors/job': (req, ctx) => {
    const j = ctx.store.errorLabels.job(req.jobId)
    if (!j) throw new ApiError('not_found', `job ${req.jobId} is not an errors job`, 'jobId')
    let result: unknown = null
    try {
      result = j.result === null ? null : JSON.parse(j.result)
    } catch {
      result = null
    }
    return { jobId: j.id, kind: j.kind, status: j.status, done: j.done, total: j.total, error: j.error, result }
  }
}
