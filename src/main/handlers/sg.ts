import { ApiError } from '../../shared/errors'
import { parseSgSetJson, serializeSgSet, SgSetParseError } from '../../core/strategicGrams'
import type { HandlersOf } from './types'
import type { BackendContext } from '../context'
import { builtinDefaultSet } from '../sg/resolve'
import { evaluateDirs } from '../sg/eval'
import { miningResult, startMining } from '../sg/mine'
import { coverage } from '../sg/coverage'
import { jsonTextDeeperThan, MAX_REQUEST_DEPTH } from '../depth'

type SgChannel = 'sg/list' | 'sg/default' | 'sg/get' | 'sg/create' | 'sg/duplicate' | 'sg/rename' | 'sg/delete' | 'sg/save' |
  'sg/versions' | 'sg/diff' | 'sg/revert' | 'sg/import' | 'sg/export' | 'sg/mine' | 'sg/candidates' | 'sg/reject' |
  'sg/rejected' | 'sg/eval' | 'sg/coverage'

function setId(ctx: BackendContext, req: { id?: number; name?: string }): number {
  if (req.id !== undefined) return req.id
  if (req.name !== undefined) {
    const s = ctx.store.sgSets.byName(req.name)
    if (!s) throw new ApiError('not_found', `no Strategic Gram set named '${req.name}'`, 'name')
    return s.id
  }
  throw new ApiError('invalid_argument', 'give the set id or its name', 'id')
}

export const sgHandlers: HandlersOf<SgChannel> = {
  'sg/list': (_req, ctx) => ctx.store.sgSets.list(),
  'sg/default': () => builtinDefaultSet(),
  'sg/get': (req, ctx) => ctx.store.sgSets.get(setId(ctx, req), req.version),
  'sg/create': (req, ctx) => ctx.store.sgSets.create(req.name, req.grams, { note: req.note, message: req.message }),
  'sg/duplicate': (req, ctx) => ctx.store.sgSets.duplicate(req.id, req.name, req.version),
  'sg/rename': (req, ctx) => ctx.store.sgSets.rename(req.id, req.name),
  'sg/delete': (req, ctx) => {
    ctx.store.sgSets.delete(req.id)
    return { deleted: true }
  },
  'sg/save': (req, ctx) => ctx.store.sgSets.save(req.id, req.grams, req.message, req.baseVersion),
  'sg/versions': (req, ctx) => ctx.store.sgSets.versions(req.id),
  'sg/diff': (req, ctx) => ctx.store.sgSets.diff(req.id, req.from, req.to),
  'sg/revert': (req, ctx) => ctx.store.sgSets.revert(req.id, req.version, req.message),
  'sg/import': (req, ctx) => {
    if (jsonTextDeeperThan(req.json, MAX_REQUEST_DEPTH)) throw new ApiError('invalid_argument', `sg/import: the JSON nests deeper than ${MAX_REQUEST_DEPTH} levels`, 'json')
    let parsed
    try {
      parsed = parseSgSetJson(req.json, req.fileName)
    } catch (e) {
      if (e instanceof SgSetParseError) throw new ApiError('invalid_argument', e.message, 'json')
      throw e
    }
    const name = req.name ?? parsed.name
    const existing = ctx.store.sgSets.byName(name)
    const from = req.fileName ? ` from ${req.fileName}` : ''
    if (existing) {
      if (!req.replace) {
        throw new ApiError('conflict', `a Strategic Gram set named '${name}' already exists; import it under another name or replace it`, 'name')
      }
      return ctx.store.sgSets.save(existing.id, parsed.grams, `imported${from}`)
    }
    return ctx.store.sgSets.create(name, parsed.grams, { message: `imported${from}` })
  },
  'sg/export': (req, ctx) => {
    const set = ctx.store.sgSets.get(req.id, req.version)
    return { name: set.name, version: set.version, json: serializeSgSet({ name: set.name, grams: set.grams }) }
  },
  'sg/mine': (req, ctx) => startMining(ctx, req),
  'sg/candidates': (req, ctx) => miningResult(ctx, req.jobId),
  'sg/reject': (req, ctx) => ({ rejected: req.undo ? ctx.store.sgSets.unreject(req.phrases) : ctx.store.sgSets.reject(req.phrases) }),
  'sg/rejected': (_req, ctx) => ctx.store.sgSets.rejected(),
  'sg/eval': (req, ctx) => {
    if (req.grams !== undefined) {
      if (req.id !== undefined) throw new ApiError('invalid_argument', 'give either a set id or grams, not both', 'grams')
      return evaluateDirs('(unsaved grams)', req.grams, req.dirs)
    }
    if (req.id === undefined) throw new ApiError('invalid_argument', 'give a set id or a list of grams to evaluate', 'id')
    const set = ctx.store.sgSets.get(req.id, req.version)
    return evaluateDirs(`${set.name} v${set.version}`, set.grams.map((g) => g.phrase), req.dirs)
  },
  'sg/coverage': (req, ctx) => coverage(ctx, req)
}
