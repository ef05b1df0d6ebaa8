import { existsSync, readFileSync, statSync } from 'node:fs'
import { ApiError } from '../../shared/errors'
import type { SgGram } from '../../shared/api/sg'
import { parseSgSetJson, SgSetParseError } from '../../core/strategicGrams'
import type { Store } from '../store'
import defaultSet from '../../../resources/sg/default.json'

export const DEFAULT_SET_NAME = 'default'

export interface ResolvedSgSet {
  name: string
  grams: SgGram[]
  /** Where it came from: a stored set (with its version), a file, or the built-in default. */
  origin: { kind: 'stored'; id: number; version: number } | { kind: 'file'; path: string } | { kind: 'builtin' }
}

/** The built-in default set (resources/sg/default.json), validated by the core like any file. */
export function builtinDefaultSet(): { name: string; grams: SgGram[] } {
  return parseSgSetJson(JSON.stringify(defaultSet), 'resources/sg/default.json')
}

/** Reads an SG set file; a bad file is an invalid_argument error naming the file and each bad entry. */
export function readSgSetFile(path: string, field = 'sg'): { name: string; grams: SgGram[] } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new ApiError('invalid_argument', `cannot read Strategic Gram set file ${path}: ${(e as Error).message}`, field)
  }
  try {
    return parseSgSetJson(text, path)
  } catch (e) {
    if (e instanceof SgSetParseError) throw new ApiError('invalid_argument', e.message, field)
    throw e
  }
}

/**
 * `--sg FILE_OR_NAME`: an existing file path, else a stored set by name (or numeric id), else
 * `default` for the built-in set. Anything else is an error that says what was tried. Without a
 * workspace (`store` null, e.g. `hicra analyze` with no --db) only files and `default` resolve.
 */
export function resolveSgSet(store: Store | null, fileOrName: string, field = 'sg'): ResolvedSgSet {
  const arg = fileOrName.trim()
  if (arg === '') throw new ApiError('invalid_argument', 'Strategic Gram set: give a file path or a set name', field)
  if (existsSync(arg) && statSync(arg).isFile()) {
    const set = readSgSetFile(arg, field)
    return { ...set, origin: { kind: 'file', path: arg } }
  }
  const stored = store ? store.sgSets.byName(arg) ?? (/^\d+$/.test(arg) ? store.sgSets.summary(Number(arg)) : null) : null
  if (store && stored) {
    const d = store.sgSets.get(stored.id)
    return { name: d.name, grams: d.grams, origin: { kind: 'stored', id: d.id, version: d.version } }
  }
  if (arg === DEFAULT_SET_NAME) return { ...builtinDefaultSet(), origin: { kind: 'builtin' } }
  if (!store) {
    throw new ApiError('not_found', `no Strategic Gram set '${arg}': not a file, and not the built-in '${DEFAULT_SET_NAME}' (give --db to use a stored set)`, field)
  }
  const names = store.sgSets.list().map((s) => s.name)
  throw new ApiError('not_found',
    `no Strategic Gram set '${arg}': not a file, and no stored set has that name (stored: ${names.length ? names.join(', ') : 'none'}; built-in: ${DEFAULT_SET_NAME})`,
    field)
}
