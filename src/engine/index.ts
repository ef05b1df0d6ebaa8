// The training engine. Importing this module loads tfjs; code that only needs the config schema or
// the message types (src/shared, the renderer, the back end's supervisor) imports './config' and
// './protocol' directly, which do not.
export { runTraining, TrainingDivergedError, type RunOptions, type RunResult } from './trainer'
export { TrainControl } from './control'
export { selectBackend, currentBackend, describeBackend, type BackendInfo, type BackendName } from './backend'
export { probeBackend, type BackendProbe } from './backendProbe'
export { parseTrainConfig, TrainConfigSchema, ConfigError, TASKS, ALGOS, BACKENDS } from './config'
export type { TrainConfig, TrainConfigInput, TaskName, AlgoName, BackendChoice } from './config'
export type * from './protocol'
export { startTrainingWorker, workerEntry, type TrainingWorker } from './workerHost'
export { createTask } from './tasks'
