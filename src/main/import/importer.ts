import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { basename, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Tokenizer } from '@huggingface/tokenizers'
import type { BackendContext } from '../context'
import type { Db } from '../store'
import { JobCancelled, type JobHandle } from '../jobs'
import { RolloutsRepo, type NewRollout } from '../store/rollouts'
import { WalCheckpointer } from '../store/walCheckpointer'
import { PackedRolloutWriter, type PackedRollouts } from '../store/packedRollouts'
import type { Statement } from 'better-sqlite3'
import { hashFile } from './lineChunks'
import { listSources, type ImportFormat, type RunConfigFile, type SideGroup, type SourceFile } from './sources'
import { BadLines } from './scan'
import { withRelativePerplexity, type StepRow } from './stepMetrics'
import { ImportWorkers, readRows, readRowsParallel, type RawStep, type RowEvent } from './rowSource'
import { roughBytes } from './roughBytes'
import { metricsFromStored } from './storedMetrics'
import { resolveSg, type ResolvedSg } from './sgResolve'
import { readTokenizer } from './tokenizer'
import { splitValues } from './splitValues'
import type { FieldMapping } from './mapping'
import type { ImportFileSummary, ImportSummary } from '../../shared/api/import'
import { chooseStepTimes, withStepTimes } from './stepTimes'

export interface ImportRequest {
  paths: string[]
  format?: ImportFormat
  name?: string
  mapping?: FieldMapping
  sg?: string
  tokenizer?: string
  /** The longest line read, in MB (default 64); a longer one is skipped as a bad line. */
  maxLineMb?: number
  /** One run per named entry of each record (several models' answers per record): mapping `entry` = each name in turn. */
  each?: string[]
  /** One run per value of this field (`temperature`): the rollouts of each value apart. */
  split?: string
  /** Steps of the given files (a side group imported as its own run; not part of the API). */
  stepHints?: Record<string, number>
  /** The step of checkpoint files without one in their name (default: after the last numbered one). */
  finalStep?: number
}

/** An import that could store no rollout: no run is kept and no file recorded, and this says why. */
export class ImportFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImportFailure'
  }
}

/** Another run the same import/start created (one per --each entry, or a side group of a checkpoint folder). */
export interface AlsoStarted {
  jobId: number
  runId: number
  name: string
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
  layout: string
  configs: RunConfigFile[]
  sides: SideGroup[]
  /** Rollouts stored without an outcome (no correct, no score): outside accuracy and pass@k. */
  noOutcome: number
  also: AlsoStarted[]
  /** Import workers started while the sources were listed (importThreads' guess from the paths); whoever drops the plan ends them. */
  early: ImportWorkers | null
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

/** A mapping as a key that ignores the order of its fields (`{}` and none are the same). */
export function mappingKey(m: FieldMapping | null | undefined): string {
  return JSON.stringify(Object.entries(m ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1)))
}

/** Whether a run's stored source read its files with this mapping. */
export function sameMapping(source: string | null, mapping: FieldMapping): boolean {
  return mappingKey(parseSource(source)?.mapping) === mappingKey(mapping)
}

/**
 * A file is already imported when a finished import run holds its content hash read with the
 * same mapping (the same file read with another mapping, another model's entry say, is a new
 * import). Only files with the size of a stored one are hashed up front; the others are hashed
 * while they are read.
 */
async function alreadyImported(ctx: BackendContext, f: SourceFile, mapping: FieldMapping): Promise<number | null> {
  const db = ctx.store.db
  const same = (db.prepare(`SELECT f.content_hash AS hash, f.run_id AS runId, r.source AS source FROM import_files f JOIN runs r ON r.id = f.run_id
    WHERE f.size = ? AND r.status = 'imported'`).all(f.size) as { hash: string; runId: number; source: string | null }[])
    .filter((x) => sameMapping(x.source, mapping))
  if (same.length === 0) return null
  const h = await hashFile(f.path)
  return same.find((s) => s.hash === h)?.runId ?? null
}

