import { readdir, readFile, stat } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import { classify, unreadable } from './regularFiles'
import { basename, dirname, join, resolve } from 'node:path'
import { firstLines, readBlocks } from './lineChunks'
import { firstElements, SHAPE_NAMES, type JsonShape } from './jsonElements'
import { DEFAULT_NAMES, getPath, recordKeyTest, type FieldMapping } from './mapping'

export type ImportFormat = 'verl' | 'jsonl' | 'checkpoints'
export const IMPORT_FORMATS: readonly ImportFormat[] = ['verl', 'jsonl', 'checkpoints']

export interface SourceFile {
  path: string
  size: number
  /** Step of every record without its own step field (from the file name), or null. */
  stepHint: number | null
  /** One record a line (the default), or one JSON document (an array, an object keyed by problem id, one record). */
  container?: 'lines' | 'json'
  /** The longest line read, in bytes (`--max-line-mb`); a longer one is skipped as a bad line. Default 64 MB. */
  maxLineBytes?: number
}

/** A run configuration found beside the rollouts: kept as the run's config. */
export interface RunConfigFile {
  file: string
  /** The parsed JSON, or the text of a YAML file. */
  value: unknown
}

/**
 * Files of a folder beside the numbered checkpoints that hold other models' answers (the start
 * and final models on another problem set, a DPO model): never merged into a checkpoint, offered
 * as runs of their own. `steps`: each file's step in that run (start 0, final 1).
 */
export interface SideGroup {
  name: string
  files: { path: string; step: number }[]
}

export interface Sources {
  format: ImportFormat
  files: SourceFile[]
  /** Files left out and choices made, for the summary. */
  notes: string[]
  /** How the records are laid out in the files (JSON Lines, a JSON array…), for the summary. */
  layout: string
  configs: RunConfigFile[]
  sides: SideGroup[]
}

/** A user-facing problem with the paths (missing, empty folder, nothing importable). */
export class SourceError extends Error {
  constructor(message: string, readonly field = 'paths') {
    super(message)
    this.name = 'SourceError'
  }
}

// Rollout files, plain or gzip-compressed (`.jsonl.gz`: read as they are, see lineChunks).
const VERL_NAME = /^(\d+)\.jsonl(?:\.gz)?$/
const isData = (n: string) => /\.jsonl?(?:\.gz)?$/i.test(n)
const isJsonName = (n: string) => /\.json(?:\.gz)?$/i.test(n)
// A run's configuration, kept as its config rather than read for rollouts.
const CONFIG_NAME = /(^|[_-])run_?config.*\.json$|^config\.(json|ya?ml)$/i
// Another model's answers beside the numbered checkpoints: `rlvr_start_math500.json`, `x_final_y.json`, `dpo_*`.
const SIDE_NAME = /^(.+[_-])(start|final)([_-].+)$|^(dpo)([_-].+)$/i

/**
 * Whether a file is one JSON document rather than JSON Lines: `.json` files are, unless their
 * first line is a whole object with another line after it; any file that starts with `[` is.
 * Only the first block of 1 MB is read (a JSON document is often one line of a gigabyte); its
 * first 64 KB decide most files (a folder of twenty verl files was read 20 MB deep before).
 */
async function containerOf(path: string): Promise<NonNullable<SourceFile['container']> | 'blank'> {
  return (await containerIn(path, PROBE_BYTES)) ?? (await containerIn(path, 1 << 20))!
}

const PROBE_BYTES = 64 << 10

