import { parentPort } from 'node:worker_threads'
import { TrainControl } from './control'
import type { WorkerCommand, WorkerEvent } from './protocol'
import { runTraining } from './trainer'

// Entry point of a training worker: a worker_threads Worker (Node, CLI, tests), an Electron
// utilityProcess (process.parentPort) or a forked child process (process.send) — the same message
// protocol (protocol.ts) over whichever channel exists. One run per worker.

interface Port {
  post(e: WorkerEvent): void
  listen(f: (c: WorkerCommand) => void): void
}

function findPort(): Port {
  if (parentPort) {
    const p = parentPort
    return { post: (e) => p.postMessage(e), listen: (f) => p.on('message', f) }
  }
  // Electron's utilityProcess exposes process.parentPort; messages arrive as { data }.
  const electronPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(ev: 'message', f: (e: { data: unknown }) => void): void } }).parentPort
  if (electronPort) {
    return { post: (e) => electronPort.postMessage(e), listen: (f) => electronPort.on('message', (e) => f(e.data as WorkerCommand)) }
  }
  if (process.send) {
    const send = process.send.bind(process)
    return { post: (e) => send(e), listen: (f) => process.on('message', (m) => f(m as WorkerCommand)) }
  }
  throw new Error('the training worker has no parent to talk to')
}

const port = findPort()
const control = new TrainControl()
let started = false

port.listen((cmd) => {
  switch (cmd.type) {
    case 'start':
      if (started) return
      started = true
      void runTraining(cmd.config, {
        onStart: (info) => port.post({ type: 'start', info }),
        onWarmup: (progress) => port.post({ type: 'warmup', progress }),
        onStep: (event) => port.post({ type: 'step', event }),
        onCheckpoint: (event) => port.post({ type: 'checkpoint', event }),
        onEnd: (event) => port.post({ type: 'end', event }),
        onError: (event) => port.post({ type: 'error', event })
      }, { runId: cmd.runId, workspace: cmd.workspace, control, resume: cmd.resume }).finally(() => {
        // Let the last messages drain, then leave: the worker's only job is done.
        setTimeout(() => process.exit(0), 50)
      })
      return
    case 'stop':
      control.stop()
      return
    case 'pause':
      control.pause()
      port.post({ type: 'paused', paused: true })
      return
    case 'resume':
      control.resume()
      port.post({ type: 'paused', paused: false })
      return
  }
})
