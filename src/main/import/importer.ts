import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Tokenizer } from '@huggingface/tokenizers'
import type { BackendContext } from '../context'
import type { Db } from '../store'
import { JobCancelled, type JobHandle } from '../jobs'
import { RolloutsRepo, type NewRollout } from '../store/rollouts'
import type { Statement } from 'better-sqlite3'
import { hashFile } from './lineChunks'
import { listSources, type ImportFormat, type SourceFile } from './sources'
import { BadLines } from './scan'
import { withRelativePerplexity, type StepRow } from './stepMetrics'
import { readRows, readRowsParallel, type RawStep } from './rowSource'
import { metricsFromStored } from './storedMetrics'
import { resolveSg, type ResolvedSg } from './sgResolve'
import { readTokenizer } from './tokenizer'
import type { FieldMapping } from './mapping'
import type { ImportFileSummary, ImportSummary } from '../../shared/api/import'

export interface ImportRequest {
  paths: string[]
  format?: ImportFormat
  name?: string
  mapping?: FieldMapping
  sg?: string
  tokenizer?: string
}

export type { ImportFileSummary, ImportSummary }

interface Plan {
  req: ImportRequest
  paths: string[]
  format: ImportFormat
  files: SourceFile[]
  done: ImportFileSummary[]
  notes: string[]
  mapping: FieldMapping
  sg: ResolvedSg
  tokenizer: Tokenizer | null
}

const running = new Map<number, Promise<ImportSummary>>()
/** Outcomes nobody asked for (imports started over HTTP) are dropped after this many. */
const KEEP_RESULTS = 100
function remember(jobId: number, done: Promise<ImportSummary>): void {
  running.set(jobId, done)
  if (running.size > KEEP_RESULTS) running.delete(running.keys().next().value!)
}

/**
 * The outcome of an import started with `import/start` in this process (the CLI waits on it; the
 * app reads the job's stored result). Handed out once.
 */
export function importResult(jobId: number): Promise<ImportSummary> | undefined {
  const p = running.get(jobId)
  running.delete(jobId)
  return p
}

interface SourceJson {
  format?: string
  paths?: string[]
  mapping?: FieldMapping
}

function parseSource(text: string | null): SourceJson | null {
  if (!text) return null
  try {
    return JSON.parse(text) as SourceJson
  } catch {
    return null
  }
}

const overlaps = (a: readonly string[] | undefined, b: readonly string[]) => !!a && a.some((p) => b.includes(p))

/**
 * Deletes import runs a killed process left behind (status `interrupted`, or `importing` with a
 * dead owner, already turned `interrupted` when the workspace was opened) that read any of
 * `paths`: their rows are an unfinished import. Returns their ids.
 */
export function cleanInterrupted(ctx: BackendContext, paths: readonly string[]): number[] {
  const db = ctx.store.db
  const rows = db.prepare("SELECT id, source FROM runs WHERE kind = 'import' AND status = 'interrupted'").all() as { id: number; source: string | null }[]
  const stale = rows.filter((r) => overlaps(parseSource(r.source)?.paths, paths)).map((r) => r.id)
  for (const id of stale) {
    ctx.store.runs.delete(id)
    ctx.events.emit('runs/changed', { runId: id, change: 'deleted' })
  }
  return stale
}

/** The mapping of the latest finished import of the same paths, so a re-import reads fields the same way. */
function previousMapping(ctx: BackendContext, paths: readonly string[]): FieldMapping | null {
  const rows = ctx.store.db.prepare("SELECT source FROM runs WHERE kind = 'import' AND status = 'imported' ORDER BY id DESC").all() as { source: string | null }[]
  for (const r of rows) {
    const s = parseSource(r.source)
    if (s && overlaps(s.paths, paths) && s.mapping) return s.mapping
  }
  return null
}

/**
 * A file is already imported when a finished import run holds its content hash. Only files with
 * the size of a stored one are hashed up front; the others are hashed while they are read.
 */