async function plan(ctx: BackendContext, req: ImportRequest): Promise<Plan> {
  const paths = req.paths.map((p) => resolve(p))
  const mapping = req.mapping ?? previousMapping(ctx, paths) ?? {}
  const sg = resolveSg(req.sg, ctx.store)
  // Workers boot while the sources are listed, where the paths already promise them: a worker
  // takes ~130 ms to start, and started after the listing, they began reading ~0.15 s after the
  // files were known (a profile of the 200 MB import).
  const rough = await roughBytes(paths, BIG_IMPORT)
  const guess = importThreads(rough.files, rough.bytes)
  const early = guess > 1 ? new ImportWorkers(guess, sg.phrases, mapping, req.tokenizer ? resolve(req.tokenizer) : null) : null
  try {
    const src = await listSources(paths, req.format, mapping, { stepHints: req.stepHints, unnumberedStep: req.finalStep })
    if (req.maxLineMb !== undefined) for (const f of src.files) f.maxLineBytes = req.maxLineMb * (1 << 20)
    const tokenizer = req.tokenizer ? readTokenizer(req.tokenizer) : null
    cleanInterrupted(ctx, paths)
    const files: SourceFile[] = []
    const done: ImportFileSummary[] = []
    for (const f of src.files) {
      const runId = await alreadyImported(ctx, f, mapping)
      if (runId === null) files.push(f)
      else done.push({ path: f.path, size: f.size, status: 'already imported', lines: 0, rollouts: 0, skipped: 0, runId })
    }
    return { req, paths, format: src.format, files, done, notes: src.notes, mapping, sg, tokenizer, layout: src.layout, configs: src.configs, sides: src.sides,
      noOutcome: 0, also: [], early }
  } catch (e) {
    early?.terminate()
    throw e
  }
}

/**
 * Starts an import as a job. The run is created at once with status `importing`; rollouts are
 * written a few chunks of lines (~4 MB of responses) to a transaction, the step metrics and the `imported` status at the
 * end. A failed or cancelled import deletes its run (and with it every row it wrote); a killed
 * one is left `importing`, turned `interrupted` when the workspace is next opened, and deleted
 * by the next import of the same paths (cleanInterrupted).
 */
export async function startImport(ctx: BackendContext, req: ImportRequest): Promise<Started> {
  const entries = req.each && req.each.length > 0 ? [...new Set(req.each)] : null
  if (!entries && !req.split) return startOne(ctx, req)
  // One run per entry (the same files read with `entry` set to each name in turn), and per value
  // of the split field (each run keeps only that value's rollouts).
  const base = req.name ?? defaultName(req.paths.map((x) => resolve(x)))
  const runs: { name: string; s: Started }[] = []
  for (const e of entries ?? [null]) {
    const mapping: FieldMapping = { ...req.mapping, ...(e !== null ? { entry: e } : {}) }
    const values = req.split ? await splitValues(req.paths, req.format, mapping, req.split, { stepHints: req.stepHints }) : [undefined]
    for (const v of values) {
      const name = [base, e, v !== undefined ? `${req.split}=${v === null ? 'none' : String(v)}` : null].filter((x) => x !== null).join(' · ')
      const m = v !== undefined ? { ...mapping, only: JSON.stringify([req.split, v]) } : mapping
      runs.push({ name, s: await startOne(ctx, { ...req, each: undefined, split: undefined, mapping: m, name }) })
    }
  }
  const [first, ...rest] = runs
  return { ...first!.s, also: [...first!.s.also, ...rest.flatMap((r) => [{ jobId: r.s.jobId, runId: r.s.runId, name: r.name }, ...r.s.also])] }
}

type Started = { jobId: number; runId: number; done: Promise<ImportSummary>; also: AlsoStarted[] }

/** One import (one run), and the side groups of a checkpoint folder each as its own import. */
async function startOne(ctx: BackendContext, req: ImportRequest): Promise<Started> {
  const p = await plan(ctx, req)
  const t0 = Date.now()
  const name = req.name ?? defaultName(p.paths)
  const also: AlsoStarted[] = []
  const sides = [...p.sides]
  // A folder of nothing but side files: the first group is this import.
  const lead = p.files.length === 0 && p.done.length === 0 ? sides.shift() : undefined
  for (const g of sides) {
    const sname = `${name} · ${g.name}`
    const r = await startOne(ctx, sideRequest(req, g, sname))
    also.push({ jobId: r.jobId, runId: r.runId, name: sname }, ...r.also)
    p.notes.push(`${g.name}: imported as its own run ${r.runId} '${sname}'`)
  }
  if (lead) {
    p.early?.terminate()
    const r = await startOne(ctx, sideRequest(req, lead, `${name} · ${lead.name}`))
    return { ...r, also: [...r.also, ...also] }
  }
  p.also = also
  let started: ReturnType<typeof startRun>
  try {
    started = startRun(ctx, p, name, t0)
  } catch (e) {
    p.early?.terminate()
    throw e
  }
  return { ...started, also }
}

