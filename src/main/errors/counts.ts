import type { ErrorTaxonomy } from '../../core/errorTypes'
import type { ErrorCounts, LabelFilter } from '../../shared/api/errors'

/**
 * Turns per-(step, type) failure counts into the Figure 3 series: one count array per error type,
 * the group sums, and failures without a label. Steps without failures are left out.
 */
export function buildCounts(runId: number, source: LabelFilter, tax: ErrorTaxonomy,
  rows: readonly { step: number; type: string | null; n: number }[]): ErrorCounts {
  const steps = [...new Set(rows.map((r) => r.step))].sort((a, b) => a - b)
  const at = new Map(steps.map((s, i) => [s, i]))
  const types = tax.types.map((t) => t.id)
  for (const r of rows) if (r.type !== null && !types.includes(r.type)) types.push(r.type)
  const zeros = () => new Array<number>(steps.length).fill(0)
  const series: Record<string, number[]> = Object.fromEntries(types.map((t) => [t, zeros()]))
  const failures = zeros()
  const unlabelled = zeros()
  const byType: Record<string, number> = Object.fromEntries(types.map((t) => [t, 0]))
  let total = 0
  let labelled = 0
  for (const r of rows) {
    const i = at.get(r.step)!
    failures[i]! += r.n
    total += r.n
    if (r.type === null) unlabelled[i]! += r.n
    else {
      series[r.type]![i]! += r.n
      byType[r.type]! += r.n
      labelled += r.n
    }
  }
  const groupNames = [...new Set(tax.types.map((t) => t.group))]
  const groups = groupNames.map((name) => {
    const members = tax.types.filter((t) => t.group === name).map((t) => t.id)
    const counts = zeros()
    for (const id of members) series[id]!.forEach((n, i) => (counts[i]! += n))
    return { name, types: members, counts }
  })
  return { runId, source, steps, failures, unlabelled, types, series, groups, totals: { failures: total, labelled, byType } }
}
