import { resolve } from 'node:path'
import { normalizePhrase, type SgSet, type StrategicGram } from '../../core'
import { ApiError } from '../../shared/errors'
import { DEFAULT_SET_NAME, resolveSgSet, type ResolvedSgSet } from '../sg/resolve'
import type { Db, Store } from '../store'

/** The Strategic Gram set an import or analysis uses. */
export interface ResolvedSg {
  name: string
  grams: StrategicGram[]
  phrases: string[]
  /** Where it is stored in the workspace (null for `hicra analyze`, which has no workspace). */
  setId: number | null
  version: number | null
  /** The file it came from, when it came from one. */
  file: string | null
}

export class SgResolveError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SgResolveError'
  }
}

const key = (phrases: readonly string[]) => phrases.map((p) => normalizePhrase(p).join(' ')).join('\n')

/**
 * A set read from a file is kept in the workspace, so the run points at a stored version (the
 * curation views and planning highlights read it from there): the set of that name when its head
 * holds the same phrases, else a new set under a free name (through the SG store).
 */
function register(store: Store, set: SgSet): { setId: number; version: number } {
  const want = key(set.grams.map((g) => g.phrase))
  let name = set.name
  for (let n = 2; ; n++) {
    const s = store.sgSets.byName(name)
    if (!s) break
    const head = store.sgSets.get(s.id)
    if (key(head.grams.map((g) => g.phrase)) === want) return { setId: s.id, version: head.version }
    name = `${set.name} (${n})`
  }
  const d = store.sgSets.create(name, set.grams, { note: 'imported with a run', message: `imported from ${set.name}` })
  return { setId: d.id, version: d.version }
}

/**
 * `--sg FILE_OR_NAME` for imports and analyses, looked up as everywhere else (`resolveSgSet`: a
 * file, a stored set's name or id, or the built-in `default`; nothing given means `default`). A set
 * that is not stored yet is stored, so the run points at a stored version.
 */
export function resolveSg(arg: string | undefined, store: Store | null): ResolvedSg {
  let set: ResolvedSgSet
  try {
    set = resolveSgSet(store, arg === undefined || arg === '' ? DEFAULT_SET_NAME : arg)
  } catch (e) {
    if (e instanceof ApiError) throw new SgResolveError(e.message)
    throw e
  }
  const phrases = set.grams.map((g) => g.phrase)
  const file = set.origin.kind === 'file' ? resolve(set.origin.path) : null
  if (set.origin.kind === 'stored') {
    return { name: set.name, grams: set.grams, phrases, setId: set.origin.id, version: set.origin.version, file }
  }
  const stored = store ? register(store, set) : null
  return { name: set.name, grams: set.grams, phrases, setId: stored?.setId ?? null, version: stored?.version ?? null, file }
}

/** The phrases of a stored set version (for recomputation and planning highlights). */
export function storedPhrases(db: Db, setId: number, version: number | null): string[] | null {
  const v = version ?? (db.prepare('SELECT head_version FROM sg_sets WHERE id = ?').pluck().get(setId) as number | undefined)
  if (v === undefined) return null
  return db.prepare('SELECT phrase FROM sg_grams WHERE set_id = ? AND version = ? ORDER BY ord').pluck().all(setId, v) as string[]
}