function sideRequest(req: ImportRequest, g: SideGroup, name: string): ImportRequest {
  return {
    paths: g.files.map((f) => f.path), name, stepHints: Object.fromEntries(g.files.map((f) => [f.path, f.step])),
    ...(req.format ? { format: req.format } : {}), ...(req.mapping ? { mapping: req.mapping } : {}), ...(req.sg ? { sg: req.sg } : {}),
    ...(req.tokenizer ? { tokenizer: req.tokenizer } : {}), ...(req.maxLineMb !== undefined ? { maxLineMb: req.maxLineMb } : {})
  }
}

function startRun(ctx: BackendContext, p: Plan, name: string, t0: number): { jobId: number; runId: number; done: Promise<ImportSummary> } {
  const req = p.req
  if (p.files.length === 0) {
    // Every file is in the workspace already: nothing to write.
    p.early?.terminate()
    const existing = p.done[0]!.runId!
    const job = ctx.jobs.run('import', { runId: existing, unit: 'bytes', total: 0, params: { paths: p.paths } }, async () => summary(p, null, existing, new BadLines(), 0, 0, 0, t0, { record: p.mapping, rollout: {} }))
    remember(job.jobId, job.done)
    return { jobId: job.jobId, runId: existing, done: job.done }
  }
  const run = ctx.store.runs.create({
    name,
    kind: 'import',
    status: 'importing',
    source: { format: p.format, paths: p.paths, mapping: p.req.mapping ?? p.mapping, sg: { name: p.sg.name, file: p.sg.file }, tokenizer: req.tokenizer ? resolve(req.tokenizer) : null },
    // A run configuration found beside the rollouts, under its file name (several: one per checkpoint).
    config: { sgSet: p.sg.name, ...(p.configs.length > 0 ? { runConfig: Object.fromEntries(p.configs.map((c) => [c.file, c.value])) } : {}) },
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
  const b = basename(paths[0]!).replace(/\.jsonl?(\.gz)?$/i, '')
  return paths.length > 1 ? `${b} (+${paths.length - 1})` : b
}

/** Imports of this many bytes or more read on worker threads. */
const BIG_IMPORT = 32e6

/**
 * Worker threads for an import: several files of BIG_IMPORT bytes or more, where the worker script
 * exists (not in app bundles). HICRA_IMPORT_THREADS overrides the choice (benchmarks, tests; 1 = none).
 */
function importThreads(files: number, total: number): number {
  if (files < 2) return 1
  if (!existsSync(fileURLToPath(new URL('./importWorker.mjs', import.meta.url)))) return 1
  const forced = Number(process.env.HICRA_IMPORT_THREADS)
  if (Number.isInteger(forced) && forced >= 1) return forced
  return total < BIG_IMPORT ? 1 : Math.min(3, availableParallelism())
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
  // Several chunks' rows (of one file or several) in one transaction: each gives its id range.
  const packedWriter = new PackedRolloutWriter(db)
  // `then` runs inside the transaction: the job's progress row goes in the same commit as the rows
  // it counts, instead of a commit of its own after every few.
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
  const writeTx = db.transaction((groups: readonly Pending[], then: () => void): [number, number][] => {
    // What the rollouts' foreign key checked, once a transaction (see `write`).
    if (!runExists.get(runId)) throw new Error(`run ${runId} was deleted during its import`)
    const ranges = groups.map(({ rows, labels }): [number, number] => {
      let first = 0
      let last = 0
      const wrote = (i: number, id: number) => {
        if (i === 0) first = id
        last = id
        if (labels[i] !== null) repo.label(id, 'truth', labels[i]!, now)
      }
      if (Array.isArray(rows)) for (let i = 0; i < rows.length; i++) wrote(i, repo.insert(runId, rows[i]!))
      else packedWriter.insertAll(runId, rows, wrote)
      return [first, last]
    })
    then()
    return ranges
  })
  // Foreign keys off for these transactions only, which insert rows of this run and labels of
  // those rows and delete nothing: the packed writer then puts 16 rows in a statement without a
  // statement journal (PackedRolloutWriter). The transaction is synchronous, so nothing else uses
  // the connection meanwhile but the job's progress listeners, which write nothing; inside a
  // transaction the pragma would do nothing, and the rows go one a statement as before.
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number
  const write = (groups: readonly Pending[], then: () => void): [number, number][] => {
    if (!foreignKeys || db.inTransaction) return writeTx(groups, then)
    db.pragma('foreign_keys = OFF')
    try {
      return writeTx(groups, then)
    } finally {
      db.pragma('foreign_keys = ON')
    }
  }
  // While bulk-writing 64 MB or more, the WAL is checkpointed on a thread of its own
  // (walCheckpointer.ts; for less, starting the thread costs more than it saves); otherwise every
  // 64 MB instead of every 4 MB: far fewer fsyncs. The first of concurrent imports on a connection
  // sets this up, the last one restores it.
  let bulk = bulkWriters.get(db)
  if (!bulk) bulkWriters.set(db, (bulk = { n: 0, autoCheckpoint: db.pragma('wal_autocheckpoint', { simple: true }) as number, checkpointer: null }))
  if (bulk.n++ === 0) {
    bulk.checkpointer = total >= 64e6 ? WalCheckpointer.start(db) : null
    if (!bulk.checkpointer) db.pragma(`wal_autocheckpoint = ${Math.round((64 << 20) / (db.pragma('page_size', { simple: true }) as number))}`)
  }
  const wrote = (bytes: number) => bulk.checkpointer?.wrote(bytes)
  try {
    return await writeAll(ctx, p, runId, job, total, t0, write, insFile, idRanges, hashes, bad, wrote, () => bulk.checkpointer?.holding ?? false)
  } finally {
    p.early?.terminate()
    if (--bulk.n === 0) {
      bulkWriters.delete(db)
      if (bulk.checkpointer) await bulk.checkpointer.stop()
      else db.pragma(`wal_autocheckpoint = ${bulk.autoCheckpoint}`)
    }
  }
}

type Pending = { file: number; rows: NewRollout[] | PackedRollouts; labels: (string | null)[]; release?: () => void }

const bulkWriters = new WeakMap<Db, { n: number; autoCheckpoint: number; checkpointer: WalCheckpointer | null }>()

/** Response characters written in one transaction (several chunks of lines). */
const WRITE_CHARS = 4 << 20
/** Response characters kept while the writer holds for a checkpoint; past them it writes anyway. */
const HOLD_CHARS = 32 << 20

async function writeAll(ctx: BackendContext, p: Plan, runId: number, job: JobHandle, total: number, t0: number,
  write: (groups: readonly Pending[], then: () => void) => [number, number][], insFile: Statement, idRanges: Map<number, [number, number][]>,
  hashes: Set<string>, bad: BadLines, wrote: (bytes: number) => void, holding: () => boolean): Promise<ImportSummary> {
  const db = ctx.store.db
  let rollouts = 0
  let tokenRollouts = 0
  const fileTokenRows = new Map<number, number>()
  const threads = importThreads(p.files.length, total)
  // The early workers, where the guess was right (readRowsParallel ends them).
  const early = threads > 1 && p.early?.workers.length === Math.min(threads, p.files.length) ? p.early : null
  if (!early) p.early?.terminate()
  p.early = null
  const source = threads > 1
    ? readRowsParallel(p.files, p.sg.phrases, p.mapping, p.req.tokenizer ? resolve(p.req.tokenizer) : null, threads, job.signal, early ?? undefined)
    : readRows(p.files, p.sg.phrases, p.mapping, p.tokenizer, job.signal)
  let raw: RawStep[] = []
  let spanning: number[] = []
  let mapping: ImportSummary['mapping'] = { record: p.mapping, rollout: {} }
  let recordTimes = new Map<number, number>()
  // Chunks are written several to a transaction, about WRITE_CHARS of responses each: SQLite took
  // a 1 MB chunk's transaction (~500 verl rows) at ~20% more CPU a row than 4,000 rows' here.
  let pending: Pending[] = []
  let pendingChars = 0
  let pendingBytes = 0
  const flush = () => {
    if (pending.length === 0) return
    const ranges = write(pending, () => job.progress(pendingBytes, total, `${rollouts.toLocaleString('en-US')} rollouts`))
    wrote(pendingChars)
    pending.forEach((g, k) => {
      let list = idRanges.get(g.file)
      if (!list) idRanges.set(g.file, (list = []))
      list.push(ranges[k]!)
      g.release?.()
    })
    pending = []
    pendingChars = 0
  }
  // (readRows' fileSteps events come only from workers' own reading: nothing to do with them here.)
  const handle = (ev: RowEvent | { type: 'fileSteps' }) => {
    // A file's end is handled after its rows are in (duplicates are dropped by their id ranges).
    if (ev.type !== 'rows') flush()
    if (ev.type === 'rows') {
      if (ev.n > 0) {
        pending.push({ file: ev.file, rows: ev.rows, labels: ev.labels, release: ev.release })
        pendingChars += ev.chars
      } else ev.release?.()
      pendingBytes = ev.bytes
      if (pendingChars >= WRITE_CHARS) flush()
      rollouts += ev.n
      p.noOutcome += ev.noOutcome
      tokenRollouts += ev.withTokens
      fileTokenRows.set(ev.file, (fileTokenRows.get(ev.file) ?? 0) + ev.withTokens)
      bad.add(ev.bad)
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
        return
      }
      hashes.add(ev.hash)
      if (ev.invalidUtf8) {
        const n = ev.invalidUtf8.lines
        p.notes.push(`${basename(f.path)}: ${n.toLocaleString('en-US')} line${n === 1 ? '' : 's'} hold bytes that are not UTF-8 (the first at line ` +
          `${ev.invalidUtf8.first}); imported with each bad byte sequence read as U+FFFD`)
      }
      insFile.run(runId, f.path, ev.hash, f.size, ev.lines, ev.rows, ev.skipped, Date.now())
      p.done.push({ path: f.path, size: f.size, status: 'imported', lines: ev.lines, rollouts: ev.rows, skipped: ev.skipped })
    } else if (ev.type === 'end') {
      raw = ev.steps
      spanning = ev.spanning
      mapping = ev.mapping
      recordTimes = new Map(ev.times)
    }
  }
  // While the checkpoint thread completes a checkpoint, nothing is committed: what comes meanwhile
  // waits here, up to HOLD_CHARS of responses (the reading threads go on without waiting for this one).
  const held: (RowEvent | { type: 'fileSteps' })[] = []
  let heldChars = 0
  const drain = () => {
    for (const h of held) handle(h)
    held.length = 0
    heldChars = 0
  }
  for await (const ev of source) {
    if (job.signal.aborted) break
    if (holding() && heldChars < HOLD_CHARS) {
      held.push(ev)
      if (ev.type === 'rows') heldChars += ev.chars
      continue
    }
    drain()
    handle(ev)
  }
  if (job.signal.aborted) throw new JobCancelled()
  drain()
  flush()
  if (rollouts === 0) throw new ImportFailure(nothingStored(p, bad))
  // Finished in one write transaction taken up front (BEGIN IMMEDIATE), so of two imports of the
  // same content racing in this or another process, exactly one keeps each file.
  const finish = db.transaction((): ImportSummary => {
    // Files another import holds already (it finished while this one read them): theirs, not ours.
    // (Read with the same mapping: the same file read for another model's entry is another import.)
    const taken = (db.prepare(`SELECT DISTINCT mine.path AS path, other.run_id AS runId, r.source AS source FROM import_files mine
      JOIN import_files other ON other.content_hash = mine.content_hash AND other.run_id <> mine.run_id
      JOIN runs r ON r.id = other.run_id AND r.status = 'imported' WHERE mine.run_id = ?`).all(runId) as { path: string; runId: number; source: string | null }[])
      .filter((t) => sameMapping(t.source, p.mapping))
    const mine = (db.prepare('SELECT count(*) FROM import_files WHERE run_id = ?').pluck().get(runId) as number)
    if (taken.length > 0) {
      const del = db.prepare('DELETE FROM rollouts WHERE run_id = ? AND id BETWEEN ? AND ?')
      for (const t of taken) {
        const i = p.files.findIndex((f) => f.path === t.path)
        for (const [a, b] of idRanges.get(i) ?? []) del.run(runId, a, b)
        db.prepare('DELETE FROM import_files WHERE run_id = ? AND path = ?').run(runId, t.path)
        const d = p.done.find((f) => f.path === t.path && f.status === 'imported')
        if (d) {
          rollouts -= d.rollouts
          tokenRollouts -= fileTokenRows.get(i) ?? 0
          Object.assign(d, { status: 'already imported', rollouts: 0, skipped: 0, runId: t.runId })
        }
      }
      if (new Set(taken.map((t) => t.path)).size === mine) {
        // All of it was imported meanwhile: this run goes, the summary names the other one.
        ctx.store.runs.delete(runId)
        return summary(p, null, taken[0]!.runId, bad, 0, 0, 0, t0, mapping)
      }
    }
    // A dropped duplicate changes its steps: all metrics from the stored rows. A step that spans files
    // read on different threads: that step's metrics from its stored rows.
    if (taken.length > 0 || p.done.some((f) => f.status === 'duplicate')) raw = metricsFromStored(db, runId, p.sg.phrases)
    else if (spanning.length > 0) {
      const fixed = new Map(metricsFromStored(db, runId, p.sg.phrases, spanning).map((x) => [x.step, x.metrics]))
      raw = raw.map((x) => (fixed.has(x.step) ? { step: x.step, metrics: fixed.get(x.step)! } : x))
    }
    const steps = withRelativePerplexity(raw)
    const times = chooseStepTimes(p.format, p.files, recordTimes, steps.map((x) => x.step), mapping.record.timestamp ?? mapping.rollout.timestamp)
    p.notes.push(times.note)
    const s = { ...summary(p, runId, null, bad, rollouts, tokenRollouts, steps.length, t0, mapping), wallTimes: { from: times.from, note: times.note, ...(times.why !== undefined ? { why: times.why } : {}) } }
    ctx.store.metrics.append(runId, withStepTimes(metricPoints(steps), times.times))
    const source = { format: p.format, paths: p.paths, mapping: p.req.mapping ?? p.mapping, resolvedMapping: s.mapping,
      sg: { name: p.sg.name, file: p.sg.file }, tokenizer: p.req.tokenizer ? resolve(p.req.tokenizer) : null, summary: { ...s, bad: s.bad.slice(0, 100) } }
    ctx.store.runs.update(runId, { status: 'imported', source })
    db.prepare('UPDATE runs SET owner_pid = NULL WHERE id = ?').run(runId)
    stepsWritten = steps.map((x) => x.step)
    return s
  })
  let stepsWritten: number[] | null = null
  const s = finish.immediate()
  if (stepsWritten === null) {
    ctx.events.emit('runs/changed', { runId, change: 'deleted' })
    return s
  }
  ctx.events.emit('metrics/appended', { runId, steps: stepsWritten })
  ctx.events.emit('runs/changed', { runId, change: 'updated' })
  return s
}

/** Why an import stored no rollout, for its error: the files, and what was wrong with their records. */
function nothingStored(p: Plan, bad: BadLines): string {
  const files = p.files.map((f) => basename(f.path))
  const which = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ')
  if (bad.total === 0) return `nothing imported: ${which} hold${files.length === 1 ? 's' : ''} no records; no run was created`
  const kinds = Object.entries(bad.byKind).map(([k, n]) => `${n.toLocaleString('en-US')} ${k}`).join(', ')
  const first = bad.first.slice(0, 3).map((b) => `${b.file}:${b.line}: ${b.kind}: ${b.message}`).join('; ')
  return `nothing imported: no rollout could be read from ${which} (skipped ${kinds}; ${first}${bad.total > 3 ? '; …' : ''}); no run was created`
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
    layout: p.layout,
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
    noOutcome: p.noOutcome,
    ...(p.also.length > 0 ? { also: p.also } : {}),
    mapping,
    seconds: (Date.now() - t0) / 1000
  }
}
