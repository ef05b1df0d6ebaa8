import type { Store } from './store'
import type { EventBus } from './events'
import type { JobHost } from './jobs'
import type { BackendProbe } from '../engine/backendProbe'
import type { SecretStore } from './secrets'

/** What every handler gets: the workspace store, the event bus, and facts about this process. */
export interface BackendContext {
  store: Store
  events: EventBus
  jobs: JobHost
  /** Where secrets (the judge's API key) are kept: the OS keychain in the desktop app, the workspace file otherwise. */
  secrets: SecretStore
  transport: 'ipc' | 'http' | 'cli'
  version: string
  /** The tfjs backend training would use here, its WebGPU adapter, and why better ones are skipped. */
  backend(): Promise<BackendProbe>
}