// containerOf over blocks of chunkBytes; null when a block short of 1 MB cannot decide.
async function containerIn(path: string, chunkBytes: number): Promise<NonNullable<SourceFile['container']> | 'blank' | null> {
  const whole = chunkBytes >= 1 << 20
  for await (const b of readBlocks(path, { chunkBytes })) {
    if ('broken' in b) return 'lines'
    const buf = b.block
    let i = 0
    if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3
    while (i < buf.length && (buf[i] === 32 || buf[i] === 10 || buf[i] === 13 || buf[i] === 9)) i++
    if (i === buf.length) continue
    if (buf[i] === 91) return 'json'
    if (!isJsonName(path) || buf[i] !== 123) return 'lines'
    const nl = buf.indexOf(10, i)
    if (nl < 0) return whole ? 'json' : null
    try {
      const first = JSON.parse(buf.toString('utf8', i, nl))
      if (first === null || typeof first !== 'object' || Array.isArray(first)) return 'json'
    } catch {
      return 'json'
    }
    if (!whole && nl + 4096 > buf.length) return null
    const rest = buf.toString('utf8', nl + 1, Math.min(buf.length, nl + 4096)).trimStart()
    return rest.startsWith('{') ? 'lines' : 'json'
  }
  return 'blank'
}

/** The first records of a file (lines, or a JSON document's elements), parsed; with the document's shape. */
export async function sampleRecords(f: Pick<SourceFile, 'path' | 'container'>, n: number, mapping: FieldMapping = {}):
  Promise<{ shape: JsonShape | 'lines' | null; items: { line: number; text: string; key: string | null }[] }> {
  if (f.container === 'json') {
    const r = await firstElements(f.path, n, 8 << 20, recordKeyTest(mapping))
    return { shape: r.shape, items: r.items }
  }
  return { shape: 'lines', items: (await firstLines(f.path, n, 1 << 20, PROBE_BYTES)).map((l) => ({ ...l, key: null })) }
}

/** A file's first record that parses to an object (null if none of the first five does), with the file's shape. */
async function firstRecord(path: string, container: SourceFile['container'], mapping: FieldMapping):
  Promise<{ shape: JsonShape | 'lines' | null; rec: Record<string, unknown> | null }> {
  const smp = await sampleRecords({ path, container }, 5, mapping)
  for (const { text } of smp.items) {
    try {
      const v = JSON.parse(text)
      if (v && typeof v === 'object' && !Array.isArray(v)) return { shape: smp.shape, rec: v as Record<string, unknown> }
    } catch {
      // a malformed first record: try the next one
    }
  }
  return { shape: smp.shape, rec: null }
}

function nestedField(rec: Record<string, unknown>, mapping: FieldMapping): string | null {
  const names = mapping.rollouts ? [mapping.rollouts] : DEFAULT_NAMES.rollouts
  for (const n of names) {
    const v = rec[n]
    if (Array.isArray(v) && v.length > 0 && v[0] !== null && typeof v[0] === 'object') return n
  }
  return null
}

function hasResponse(rec: Record<string, unknown>, mapping: FieldMapping): boolean {
  // A mapped response must be there too: a problem list beside the solutions has none.
  if (mapping.entry) return getPath(rec, mapping.entry) !== undefined
  if (mapping.response) return getPath(rec, mapping.response) !== undefined
  return DEFAULT_NAMES.response.some((n) => rec[n] !== undefined)
}

/**
 * The step in a file name: the number after `step`, `checkpoint`, `ckpt`, `iter` or `global_step`
 * where there is one (`qwen2.5_step_100.json` → 100), else the first integer
 * (`step0300_rl_raw.jsonl` → 300); for a file in a `checkpoint-300/` folder without one, the folder's.
 */
export function stepFromName(path: string, dirStep = false): number | null {
  const name = basename(path)
  const tagged = /(?:global_step|step|checkpoint|ckpt|iter(?:ation)?)[_-]?(\d+)/i.exec(name)
  if (tagged) return Number(tagged[1])
  const m = /(\d+)/.exec(name)
  if (m) return Number(m[1])
  return dirStep ? stepFromName(dirname(path)) : null
}

interface Found {
  path: string
  /** Found inside a folder (not given itself): non-rollout files beside the rollouts are left out. */
  inFolder: boolean
  /** Inside a sub-folder of a given folder (`checkpoint-300/…`): the step may be the folder's. */
  nested: boolean
}

