import type { RunStatus } from '../../../shared/api/common'

/** Seconds left as `42 s`, `3 min 5 s` or `1.5 h`; a dash when unknown. */
export function formatEta(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '–'
  if (s < 60) return `${Math.round(s)} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
  return `${(s / 3600).toFixed(1)} h`
}

/**
 * An ETA only means something while a run moves: none once it is paused, stopped or ended, whatever
 * its job last reported.
 */
export function etaFor(status: RunStatus | string | null, eta: number | null): number | null {
  return status === 'running' || status === 'importing' ? eta : null
}
