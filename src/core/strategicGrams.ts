import { splitWords } from './words'

export type SgCategory = 'deduction' | 'branching' | 'backtracing' | 'other'
export type SgSource = 'seed' | 'mined' | 'manual' | 'imported'

export const SG_CATEGORIES: readonly SgCategory[] = ['deduction', 'branching', 'backtracing', 'other']
export const SG_SOURCES: readonly SgSource[] = ['seed', 'mined', 'manual', 'imported']

export interface StrategicGram {
  phrase: string
  category: SgCategory
  source: SgSource
  note?: string
}

export interface SgSet {
  name: string
  grams: StrategicGram[]
}

export const SG_MIN_WORDS = 2
export const SG_MAX_WORDS = 8

export interface GramError {
  index: number
  phrase: string
  message: string
}

/** The words an SG is compared through (SPEC §1): lower case, ’ read as '. */
export function normalizePhrase(phrase: string): string[] {
  const w = splitWords(phrase)
  const out: string[] = new Array(w.count)
  for (let i = 0; i < w.count; i++) out[i] = w.norm(i)
  return out
}

/** Checks length (2–8 words), breaks inside the phrase and duplicates after normalization. */
export function validateGrams(grams: readonly (StrategicGram | string)[]): { ok: boolean; errors: GramError[] } {
  const errors: GramError[] = []
  const seen = new Map<string, number>()
  grams.forEach((g, index) => {
    const phrase = typeof g === 'string' ? g : g?.phrase
    if (typeof phrase !== 'string') {
      errors.push({ index, phrase: String(phrase), message: 'phrase must be a string' })
      return
    }
    const w = splitWords(phrase)
    if (w.count < SG_MIN_WORDS || w.count > SG_MAX_WORDS) {
      errors.push({
        index,
        phrase,
        message: `has ${w.count} word${w.count === 1 ? '' : 's'}; a Strategic Gram has ${SG_MIN_WORDS} to ${SG_MAX_WORDS}`
      })
      return
    }
    for (let i = 0; i + 1 < w.count; i++) {
      if (w.joined[i] === 0) {
        errors.push({ index, phrase, message: 'contains a break (. ! ? ; : or newline), so it could never match' })
        return
      }
    }
    const key = normalizePhrase(phrase).join(' ')
    const first = seen.get(key)
    if (first !== undefined) {
      errors.push({ index, phrase, message: `duplicates entry ${first} ("${key}") after normalization` })
      return
    }
    seen.set(key, index)
    if (typeof g !== 'string') {
      if (!SG_CATEGORIES.includes(g.category)) {
        errors.push({ index, phrase, message: `unknown category "${String(g.category)}" (expected ${SG_CATEGORIES.join(', ')})` })
      }
      if (!SG_SOURCES.includes(g.source)) {
        errors.push({ index, phrase, message: `unknown source "${String(g.source)}" (expected ${SG_SOURCES.join(', ')})` })
      }
    }
  })
  return { ok: errors.length === 0, errors }
}

export class SgSetParseError extends Error {
  constructor(
    message: string,
    readonly errors: GramError[] = []
  ) {
    super(message)
    this.name = 'SgSetParseError'
  }
}

/**
 * Reads `{"name", "grams": [{"phrase", "category", "source"?, "note"?}]}` or a bare list of
 * phrases. Entries without a source become 'imported'; bare strings get category 'other'.
 * Throws SgSetParseError naming every bad entry.
 */
export function parseSgSetJson(text: string, fileName?: string): SgSet {
  const where = fileName ? ` in ${fileName}` : ''
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    throw new SgSetParseError(`not valid JSON${where}: ${(e as Error).message}`)
  }
  const defaultName = fileName ? fileName.replace(/^.*[\\/]/, '').replace(/\.json$/i, '') : 'imported'
  let name = defaultName
  let list: unknown
  if (Array.isArray(data)) list = data
  else if (data !== null && typeof data === 'object') {
    const obj = data as Record<string, unknown>
    if (obj.name !== undefined) {
      if (typeof obj.name !== 'string') throw new SgSetParseError(`"name" must be a string${where}`)
      name = obj.name
    }
    list = obj.grams
    if (!Array.isArray(list)) throw new SgSetParseError(`expected a "grams" array${where}`)
  } else throw new SgSetParseError(`expected an object with "grams" or a list of phrases${where}`)

  const grams: StrategicGram[] = []
  const errors: GramError[] = []
  ;(list as unknown[]).forEach((entry, index) => {
    if (typeof entry === 'string') {
      grams.push({ phrase: entry, category: 'other', source: 'imported' })
      return
    }
    if (entry === null || typeof entry !== 'object') {
      errors.push({ index, phrase: JSON.stringify(entry) ?? String(entry), message: 'entry must be a string or an object with "phrase"' })
      return
    }
    const e = entry as Record<string, unknown>
    if (typeof e.phrase !== 'string') {
      errors.push({ index, phrase: JSON.stringify(entry), message: 'missing string "phrase"' })
      return
    }
    const category = (e.category ?? 'other') as SgCategory
    const source = (e.source ?? 'imported') as SgSource
    const g: StrategicGram = { phrase: e.phrase, category, source }
    if (e.note !== undefined) {
      if (typeof e.note !== 'string') {
        errors.push({ index, phrase: e.phrase, message: '"note" must be a string' })
        return
      }
      g.note = e.note
    }
    grams.push(g)
  })
  if (errors.length === 0) {
    const v = validateGrams(grams)
    errors.push(...v.errors)
  }
  if (errors.length > 0) {
    const lines = errors.map((er) => `  entry ${er.index} "${er.phrase}": ${er.message}`)
    throw new SgSetParseError(`bad Strategic Gram set${where}:\n${lines.join('\n')}`, errors)
  }
  return { name, grams }
}

export function serializeSgSet(set: SgSet): string {
  const grams = set.grams.map((g) => {
    const o: Record<string, string> = { phrase: g.phrase, category: g.category, source: g.source }
    if (g.note !== undefined) o.note = g.note
    return o
  })
  return JSON.stringify({ name: set.name, grams }, null, 2) + '\n'
}