/** A folder's data files, and those of its sub-folders one level down (`checkpoint-300/responses.json`). */
async function folderFiles(abs: string, notes: string[]): Promise<Found[]> {
  const out: Found[] = []
  // Only regular files are read: a link is followed to one, anything else is named and left out.
  const add = async (e: Dirent, p: string, nested: boolean) => {
    if (!isData(e.name) && !CONFIG_NAME.test(e.name)) return
    const c = e.isFile() ? null : await classify(p)
    const why = c === null || c.kind === 'file' ? await unreadable(p) : c.kind === 'other' ? c.why : c.kind === 'dir' ? 'a folder' : 'gone while the folder was listed'
    if (why === null) out.push({ path: p, inFolder: true, nested })
    else notes.push(`left out ${nested ? `${basename(dirname(p))}/` : ''}${e.name}: ${why}`)
  }
  for (const e of await listDir(abs)) {
    const p = join(abs, e.name)
    if (e.isDirectory()) {
      for (const s of await listDir(p)) await add(s, join(p, s.name), true)
    } else await add(e, p, false)
  }
  return out
}

async function listDir(abs: string): Promise<Dirent[]> {
  try {
    return (await readdir(abs, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))
  } catch (err) {
    throw new SourceError(`cannot list the folder ${abs}: ${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as Error).message}`)
  }
}

async function readConfig(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8')
  if (/\.ya?ml$/i.test(path)) return text
  try {
    return JSON.parse(text)
  } catch (e) {
    return { unreadable: `${basename(path)} is not valid JSON: ${(e as Error).message}` }
  }
}

/** The name a group of side files shares: the file name without its start/final word (`rlvr_math500.json`). */
function sideGroup(name: string): { group: string; role: 'start' | 'final' | 'dpo' } | null {
  const m = SIDE_NAME.exec(name)
  if (!m) return null
  if (m[4]) return { group: `${m[4]}${m[5]}`, role: 'dpo' }
  return { group: `${m[1]!.slice(0, -1)}${m[3]}`, role: m[2]!.toLowerCase() as 'start' | 'final' }
}

/** A step written in a name with its tag (`step_100`, `checkpoint-300`), or null: names that say they are checkpoints. */
function taggedStep(path: string, nested: boolean): number | null {
  const tag = /(?:global_step|step|checkpoint|ckpt|iter(?:ation)?)[_-]?(\d+)/i
  const m = tag.exec(basename(path)) ?? (nested ? tag.exec(basename(dirname(path))) : null)
  return m ? Number(m[1]) : null
}

export interface ListOptions {
  /** Steps given for the files (a side group imported as its own run): they are checkpoints at these steps. */
  stepHints?: Record<string, number>
  /** The step of checkpoint files without a number in their name (`final.jsonl`); default: after the last numbered one. */
  unnumberedStep?: number
}

/**
 * Expands the given paths into the files to read, in step order, and decides the format when it
 * is not given: a folder of `<step>.jsonl` is verl; records with a list of rollout objects, or
 * files named by checkpoint step (`rlvr_step_100_responses.json`, `checkpoint-300/…`), are
 * checkpoint evaluations; anything else is JSONL with a field mapping. In folders, files that hold
 * no rollouts are left out with a note, a run configuration is kept as the run's config, and other
 * models' answers beside the checkpoints (`*_start_*`, `*_final_*`, `dpo_*`) become side groups.
 */
