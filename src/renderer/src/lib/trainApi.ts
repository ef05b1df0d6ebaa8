import { isChannel, type Channel } from '../../../shared/contract'
import type { TrainConfig } from '../../../engine/config'
import { api } from '../api/client'

export type TrainControl = 'pause' | 'resume' | 'stop'

// The train/* channels belong to the engine's area of the contract. The form is checked against
// the contract at run time so that a build without them says so instead of failing on submit.
const available = isChannel('train/start')

// Until the engine's channels are part of the contract the names are not of type Channel; the cast
// is confined here and the request shapes follow the engine's handlers.
const call = (channel: string, req: unknown) => api.invoke(channel as Channel, req as never)

export const trainApi = {
  available,
  why: available ? '' : 'This build has no training API (the train/* channels are missing from the contract).',
  start: (name: string, config: TrainConfig) => call('train/start', { name, config }) as Promise<{ runId: number }>,
  control: (action: TrainControl, runId: number) => call(`train/${action}`, { runId })
}
