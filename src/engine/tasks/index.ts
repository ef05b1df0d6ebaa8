import type { TaskName } from '../config'
import { CountdownTask } from './countdown'
import { RouteTask } from './route'
import { StrategyTask } from './strategy'
import type { Task } from './types'

export type { Problem, SgSet, Task, TeacherRates, TrueErrorType, Verdict } from './types'

export function createTask(name: TaskName): Task {
  switch (name) {
    case 'route':
      return new RouteTask()
    case 'countdown':
      return new CountdownTask()
    case 'strategy':
      return new StrategyTask()
  }
}
