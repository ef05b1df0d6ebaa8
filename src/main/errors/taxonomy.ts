import { DEFAULT_ERROR_TAXONOMY, validateTaxonomy, type ErrorTaxonomy } from '../../core/errorTypes'
import type { ErrorLabelsRepo } from '../store/errorLabels'

/** The project's taxonomy (settings `errors.taxonomy`), the SPEC §5 default until one is saved. */
export function loadTaxonomy(repo: ErrorLabelsRepo): ErrorTaxonomy {
  const saved = repo.getSetting<ErrorTaxonomy>('taxonomy')
  // A damaged setting must not break the view: fall back to the default the user can re-save.
  if (!saved || !Array.isArray(saved.types) || validateTaxonomy(saved).length > 0) return DEFAULT_ERROR_TAXONOMY
  return saved
}