async function alreadyImported(ctx: BackendContext, f: SourceFile): Promise<number | null> {
  const db = ctx.store.db
  const same = db.prepare(`SELECT f.content_hash AS hash, f.run_id AS runId FROM import_files f JOIN runs r ON r.id = f.run_id
    WHERE f.size = ? AND r.status = 'imported'`).all(f.size) as { hash: string; runId: number }[]
  if (same.length === 0) return null
  const h = await hashFile(f.path)
  return same.find((s) => s.hash === h)?.runId ?? null
}

async function plan(ctx: BackendContext, req: ImportRequest): Promise<Plan> {
  const paths = req.paths.map((p) => resolve(p))
  const mapping = req.mapping ?? previousMapping(ctx, paths) ?? {}
  const src = await listSources(paths, req.format, mapping)
  const sg = resolveSg(req.sg, ctx.store)
  const tokenizer = req.tokenizer ? readTokenizer(req.tokenizer) : null
  cleanInterrupted(ctx, paths)
  const files: SourceFile[] = []
  const done: ImportFileSummary[] = []
  for (const f of src.files) {
    const runId = await alreadyImported(ctx, f)
    if (runId === null) files.push(f)
    else done.push({ path: f.path, size: f.size, status: 'already imported', lines: 0, rollouts: 0, skipped: 0, runId })
  }
  return { req, paths, format: src.format, files, done, notes: src.notes, mapping, sg, tokenizer }
}

/**
 * Starts an import as a job. The run is created at once with status `importing`; rollouts are
 * written one transaction per chunk of lines, the step metrics and the `imported` status at the
 * end. A failed or cancelled import deletes its run (and with it every row it wrote); a killed
 * one is left `importing`, turned `interrupted` when the workspace is next opened, and deleted
 * by the next import of the same paths (cleanInterrupted).
 */
export async function startImport(ctx: BackendContext, req: ImportRequest): Promise<{ jobId: number; runId: number; done: Promise<ImportSummary> }> {
  const p = await plan(ctx, req)
  const t0 = Date.now()
  if (p.files.length === 0) {
    // Every file is in the workspace already: nothing to write.
    const existing = p.done[0]!.runId!
    const job = ctx.jobs.run('import', { runId: existing, unit: 'bytes', total: 0, params: { paths: p.paths } }, async () => summary(p, null, existing, new BadLines(), 0, 0, 0, t0, { record: p.mapping, rollout: {} }))
    remember(job.jobId, job.done)
    return { jobId: job.jobId, runId: existing, done: job.done }
  }
  const name = req.name ?? defaultName(p.paths)
  const run = ctx.store.runs.create({
    name,
    kind: 'import',
    status: 'importing',
    source: { format: p.format, paths: p.paths, mapping: p.req.mapping ?? p.mapping, sg: { name: p.sg.name, file: p.sg.file }, tokenizer: req.tokenizer ? resolve(req.tokenizer) : null },
    config: { sgSet: p.sg.name },
    sgSetId: p.sg.setId,
    sgSetVersion: p.sg.version
  })
  ctx.store.runs.claim(run.id)
  ctx.events.emit('runs/changed', { runId: run.id, change: 'created' })
  const total = p.files.reduce((s, f) => s + f.size, 0)
  const job = ctx.jobs.run('import', { runId: run.id, unit: 'bytes', total, params: { paths: p.paths, format: p.format } }, async (h) => {
    try {
      return await work(ctx, p, run.id, h, total, t0)
    } catch (err) {
      // Leave the workspace as it was before the import began.
      ctx.store.runs.delete(run.id)
      ctx.events.emit('runs/changed', { runId: run.id, change: 'deleted' })
      throw err
    }
  })
  remember(job.jobId, job.done)
  return { jobId: job.jobId, runId: run.id, done: job.done }
}

function defaultName(paths: readonly string[]): string {
  const b = basename(paths[0]!).replace(/\.jsonl$/i, '')
  return paths.length > 1 ? `${b} (+${paths.length - 1})` : b
}

/**
 * Worker threads for an import: several files over 32 MB, where the worker script exists (not in
 * app bundles). HICRA_IMPORT_THREADS overrides the choice (benchmarks, tests; 1 = none).
 */
