import { invoke } from './client'
import { BATCH_LIMITS, createSeriesBatcher } from '../lib/seriesBatch'

/**
 * Every panel's series queries, coalesced per turn of the event loop into `metrics/batch` calls of
 * up to 24 series (three panels of eight runs): one call for a metric added to Compare, and on
 * opening a view the first panels draw while the server computes the rest.
 */
export const fetchSeries = createSeriesBatcher((req) => invoke('metrics/batch', req), { ...BATCH_LIMITS, series: 24 })
