import { basename } from 'node:path'
import { ApiError } from '../../shared/errors'
import type { ImportPreview, ImportSummary } from '../../shared/api/import'
import type { BackendContext } from '../context'
import type { HandlersOf } from './types'
import { startImport } from '../import/importer'
import { startRecompute } from '../import/recompute'
import { listSources, sampleRecords, SourceError } from '../import/sources'
import { SgResolveError } from '../import/sgResolve'
import { TokenizerLoadError } from '../import/tokenizer'
import { RecordError, RecordExtractor, type RolloutRec } from '../import/records'
import { align } from '../import/align'
import { NotRegularFile } from '../import/regularFiles'

/** Problems with what the user pointed at become typed errors naming the request field. */
export function asApiError(err: unknown): unknown {
  if (err instanceof SourceError) return new ApiError('invalid_argument', err.message, err.field)
  if (err instanceof NotRegularFile) return new ApiError('invalid_argument', err.message, 'paths')
  if (err instanceof SgResolveError) return new ApiError('invalid_argument', err.message, 'sg')
  if (err instanceof TokenizerLoadError) return new ApiError('invalid_argument', err.message, 'tokenizer')
  return err
}

async function preview(req: { paths: string[]; format?: ImportPreview['format']; mapping?: Record<string, string>; lines: number; finalStep?: number }): Promise<ImportPreview> {
  const src = await listSources(req.paths, req.format, req.mapping ?? {}, { unnumberedStep: req.finalStep })
  const extractor = new RecordExtractor(req.mapping ?? {})
  const first = src.files[0]!
  const lines = (await sampleRecords(first, req.lines, req.mapping ?? {})).items
  const sample: ImportPreview['sample'] = []
  const bad: ImportPreview['bad'] = []
  const name = basename(first.path)
  for (const l of lines) {
    const recs: RolloutRec[] = []
    try {
      extractor.extract(JSON.parse(l.text), first.stepHint, recs, (i, e) => bad.push({ file: name, line: l.line, kind: e.kind, message: `rollout ${i}: ${e.message}` }), l.key)
    } catch (e) {
      if (e instanceof SyntaxError) bad.push({ file: name, line: l.line, kind: 'malformed JSON', message: e.message })
      else if (e instanceof RecordError) bad.push({ file: name, line: l.line, kind: e.kind, message: e.message })
      else throw e
      continue
    }
    for (const r of recs) {
      try {
        const a = align(r, null)
        sample.push({ step: r.step, promptId: r.promptId, score: r.score, correct: r.correct, preview: r.response.slice(0, 200), nTokens: a.nTokens })
      } catch (e) {
        if (!(e instanceof RecordError)) throw e
        bad.push({ file: name, line: l.line, kind: e.kind, message: e.message })
      }
    }
  }
  return {
    format: src.format,
    layout: src.layout,
    files: src.files.map((f) => ({ path: f.path, size: f.size, stepHint: f.stepHint })),
    notes: src.notes,
    lines: lines.map((l) => ({ file: name, line: l.line, text: l.text.slice(0, 2000) })),
    mapping: extractor.resolved(),
    sample,
    bad
  }
}

function mustRun(ctx: BackendContext, id: number): void {
  if (!ctx.store.runs.get(id)) throw new ApiError('not_found', `run ${id} does not exist`, 'runId')
}

export const importHandlers: HandlersOf<'import/start' | 'import/result' | 'import/cancel' | 'import/preview' | 'runs/setSgSet'> = {
  'import/start': async (req, ctx) => {
    try {
      const { jobId, runId, also } = await startImport(ctx, req)
      return also.length > 0 ? { jobId, runId, also } : { jobId, runId }
    } catch (err) {
      throw asApiError(err)
    }
  },
  'import/result': (req, ctx) => {
    const row = ctx.store.db.prepare("SELECT status, result, error FROM jobs WHERE id = ? AND kind = 'import'").get(req.jobId) as
      { status: string; result: string | null; error: string | null } | undefined
    if (!row) throw new ApiError('not_found', `import job ${req.jobId} does not exist`, 'jobId')
    let summary: ImportSummary | null = null
    if (row.status === 'completed' && row.result) {
      try {
        summary = JSON.parse(row.result) as ImportSummary
      } catch {
        summary = null
      }
    }
    return { status: row.status, summary, error: row.error }
  },
  'import/cancel': (req, ctx) => {
    const job = ctx.store.jobs.get(req.jobId)
    if (!job || job.kind !== 'import') throw new ApiError('not_found', `import job ${req.jobId} does not exist`, 'jobId')
    return { cancelled: ctx.jobs.cancel(req.jobId) }
  },
  'import/preview': async (req, ctx) => {
    void ctx
    try {
      return await preview(req)
    } catch (err) {
      throw asApiError(err)
    }
  },
  'runs/setSgSet': (req, ctx) => {
    mustRun(ctx, req.runId)
    const run = ctx.store.runs.get(req.runId)!
    if (run.status === 'importing' || run.status === 'running') throw new ApiError('conflict', `run ${req.runId} is ${run.status}; wait until it finishes`, 'runId')
    try {
      return { jobId: startRecompute(ctx, req.runId, req.sg).jobId }
    } catch (err) {
      throw asApiError(err)
    }
  }
}
