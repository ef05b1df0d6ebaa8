// The parts of `npm start` (scripts/start.mjs) that are tested on their own.

/**
 * Runs the app's process as our child and lives as long as it does: a SIGINT or SIGTERM sent to
 * `npm start` (by PID, not only Ctrl-C to the whole group) is passed on, and we exit with the
 * child's status (128 + signal number when a signal ended it).
 */
export function superviseChild(child, proc = process) {
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  proc.on('SIGINT', forward)
  proc.on('SIGTERM', forward)
  child.on('exit', (code, signal) => {
    proc.off('SIGINT', forward)
    proc.off('SIGTERM', forward)
    const numbers = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9, SIGHUP: 1 }
    proc.exit(code ?? (signal ? 128 + (numbers[signal] ?? 1) : 0))
  })
}

/** One line out of an installer's failure output: the error's message, never its stack. */
export function installFailure(output) {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^at\s/.test(l))
  const offline = lines.find((l) => /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH/.test(l))
  if (offline) return `no network (${/getaddrinfo \S+ \S+|E[A-Z_]+/.exec(offline)?.[0] ?? offline})`
  const err = lines.find((l) => /error/i.test(l))
  return err ?? lines[lines.length - 1] ?? 'the installer exited with an error'
}
