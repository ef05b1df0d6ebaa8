import { channel } from './define'
import { Empty } from './common'

export interface AppInfo {
  name: string
  version: string
  /** tfjs backend the trainer uses or would use (`tensorflow-gpu`, `tensorflow`, `wasm`, `cpu`). */
  backend: string
  dbPath: string
  schemaVersion: number
  transport: 'ipc' | 'http'
  node: string
  platform: string
}

export const appChannels = {
  'app/info': channel<AppInfo>()(Empty)
}
