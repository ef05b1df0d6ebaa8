import { invoke } from './client'
import { BATCH_LIMITS, createSeriesBatcher } from '../lib/seriesBatch'

/**
 * Every panel's series queries, coalesced per turn of the event loop into `metrics/batch` calls of
 * up to 8 series (one panel of eight runs, several panels of fewer): one call for a metric added to
 * Compare, and on opening a view each panel draws while the server computes the next ones (the
 * server answers calls one after another, so the page's drawing overlaps all but the last).
 */
export const fetchSeries = createSeriesBatcher((req) => invoke('metrics/batch', req), { ...BATCH_LIMITS, series: 8 })