function importThreads(p: Plan, total: number): number {
  if (p.files.length < 2 || (p.tokenizer && !p.req.tokenizer)) return 1
  if (!existsSync(fileURLToPath(new URL('./importWorker.mjs', import.meta.url)))) return 1
  const forced = Number(process.env.HICRA_IMPORT_THREADS)
  if (Number.isInteger(forced) && forced >= 1) return forced
  return total < 32e6 ? 1 : Math.min(3, availableParallelism())
}

async function work(ctx: BackendContext, p: Plan, runId: number, job: JobHandle, total: number, t0: number): Promise<ImportSummary> {
  const db = ctx.store.db
  const repo = new RolloutsRepo(db)
  const bad = new BadLines()
  const insFile = db.prepare(`INSERT INTO import_files (run_id, path, content_hash, size, lines, imported, skipped, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  const hashes = new Set<string>()
  // Row id ranges each file wrote, to drop a file whose content another file of this import has.
  const idRanges = new Map<number, [number, number][]>()
  const now = Date.now()
  const write = db.transaction((rows: NewRollout[], labels: (string | null)[]): [number, number] => {
    let first = 0
    let last = 0
    for (let i = 0; i < rows.length; i++) {
      const id = repo.insert(runId, rows[i]!)
      if (i === 0) first = id
      last = id
      if (labels[i] !== null) repo.label(id, 'truth', labels[i]!, now)
    }
    return [first, last]
  })
  // Checkpoint the WAL every 64 MB instead of every 4 MB while bulk-writing: far fewer fsyncs. The
  // first of concurrent imports on a connection raises it, the last one restores it.
  let saved = bulkWriters.get(db)
  if (!saved) bulkWriters.set(db, (saved = { n: 0, autoCheckpoint: db.pragma('wal_autocheckpoint', { simple: true }) as number }))
  if (saved.n++ === 0) db.pragma('wal_autocheckpoint = 16384')
  try {
    return await writeAll(ctx, p, runId, job, total, t0, write, insFile, idRanges, hashes, bad)
  } finally {
    if (--saved.n === 0) {
      db.pragma(`wal_autocheckpoint = ${saved.autoCheckpoint}`)
      bulkWriters.delete(db)
    }
  }
}

const bulkWriters = new WeakMap<Db, { n: number; autoCheckpoint: number }>()

async function writeAll(ctx: BackendContext, p: Plan, runId: number, job: JobHandle, total: number, t0: number,
  write: (rows: NewRollout[], labels: (string | null)[]) => [number, number], insFile: Statement, idRanges: Map<number, [number, number][]>,
  hashes: Set<string>, bad: BadLines): Promise<ImportSummary> {
  const db = ctx.store.db
  let rollouts = 0
  let tokenRollouts = 0
  const fileTokenRows = new Map<number, number>()
  const threads = importThreads(p, total)
  const source = threads > 1
    ? readRowsParallel(p.files, p.sg.phrases, p.mapping, p.req.tokenizer ? resolve(p.req.tokenizer) : null, threads, job.signal)
    : readRows(p.files, p.sg.phrases, p.mapping, p.tokenizer, job.signal)
  let raw: RawStep[] = []
  let spanning: number[] = []
  let mapping: ImportSummary['mapping'] = { record: p.mapping, rollout: {} }
  for await (const ev of source) {
    if (job.signal.aborted) break
    if (ev.type === 'rows') {
      if (ev.rows.length > 0) {
        const range = write(ev.rows, ev.labels)
        let list = idRanges.get(ev.file)
        if (!list) idRanges.set(ev.file, (list = []))
        list.push(range)
      }
      rollouts += ev.rows.length
      let withTokens = 0
      for (const r of ev.rows) if (r.nTokens !== null) withTokens++
      tokenRollouts += withTokens
      fileTokenRows.set(ev.file, (fileTokenRows.get(ev.file) ?? 0) + withTokens)
      bad.add(ev.bad)
      job.progress(ev.bytes, total, `${rollouts.toLocaleString('en-US')} rollouts`)
    } else if (ev.type === 'fileEnd') {
      const f = p.files[ev.file]!
      if (hashes.has(ev.hash)) {
        // The same content twice in one import: drop the second copy's rows.
        const del = db.prepare('DELETE FROM rollouts WHERE run_id = ? AND id BETWEEN ? AND ?')
        db.transaction(() => {
          for (const [a, b] of idRanges.get(ev.file) ?? []) del.run(runId, a, b)
        })()
        rollouts -= ev.rows
        tokenRollouts -= fileTokenRows.get(ev.file) ?? 0
        p.done.push({ path: f.path, size: f.size, status: 'duplicate', lines: ev.lines, rollouts: 0, skipped: 0 })
        continue
      }
      hashes.add(ev.hash)
      insFile.run(runId, f.path, ev.hash, f.size, ev.lines, ev.rows, ev.skipped, Date.now())
      p.done.push({ path: f.path, size: f.size, status: 'imported', lines: ev.lines, rollouts: ev.rows, skipped: ev.skipped })
    } else if (ev.type === 'end') {
      raw = ev.steps
      spanning = ev.spanning
      mapping = ev.mapping
    }
  }
  if (job.signal.aborted) throw new JobCancelled()
  // A dropped duplicate changes its steps: all metrics from the stored rows. A step that spans files
  // read on different threads: that step's metrics from its stored rows.
  if (p.done.some((f) => f.status === 'duplicate')) raw = metricsFromStored(db, runId, p.sg.phrases)
  else if (spanning.length > 0) {
    const fixed = new Map(metricsFromStored(db, runId, p.sg.phrases, spanning).map((x) => [x.step, x.metrics]))
    raw = raw.map((x) => (fixed.has(x.step) ? { step: x.step, metrics: fixed.get(x.step)! } : x))
  }
  const steps = withRelativePerplexity(raw)
  const s = summary(p, runId, null, bad, rollouts, tokenRollouts, steps.length, t0, mapping)
  db.transaction(() => {
    ctx.store.metrics.append(runId, metricPoints(steps))
    const source = { format: p.format, paths: p.paths, mapping: p.req.mapping ?? p.mapping, resolvedMapping: s.mapping,
      sg: { name: p.sg.name, file: p.sg.file }, tokenizer: p.req.tokenizer ? resolve(p.req.tokenizer) : null, summary: { ...s, bad: s.bad.slice(0, 100) } }
    ctx.store.runs.update(runId, { status: 'imported', source })
    db.prepare('UPDATE runs SET owner_pid = NULL WHERE id = ?').run(runId)
  })()
  ctx.events.emit('metrics/appended', { runId, steps: steps.map((x) => x.step) })
  ctx.events.emit('runs/changed', { runId, change: 'updated' })
  return s
}

/** Step rows → metric points, keys exactly the SPEC names (plus `rollouts`). */
export function metricPoints(steps: readonly StepRow[]): { step: number; key: string; value: number }[] {
  const out: { step: number; key: string; value: number }[] = []
  for (const row of steps) {
    for (const [key, value] of Object.entries(row)) if (key !== 'step') out.push({ step: row.step, key, value })
  }
  return out
}

function summary(p: Plan, runId: number | null, already: number | null, bad: BadLines, rollouts: number, tokenRollouts: number, steps: number, t0: number,
  mapping: ImportSummary['mapping']): ImportSummary {
  const order = new Map(p.paths.map((x, i) => [x, i]))
  const files = [...p.done].sort((a, b) => (order.get(a.path) ?? 0) - (order.get(b.path) ?? 0) || a.path.localeCompare(b.path))
  return {
    runId: runId ?? already,
    alreadyImported: already,
    format: p.format,
    sg: p.sg.name,
    files,
    rollouts,
    tokenRollouts,
    steps,
    bytes: p.files.reduce((s, f) => s + f.size, 0),
    skippedLines: files.reduce((s, f) => s + f.skipped, 0),
    skippedByKind: bad.byKind,
    bad: bad.first,
    notes: p.notes,
    mapping,
    seconds: (Date.now() - t0) / 1000
  }
}
