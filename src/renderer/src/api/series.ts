import { invoke } from './client'
import { createSeriesBatcher } from '../lib/seriesBatch'

/** Every panel's series queries, coalesced per turn of the event loop into one `metrics/batch` call. */
export const fetchSeries = createSeriesBatcher((req) => invoke('metrics/batch', req))