export async function listSources(paths: readonly string[], format: ImportFormat | undefined, mapping: FieldMapping = {}, opts: ListOptions = {}): Promise<Sources> {
  if (paths.length === 0) throw new SourceError('give at least one file or folder to import')
  const found: Found[] = []
  const notes: string[] = []
  const configs: RunConfigFile[] = []
  let fromFolder = false
  for (const p of paths) {
    const abs = resolve(p)
    const st = await classify(abs)
    if (st.kind === 'missing') throw new SourceError(`${p} does not exist`)
    if (st.kind === 'other') {
      // Named in the summary; the other paths are still imported.
      notes.push(`left out ${p}: ${st.why}, not a regular file or a folder`)
      continue
    }
    if (st.kind === 'dir') {
      fromFolder = true
      const all = await folderFiles(abs, notes)
      if (!all.some((f) => isData(basename(f.path)))) throw new SourceError(`${p} holds no .jsonl or .json files (plain or .gz)${notes.length ? ': ' + notes.join('; ') : ''}`)
      // A compressed copy beside its plain file would read every record twice.
      const listed = new Set(all.map((f) => f.path))
      for (const f of all) {
        const n = basename(f.path)
        if (n.toLowerCase().endsWith('.gz') && listed.has(f.path.slice(0, -3))) notes.push(`left out ${n}: ${n.slice(0, -3)} beside it holds the same rollouts`)
        else found.push(f)
      }
    } else {
      const why = await unreadable(abs)
      if (why === null) found.push({ path: abs, inFolder: false, nested: false })
      else notes.push(`left out ${p}: ${why}`)
    }
  }
  const seen = new Set<string>()
  const unique = found.filter((f) => !seen.has(f.path) && seen.add(f.path))
  const shown = (f: Found) => (f.nested ? `${basename(dirname(f.path))}/${basename(f.path)}` : basename(f.path))

  // Run configs, empty files and other models' answers first: what is left holds rollouts.
  type Cand = Found & { container: SourceFile['container']; shape: JsonShape | 'lines' | null; rec: Record<string, unknown> | null; sampled: boolean }
  const cands: Cand[] = []
  const sides = new Map<string, SideGroup & { shown: string[] }>()
  for (const f of unique) {
    const name = basename(f.path)
    if (f.inFolder && CONFIG_NAME.test(name)) {
      configs.push({ file: shown(f), value: await readConfig(f.path) })
      notes.push(`kept ${shown(f)} as the run's config`)
      continue
    }
    const container = await containerOf(f.path)
    if (container === 'blank') {
      notes.push(`skipped ${shown(f)}: the file is empty`)
      continue
    }
    const side = f.inFolder ? sideGroup(name) : null
    if (side) {
      let g = sides.get(side.group)
      if (!g) sides.set(side.group, (g = { name: side.group.replace(/\.jsonl?(\.gz)?$/i, ''), files: [], shown: [] }))
      g.files.push({ path: f.path, step: side.role === 'final' ? 1 : 0 })
      g.shown.push(shown(f))
      continue
    }
    // A folder's <step>.jsonl files of lines are verl's whatever their records hold, so they are
    // sampled only where the folder turns out not to be verl's and the records decide the format
    // (twenty files opened and read once more, on the way to an analysis's first unit).
    if (f.inFolder && container === 'lines' && VERL_NAME.test(name)) cands.push({ ...f, container, shape: 'lines', rec: null, sampled: false })
    else cands.push({ ...f, container, ...(await firstRecord(f.path, container, mapping)), sampled: true })
  }
  // Beside rollouts, a file whose records hold none (a summary, the problem list) is left out.
  // (A verl folder's <step>.jsonl files are always rollouts: a bad first line does not leave one out.)
  const kept = cands.filter((f) => {
    if (!f.inFolder || VERL_NAME.test(basename(f.path)) || f.rec === null || nestedField(f.rec, mapping) || hasResponse(f.rec, mapping)) return true
    notes.push(`left out ${shown(f)}: its records hold no rollouts (${f.shape === 'record' ? 'one JSON object' : 'fields ' + Object.keys(f.rec).slice(0, 6).join(', ')})`)
    return false
  })
  const verlFolder = fromFolder && kept.length > 0 && kept.every((f) => VERL_NAME.test(basename(f.path)))
  if (!verlFolder && !format) {
    for (const f of kept) if (!f.sampled) Object.assign(f, await firstRecord(f.path, f.container, mapping), { sampled: true })
  }
  const sideList = [...sides.values()]
  for (const g of sideList) {
    notes.push(`${g.shown.join(', ')}: ${g.files.length > 1 ? 'answers of the start and final models' : 'another model\'s answers'} beside the checkpoints, ` +
      `not merged into a numbered checkpoint: offered as their own run '${g.name}'${g.files.length > 1 ? ' (start at step 0, final at step 1)' : ''}`)
  }
  if (kept.length === 0 && sideList.length === 0) throw new SourceError(`nothing to import in ${paths.join(', ')}${notes.length ? ': ' + notes.join('; ') : ''}`)

  const hints = opts.stepHints
  let fmt = format
  if (!fmt) {
    if (verlFolder) fmt = 'verl'
    else if (hints || kept.some((f) => f.rec !== null && nestedField(f.rec, mapping))) fmt = 'checkpoints'
    else {
      // Files named by checkpoint step whose records carry no step: one step per file.
      const steps = kept.map((f) => taggedStep(f.path, f.nested))
      const byName = kept.length >= 2 && steps.every((x) => x !== null) && new Set(steps).size === steps.length &&
        kept.every((f) => f.rec === null || !DEFAULT_NAMES.step.some((n) => f.rec![n] !== undefined) && !(mapping.step && f.rec[mapping.step] !== undefined))
      fmt = byName ? 'checkpoints' : 'jsonl'
    }
  }

  const files: SourceFile[] = []
  for (const f of kept) {
    const size = (await stat(f.path)).size
    let stepHint: number | null = null
    if (hints && hints[f.path] !== undefined) stepHint = hints[f.path]!
    else if (fmt === 'verl') {
      const m = VERL_NAME.exec(basename(f.path))
      stepHint = m ? Number(m[1]) : stepFromName(f.path)
    } else if (fmt === 'checkpoints') stepHint = f.nested ? taggedStep(f.path, true) ?? stepFromName(f.path, true) : stepFromName(f.path)
    files.push({ path: f.path, size, stepHint, container: f.container })
  }

  if (fmt === 'checkpoints') {
    // A checkpoint file without a number (final_*.jsonl) is the last one: it goes after the
    // highest numbered checkpoint, and the summary says where.
    const numbered = files.filter((f) => f.stepHint !== null).map((f) => f.stepHint as number)
    const last = numbered.length > 0 ? Math.max(...numbered) : -1
    const asked = opts.unnumberedStep
    let next = asked ?? last + 1
    for (const f of files) {
      if (f.stepHint === null) {
        if (numbered.includes(next)) {
          throw new SourceError(`${basename(f.path)} has no step in its name and was to go at step ${next}, which checkpoint ` +
            `${basename(files.find((g) => g.stepHint === next)!.path)} already holds: give another step for unnumbered checkpoints`)
        }
        f.stepHint = next++
        notes.push(asked !== undefined
          ? `${basename(f.path)} has no step in its name: placed at step ${f.stepHint}, as asked`
          : `${basename(f.path)} has no step in its name: placed right after the last checkpoint (step ${last}), at step ${f.stepHint}; ` +
            'set another step for unnumbered checkpoints with --final-step (CLI) or the import dialog')
      }
    }
  }
  if (fmt !== 'jsonl') files.sort((a, b) => (a.stepHint ?? 0) - (b.stepHint ?? 0) || a.path.localeCompare(b.path))
  const layouts = [...new Set(kept.map((f) => SHAPE_NAMES[f.shape ?? 'lines']))]
  return { format: fmt, files, notes, layout: layouts.join(' and ') || SHAPE_NAMES.lines, configs, sides: sideList.map(({ name, files }) => ({ name, files })) }
}
