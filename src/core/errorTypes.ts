// SPEC §5: error types of failed responses, grouped as in the paper's Figure 3.

export type ErrorTypeId = 'planning' | 'calculation' | 'knowledge' | 'format'
export type ErrorGroup = 'Planning & Strategy' | 'Others'
export type LabelSource = 'truth' | 'manual' | 'rule' | 'judge'

export const LABEL_SOURCES: readonly LabelSource[] = ['truth', 'manual', 'rule', 'judge']

export interface ErrorType {
  /** Built-in ids are ErrorTypeId; a project may add its own. */
  id: string
  group: string
  meaning: string
}

export interface ErrorTaxonomy {
  types: ErrorType[]
}

export const DEFAULT_ERROR_TAXONOMY: ErrorTaxonomy = {
  types: [
    { id: 'planning', group: 'Planning & Strategy', meaning: 'wrong approach, flawed logic, wrong high-level plan' },
    { id: 'calculation', group: 'Others', meaning: 'arithmetic or algebra slip in an otherwise sound plan' },
    { id: 'knowledge', group: 'Others', meaning: 'wrong fact, formula or definition' },
    { id: 'format', group: 'Others', meaning: 'no final answer, truncated, unparsable' }
  ]
}

/** One failed response's label; it keeps where it came from. */
export interface ErrorLabel {
  errorType: string
  source: LabelSource
  /** judge model, rule name or annotator, free form */
  detail?: string
}

export function validateTaxonomy(tax: ErrorTaxonomy): string[] {
  const errors: string[] = []
  const seen = new Set<string>()
  tax.types.forEach((t, i) => {
    if (!t.id || !/^[a-z][a-z0-9_-]*$/.test(t.id)) errors.push(`type ${i}: id "${t.id}" must be lower-case letters, digits, _ or -`)
    if (seen.has(t.id)) errors.push(`type ${i}: duplicate id "${t.id}"`)
    seen.add(t.id)
    if (!t.group) errors.push(`type ${i} ("${t.id}"): group is empty`)
  })
  if (tax.types.length === 0) errors.push('a taxonomy needs at least one error type')
  return errors
}

export function makeErrorLabel(tax: ErrorTaxonomy, errorType: string, source: LabelSource, detail?: string): ErrorLabel {
  if (!tax.types.some((t) => t.id === errorType)) {
    throw new RangeError(`unknown error type "${errorType}" (known: ${tax.types.map((t) => t.id).join(', ')})`)
  }
  if (!LABEL_SOURCES.includes(source)) throw new RangeError(`unknown label source "${source}" (known: ${LABEL_SOURCES.join(', ')})`)
  return detail === undefined ? { errorType, source } : { errorType, source, detail }
}

export function errorGroupOf(tax: ErrorTaxonomy, errorType: string): string | undefined {
  return tax.types.find((t) => t.id === errorType)?.group
}

/** Counts per error type and per group, e.g. for Figure 3's bars. */
export function countErrorTypes(tax: ErrorTaxonomy, labels: Iterable<ErrorLabel>): { byType: Record<string, number>; byGroup: Record<string, number>; total: number } {
  const byType: Record<string, number> = {}
  const byGroup: Record<string, number> = {}
  for (const t of tax.types) {
    byType[t.id] = 0
    byGroup[t.group] = 0
  }
  let total = 0
  for (const l of labels) {
    const g = errorGroupOf(tax, l.errorType)
    if (g === undefined) continue
    byType[l.errorType]++
    byGroup[g]++
    total++
  }
  return { byType, byGroup, total }
}
