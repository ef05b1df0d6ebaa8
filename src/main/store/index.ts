import { openDatabase, type Db, type OpenOptions } from './open'
import { RunsRepo } from './runs'
import { MetricsRepo } from './metrics'
import { JobsRepo } from './jobs'
import { RolloutsRepo } from './rollouts'
import { ErrorLabelsRepo } from './errorLabels'
import { SgSetsRepo } from './sgSets'
import { ExperimentsRepo } from './experiments'

export { StoreError } from './errors'
export { LATEST_SCHEMA_VERSION } from './migrations'
export type { Db } from './open'

/** The workspace database: one connection, the repositories over it. This process is its one writer. */
export class Store {
  readonly runs: RunsRepo
  readonly metrics: MetricsRepo
  readonly jobs: JobsRepo
  readonly rollouts: RolloutsRepo
  readonly errorLabels: ErrorLabelsRepo
  readonly sgSets: SgSetsRepo
  readonly experiments: ExperimentsRepo
  constructor(readonly db: Db, readonly path: string) {
    this.runs = new RunsRepo(db)
    this.metrics = new MetricsRepo(db)
    this.jobs = new JobsRepo(db)
    this.rollouts = new RolloutsRepo(db)
    this.errorLabels = new ErrorLabelsRepo(db)
    this.sgSets = new SgSetsRepo(db)
    this.experiments = new ExperimentsRepo(db)
    // Blocks a DELETE elsewhere (or migration 5) left stale. Stale blocks are read from the rows, so
    // a read-only workspace, or one whose write lock another process holds past the busy timeout,
    // opens anyway and leaves them to the next append or opening.
    if (!db.readonly) {
      try {
        this.metrics.repairAll()
      } catch (err) {
        if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) throw err
      }
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

export function openStore(path: string, opts: OpenOptions = {}): Store {
  return new Store(openDatabase(path, opts), path)
}
