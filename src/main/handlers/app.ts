import type { HandlersOf } from './types'

export const appHandlers: HandlersOf<'app/info'> = {
  'app/info': async (_req, ctx) => {
    const probe = await ctx.backend()
    return {
      name: 'HICRA Workbench',
      version: ctx.version,
      backend: probe.name,
      backendDetail: { adapter: probe.adapter, skipped: probe.skipped, note: probe.note },
      dbPath: ctx.store.path,
      schemaVersion: ctx.store.schemaVersion,
      transport: ctx.transport === 'ipc' ? 'ipc' : 'http',
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`
    }
  }
}
