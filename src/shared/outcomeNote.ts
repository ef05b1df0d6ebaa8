/**
 * What an import or analysis says about rollouts that carry no outcome (no correct flag, no
 * score; sampling at several temperatures, say): SPEC §4's accuracy and pass@k count only rollouts
 * with one, so these are left out of both rather than counted as failures.
 */
export function outcomeNote(noOutcome: number, rollouts: number): string | null {
  if (!noOutcome) return null
  const all = noOutcome === rollouts
  return `${noOutcome.toLocaleString('en-US')} rollout${noOutcome === 1 ? '' : 's'} without an outcome (no correct or score)` +
    (all ? ': no accuracy or pass@k for ' + (rollouts === 1 ? 'it' : 'them') : ': left out of accuracy and pass@k, not counted as failures')
}
