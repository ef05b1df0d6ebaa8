import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ApiError } from '../../shared/errors'
import type { SgEvalCounts, SgEvalResult } from '../../shared/api/sg'
import { compileMatcher } from '../../core/matcher'

/** Function tags that make a sentence chunk planning (the thought-anchors labelling). */
export const PLANNING_TAGS: readonly string[] = ['plan_generation', 'uncertainty_management', 'self_checking']
export const LABELLED_FILE = 'chunks_labeled.json'

export interface LabelledChunk {
  text: string
  tags: string[]
}

/** Every chunks_labeled.json under `dir` (any depth), sorted for a stable order. */
export function findLabelledFiles(dir: string, field = 'dirs'): string[] {
  let st
  try {
    st = statSync(dir)
  } catch {
    throw new ApiError('invalid_argument', `${dir} does not exist`, field)
  }
  if (st.isFile()) return dir.endsWith('.json') ? [dir] : []
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && e.name === LABELLED_FILE) out.push(p)
    }
  }
  walk(dir)
  return out
}

/** Reads one labelled file; anything malformed is an error naming the file and the chunk index. */
export function readLabelledChunks(path: string): LabelledChunk[] {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (e) {
    throw new ApiError('invalid_argument', `${path}: not readable JSON: ${(e as Error).message}`, 'dirs')
  }
  if (!Array.isArray(data)) throw new ApiError('invalid_argument', `${path}: expected a list of chunks`, 'dirs')
  return data.map((c, i) => {
    const o = c as { chunk?: unknown; function_tags?: unknown }
    if (typeof o?.chunk !== 'string') throw new ApiError('invalid_argument', `${path}: chunk ${i} has no string "chunk"`, 'dirs')
    if (!Array.isArray(o.function_tags) || !o.function_tags.every((t) => typeof t === 'string')) {
      throw new ApiError('invalid_argument', `${path}: chunk ${i} has no list of strings "function_tags"`, 'dirs')
    }
    return { text: o.chunk, tags: o.function_tags as string[] }
  })
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

export function counts(chunks: number, positives: number, predicted: number, tp: number): SgEvalCounts {
  const precision = ratio(tp, predicted)
  const recall = ratio(tp, positives)
  const f1 = precision !== null && recall !== null && precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : null
  return { chunks, positives, predicted, truePositives: tp, precision, recall, f1 }
}

/**
 * Sentence-level tagging quality of an SG set: a chunk is planning when its tags include one of
 * PLANNING_TAGS, predicted planning when it holds an SG occurrence (SPEC §2). Per tag, that tag's
 * chunks are the positives against the same predictions, so per-tag recall says which kinds of
 * planning the set finds and per-tag precision how much of what it fires on carries that tag.
 */
export function evaluateChunks(setName: string, phrases: readonly string[], files: { path: string; chunks: LabelledChunk[] }[], dirs: string[]): SgEvalResult {
  const matcher = compileMatcher(phrases)
  const planning = new Set(PLANNING_TAGS)
  let n = 0
  let pos = 0
  let pred = 0
  let tp = 0
  const tagN = new Map<string, { pos: number; tp: number }>()
  const gramChunks = new Float64Array(phrases.length)
  const gramPlanning = new Float64Array(phrases.length)
  for (const f of files) {
    for (const c of f.chunks) {
      n++
      const occ = matcher.findOccurrences(c.text)
      const isPred = occ.length > 0
      const isPos = c.tags.some((t) => planning.has(t))
      if (isPos) pos++
      if (isPred) pred++
      if (isPos && isPred) tp++
      for (const t of new Set(c.tags)) {
        let e = tagN.get(t)
        if (!e) tagN.set(t, (e = { pos: 0, tp: 0 }))
        e.pos++
        if (isPred) e.tp++
      }
      const fired = new Set(occ.map((o) => o.gram))
      for (const g of fired) {
        gramChunks[g]++
        if (isPos) gramPlanning[g]++
      }
    }
  }
  const perTag: Record<string, SgEvalCounts> = {}
  for (const t of [...tagN.keys()].sort()) {
    const e = tagN.get(t)!
    perTag[t] = counts(n, e.pos, pred, e.tp)
  }
  return {
    set: setName,
    dirs,
    files: files.length,
    planningTags: [...PLANNING_TAGS],
    overall: counts(n, pos, pred, tp),
    perTag,
    perGram: phrases.map((phrase, g) => ({ phrase, chunks: gramChunks[g]!, planningChunks: gramPlanning[g]! }))
  }
}

/** `sg eval`: reads every labelled file under `dirs` and scores `phrases` on them. */
export function evaluateDirs(setName: string, phrases: readonly string[], dirs: string[]): SgEvalResult {
  const files: { path: string; chunks: LabelledChunk[] }[] = []
  dirs.forEach((d, i) => {
    const found = findLabelledFiles(d, `dirs.${i}`)
    for (const path of found) files.push({ path, chunks: readLabelledChunks(path) })
  })
  if (files.length === 0) {
    throw new ApiError('invalid_argument', `no ${LABELLED_FILE} found under ${dirs.join(', ')}`, 'dirs')
  }
  return evaluateChunks(setName, phrases, files, dirs)
}
