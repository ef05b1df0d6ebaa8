import type { Handlers } from './types'
import { appHandlers } from './app'
import { runsHandlers } from './runs'
import { metricsHandlers } from './metrics'
import { jobsHandlers } from './jobs'
import { importHandlers } from './import'
import { rolloutsHandlers } from './rollouts'
import { errorsHandlers } from './errors'
import { sgHandlers } from './sg'
import { trainHandlers } from './train'
import { experimentsHandlers } from './experiments'

/** The back end: one handler per contract channel, shared by IPC, HTTP and the CLI. */
export const handlers: Handlers = {
  ...appHandlers,
  ...runsHandlers,
  ...metricsHandlers,
  ...jobsHandlers,
  ...trainHandlers,
  ...importHandlers,
  ...rolloutsHandlers,
  ...errorsHandlers,
  ...sgHandlers,
  ...experimentsHandlers
}
