import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { normalizePhrase, parseSgSetJson, type SgSet, type StrategicGram } from '../../core'
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

/** resources/sg/default.json, looked for above this module (sources, tests) and the working folder (bundles). */
export function defaultSgPath(): string | null {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()]
  for (const s of starts) {
    let d = s
    for (let i = 0; i < 6; i++) {
      const p = join(d, 'resources', 'sg', 'default.json')
      if (existsSync(p)) return p
      const up = dirname(d)
      if (up === d) break
      d = up
    }
  }
  return null
}

function fromFile(path: string): SgSet {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new SgResolveError(`cannot read the Strategic Gram set ${path}: ${(e as Error).message}`)
  }
  try {
    return parseSgSetJson(text, path)
  } catch (e) {
    throw new SgResolveError((e as Error).message)
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
 * `--sg FILE_OR_NAME`: a JSON file (the core's SG-set format), else the name (or id) of a set in
 * the workspace (its head version); nothing given: resources/sg/default.json.
 */
export function resolveSg(arg: string | undefined, store: Store | null): ResolvedSg {
  let file: string | null = null
  if (arg === undefined || arg === '') {
    file = defaultSgPath()
    if (!file) throw new SgResolveError('no Strategic Gram set: pass --sg FILE_OR_NAME (resources/sg/default.json is missing)')
  } else if (existsSync(arg) && statSync(arg).isFile()) file = resolve(arg)
  else if (arg === 'default' && !(store && store.sgSets.byName(arg))) {
    // The built-in set by its name, as `hicra sg` resolves it, before the workspace stores it.
    file = defaultSgPath()
  }

  if (file) {
    const set = fromFile(file)
    const stored = store ? register(store, set) : null
    return { name: set.name, grams: set.grams, phrases: set.grams.map((g) => g.phrase), setId: stored?.setId ?? null, version: stored?.version ?? null, file }
  }
  if (!store) throw new SgResolveError(`Strategic Gram set '${arg}': no such file (set names need a workspace)`)
  const found = store.sgSets.byName(arg!) ?? (/^\d+$/.test(arg!) ? store.sgSets.summary(Number(arg)) : null)
  if (!found) {
    const names = store.sgSets.list().map((s) => s.name)
    throw new SgResolveError(`'${arg}' is neither a file nor a Strategic Gram set of this workspace` +
      (names.length ? ` (sets: ${names.join(', ')})` : ' (it has no sets yet)'))
  }
  const d = store.sgSets.get(found.id)
  return { name: d.name, grams: d.grams, phrases: d.grams.map((g) => g.phrase), setId: d.id, version: d.version, file: null }
}

/** The phrases of a stored set version (for recomputation and planning highlights). */
export function storedPhrases(db: Db, setId: number, version: number | null): string[] | null {
  const v = version ?? (db.prepare('SELECT head_version FROM sg_sets WHERE id = ?').pluck().get(setId) as number | undefined)
  if (v === undefined) return null
  return db.prepare('SELECT phrase FROM sg_grams WHERE set_id = ? AND version = ? ORDER BY ord').pluck().all(setId, v) as string[]
}
