import { readdir, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { firstLines } from './lineChunks'
import { DEFAULT_NAMES, type FieldMapping } from './mapping'

export type ImportFormat = 'verl' | 'jsonl' | 'checkpoints'
export const IMPORT_FORMATS: readonly ImportFormat[] = ['verl', 'jsonl', 'checkpoints']

export interface SourceFile {
  path: string
  size: number
  /** Step of every record without its own step field (from the file name), or null. */
  stepHint: number | null
}

export interface Sources {
  format: ImportFormat
  files: SourceFile[]
  /** Files left out and choices made, for the summary. */
  notes: string[]
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
const isJsonl = (n: string) => /\.jsonl(?:\.gz)?$/i.test(n)

async function sample(path: string): Promise<Record<string, unknown> | null> {
  for (const { text } of await firstLines(path, 5, 1 << 20)) {
    try {
      const v = JSON.parse(text)
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>
    } catch {
      // a malformed first line: try the next one
    }
  }
  return null
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
  if (mapping.response) return true
  return DEFAULT_NAMES.response.some((n) => rec[n] !== undefined)
}

/** The first integer in a file name: `step0300_rl_raw.jsonl` → 300. */
export function stepFromName(path: string): number | null {
  const m = /(\d+)/.exec(basename(path))
  return m ? Number(m[1]) : null
}

/**
 * Expands the given paths into the files to read, in step order, and decides the format when it
 * is not given: a folder of `<step>.jsonl` is verl; records with a list of rollout objects are
 * checkpoint evaluations; anything else is JSONL with a field mapping.
 */
export async function listSources(paths: readonly string[], format: ImportFormat | undefined, mapping: FieldMapping = {}): Promise<Sources> {
  if (paths.length === 0) throw new SourceError('give at least one file or folder to import')
  const found: string[] = []
  const notes: string[] = []
  let fromFolder = false
  for (const p of paths) {
    const abs = resolve(p)
    let st
    try {
      st = await stat(abs)
    } catch {
      throw new SourceError(`${p} does not exist`)
    }
    if (st.isDirectory()) {
      fromFolder = true
      const all = (await readdir(abs)).filter(isJsonl).sort()
      if (all.length === 0) throw new SourceError(`${p} holds no .jsonl (or .jsonl.gz) files`)
      // A compressed copy beside its plain file would read every line twice.
      const listed = new Set(all)
      for (const n of all) {
        if (n.toLowerCase().endsWith('.gz') && listed.has(n.slice(0, -3))) notes.push(`left out ${n}: ${n.slice(0, -3)} beside it holds the same rollouts`)
        else found.push(join(abs, n))
      }
    } else if (st.isFile()) found.push(abs)
    else throw new SourceError(`${p} is neither a file nor a folder`)
  }
  const unique = [...new Set(found)]
  let fmt = format
  if (!fmt) {
    if (fromFolder && unique.every((f) => VERL_NAME.test(basename(f)))) fmt = 'verl'
    else {
      let nested = false
      for (const f of unique) {
        const s = await sample(f)
        if (s && nestedField(s, mapping)) {
          nested = true
          break
        }
      }
      fmt = nested ? 'checkpoints' : 'jsonl'
    }
  }

  const files: SourceFile[] = []
  for (const f of unique) {
    const size = (await stat(f)).size
    if (fmt === 'verl') {
      const m = VERL_NAME.exec(basename(f))
      files.push({ path: f, size, stepHint: m ? Number(m[1]) : stepFromName(f) })
    } else if (fmt === 'checkpoints') {
      const s = await sample(f)
      if (s && !nestedField(s, mapping) && !hasResponse(s, mapping)) {
        notes.push(`left out ${basename(f)}: its records hold no rollouts (not a checkpoint file)`)
        continue
      }
      files.push({ path: f, size, stepHint: stepFromName(f) })
    } else files.push({ path: f, size, stepHint: null })
  }
  if (files.length === 0) throw new SourceError(`nothing to import in ${paths.join(', ')}: ${notes.join('; ')}`)

  if (fmt === 'checkpoints') {
    // A checkpoint file without a number (final_*.jsonl) is the last one: it goes after the
    // highest numbered checkpoint, and the summary says where.
    const numbered = files.filter((f) => f.stepHint !== null).map((f) => f.stepHint as number)
    const last = numbered.length > 0 ? Math.max(...numbered) : -1
    let next = last + 1
    for (const f of files) {
      if (f.stepHint === null) {
        f.stepHint = next++
        notes.push(`${basename(f.path)} has no step in its name: placed after the last checkpoint, at step ${f.stepHint}`)
      }
    }
  }
  if (fmt !== 'jsonl') files.sort((a, b) => (a.stepHint ?? 0) - (b.stepHint ?? 0) || a.path.localeCompare(b.path))
  return { format: fmt, files, notes }
}
