import { afterAll, beforeAll, expect } from 'vitest'
import { join } from 'node:path'
import { createBackend, type Backend } from '../../src/main/backend'
import type { ApiErrorShape } from '../../src/shared/errors'
import { tempDir } from './tmp'

export interface TestBackend {
  /** The in-process back end of this test file (created in beforeAll, closed in afterAll). */
  readonly backend: Backend
  /** The temporary folder that holds its database; removed after the file's tests. */
  readonly dir: string
  /** Calls a channel and returns its value; a typed error fails the test with its message. */
  ok<T>(channel: string, req: unknown): Promise<T>
  /** Calls a channel that must fail and returns its typed error. */
  fails(channel: string, req: unknown): Promise<ApiErrorShape>
}

/** A fresh workspace database and back end for one test file, as the CLI transport opens it. */
export function testBackend(dbFile: string, prefix?: string): TestBackend {
  const tmp = tempDir(prefix)
  let backend: Backend | null = null
  beforeAll(() => {
    backend = createBackend(join(tmp.dir, dbFile), { transport: 'cli' })
  })
  afterAll(() => {
    backend?.close()
    tmp.cleanup()
  })
  const self: TestBackend = {
    get backend() {
      if (!backend) throw new Error('testBackend: used outside a test')
      return backend
    },
    dir: tmp.dir,
    async ok<T>(channel: string, req: unknown): Promise<T> {
      const r = await self.backend.invoke(channel, req)
      if (!r.ok) throw new Error(`${channel} failed: ${r.error.message}`)
      return r.value as T
    },
    async fails(channel: string, req: unknown): Promise<ApiErrorShape> {
      const r = await self.backend.invoke(channel, req)
      expect(r.ok, JSON.stringify(r)).toBe(false)
      if (r.ok) throw new Error(`${channel} succeeded`)
      return r.error
    }
  }
  return self
}
