import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

// A fake back end for the Errors store: three failures, manual labels in a map. A queue page is
// answered from the labels as they stand when the test lets it go (`when: 'release'`, as a server
// that handles the request after a later label) or when it was asked (`when: 'ask'`).
const server = {
  manual: new Map<number, string>(),
  when: 'release' as 'release' | 'ask',
  held: [] as (() => void)[],
  hold: false
}
const ids = [1, 2, 3]
const labelsOf = (id: number) => (server.manual.has(id) ? [{ source: 'manual', errorType: server.manual.get(id)!, note: null, createdAt: 0 }] : [])
const page = () => {
  const items = ids.filter((id) => !server.manual.has(id)).map((id) => ({ id, runId: 1, step: 0, promptId: null, prompt: null, response: `r${id}`, answer: null, gold: null, score: 0, planningSpans: [], labels: labelsOf(id), suggestion: null }))
  return { items, total: items.length }
}

vi.mock('../../../src/renderer/src/api/client', () => ({
  onEvent: () => () => {},
  invoke: async (channel: string, req: Record<string, unknown>) => {
    switch (channel) {
      case 'errors/taxonomy': return { types: [{ id: 'calc', meaning: '' }], groups: [] }
      case 'errors/counts': return { unlabelled: [ids.length - server.manual.size] }
      case 'errors/label': {
        const id = req.rolloutId as number
        if (req.errorType === null) server.manual.delete(id)
        else server.manual.set(id, req.errorType as string)
        return { rolloutId: id, labels: labelsOf(id) }
      }
      case 'errors/queue': {
        if (!server.hold) return page()
        const asked = page()
        return new Promise((resolve) => server.held.push(() => resolve(server.when === 'ask' ? asked : page())))
      }
      default: throw new Error(`unexpected ${channel}`)
    }
  }
}))

const { useErrorsStore } = await import('../../../src/renderer/src/stores/errors')
const flush = () => new Promise((r) => setTimeout(r, 0))

describe('the Errors store: a queue page on its way while a label is written', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    server.manual.clear()
    server.held = []
    server.hold = false
  })

  for (const when of ['release', 'ask'] as const) {
    it(`keeps the count and the undo right (page read ${when === 'ask' ? 'before' : 'after'} the label)`, async () => {
      const errors = useErrorsStore()
      await errors.open(1)
      expect(errors.queueTotal).toBe(3)
      server.hold = true
      server.when = when
      const loading = errors.loadQueue() // as after "Pre-label with rules" ends
      await flush()
      await errors.label(errors.queue[0]!, 'calc')
      expect(errors.queueTotal).toBe(2)
      server.hold = false
      server.held.shift()!()
      await loading
      // The page asked for before the label does not put its count or its item back.
      expect(errors.queueTotal).toBe(2)
      expect(errors.queue.map((q) => q.id)).toEqual([2, 3])
      // The labelled item has left the loaded page; undo still clears its label and brings it back.
      await errors.undo()
      expect(server.manual.size).toBe(0)
      expect(errors.queueTotal).toBe(3)
      expect(errors.queue[errors.cursor]!.id).toBe(1)
      expect(errors.undoStack).toEqual([])
    })
  }
})
