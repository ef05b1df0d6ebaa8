import { openStore, type Store } from './store'
import { EventBus } from './events'
import { JobHost } from './jobs'
import { probeBackend } from './backendProbe'
import { packageVersion } from './version'
import { dispatch } from './dispatch'
import { WorkspaceWatcher, type WatcherOptions } from './watch'
import type { BackendContext } from './context'
import type { OpenOptions } from './store/open'
import type { ApiResult } from '../shared/errors'
import { plainCodec, SettingsSecretStore, type SecretCodec } from './secrets'

export interface Backend {
  ctx: BackendContext
  invoke(channel: string, raw: unknown): Promise<ApiResult<unknown>>
  close(): void
}

export interface BackendOptions extends OpenOptions {
  transport: BackendContext['transport']
  forcedBackend?: string
  /** How secrets are stored (the desktop app: safeStorage); in the workspace file as they are otherwise. */
  secretCodec?: SecretCodec | null
  /** Poll intervals of the watcher of other processes' writes (tests shorten them). */
  watch?: WatcherOptions
}

/** Opens the workspace and builds the context every transport shares. */
export function createBackend(dbPath: string, opts: BackendOptions): Backend {
  const store: Store = openStore(dbPath, opts)
  // A run or job left live by a process that died is not live any more (a read-only workspace
  // is shown as it is).
  if (!store.db.readonly) {
    store.runs.markInterrupted()
    store.jobs.markInterrupted()
  }
  const events = new EventBus()
  const ctx: BackendContext = {
    store,
    events,
    jobs: new JobHost(store, events),
    secrets: new SettingsSecretStore(store.db, opts.secretCodec ?? plainCodec(dbPath)),
    transport: opts.transport,
    version: packageVersion(),
    backend: () => probeBackend(opts.forcedBackend)
  }
  // The app and `hicra serve` show what other processes write to the workspace as it happens; a
  // one-shot CLI command does not need to.
  const watcher = opts.transport === 'cli' ? null : new WorkspaceWatcher(store, events, ctx.jobs, opts.watch)
  watcher?.start()
  return {
    ctx,
    invoke: (channel, raw) => dispatch(ctx, channel, raw),
    close: () => {
      watcher?.stop()
      store.close()
    }
  }
}
