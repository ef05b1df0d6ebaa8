import { openStore, type Store } from './store'
import { EventBus } from './events'
import { JobHost } from './jobs'
import { probeBackend } from './backendProbe'
import { packageVersion } from './version'
import { dispatch } from './dispatch'
import type { BackendContext } from './context'
import type { OpenOptions } from './store/open'
import type { ApiResult } from '../shared/errors'

export interface Backend {
  ctx: BackendContext
  invoke(channel: string, raw: unknown): Promise<ApiResult<unknown>>
  close(): void
}

export interface BackendOptions extends OpenOptions {
  transport: BackendContext['transport']
  forcedBackend?: string
}

/** Opens the workspace and builds the context every transport shares. */
export function createBackend(dbPath: string, opts: BackendOptions): Backend {
  const store: Store = openStore(dbPath, opts)
  // A run or job left live by a process that died is not live any more.
  store.runs.markInterrupted()
  store.jobs.markInterrupted()
  const events = new EventBus()
  const ctx: BackendContext = {
    store,
    events,
    jobs: new JobHost(store, events),
    transport: opts.transport,
    version: packageVersion(),
    backend: () => probeBackend(opts.forcedBackend)
  }
  return {
    ctx,
    invoke: (channel, raw) => dispatch(ctx, channel, raw),
    close: () => store.close()
  }
}
