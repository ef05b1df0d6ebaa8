import type { WarmupProgress } from '../../engine/protocol'

// The job message a run shows while its base policy is made: the warm-up has its own steps, rate
// and ETA (the job's own counter is the RL steps, still at 0), and a base reused from the
// workspace's cache says so, because then no warm-up runs at all.

const duration = (s: number) => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`)

export const CACHED_BASE_MESSAGE = 'base policy reused from the cache (no warm-up)'

export function warmupMessage(p: WarmupProgress): string {
  if (p.cached) return `${CACHED_BASE_MESSAGE}, warm-up loss ${p.loss.toFixed(3)}`
  if (p.step === 0) return `warm-up of the base policy: ${p.steps} steps`
  const parts = [`warm-up ${p.step}/${p.steps}`]
  if (p.rate !== null) parts.push(`${p.rate.toFixed(1)} steps/s`)
  if (p.etaS !== null) parts.push(p.step >= p.steps ? `done in ${duration(p.elapsedS)}` : `ETA ${duration(p.etaS)}`)
  parts.push(`loss ${p.loss.toFixed(3)}`)
  return parts.join(', ')
}
