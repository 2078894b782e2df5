// `samsa broker` as a child process (bin/samsa.js), for tests that kill it with -9 and start it
// again on the same data dir and port. Ready when it prints `samsa listening on HOST:PORT`. The
// child never outlives the test process: an 'exit' hook kills whatever is still running.

import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SAMSA_BIN = fileURLToPath(new URL('../../bin/samsa.js', import.meta.url))
/** Start-up on a loaded 2-core machine (recovery of a small log included). */
export const SAMSA_START_TIMEOUT_MS = 60_000
/** Kept from the broker's stderr for error messages. */
const KEPT_STDERR_BYTES = 16 * 1024

const live = new Set<ChildProcess>()
let hookInstalled = false

export interface SamsaProcess {
  host: string
  port: number
  bootstrap: string
  pid: number
  /** the last lines the broker logged (stderr) */
  stderr: () => string
  /** SIGTERM (clean shutdown) or SIGKILL, resolving once it exited */
  stop: (signal?: 'SIGTERM' | 'SIGKILL') => Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export async function startSamsaProcess ({ dataDir, port = 0, overrides = [] }: { dataDir: string, port?: number, overrides?: readonly string[] }): Promise<SamsaProcess> {
  if (!hookInstalled) {
    hookInstalled = true
    process.on('exit', () => { for (const child of live) child.kill('SIGKILL') })
  }
  const child = spawn(process.execPath, [
    SAMSA_BIN, 'broker', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn',
    ...overrides.flatMap(o => ['--override', o]),
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-KEPT_STDERR_BYTES) })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve({ code, signal })
    })
  })
  const listening = await new Promise<{ host: string, port: number }>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`samsa broker printed no 'samsa listening on' within ${SAMSA_START_TIMEOUT_MS} ms; stderr:\n${stderr}`))
    }, SAMSA_START_TIMEOUT_MS)
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
      const m = /samsa listening on (\S+):(\d+)/.exec(stdout)
      if (m !== null && m[1] !== undefined && m[2] !== undefined) {
        clearTimeout(timer)
        resolve({ host: m[1], port: Number(m[2]) })
      }
    })
    child.once('error', (error) => { clearTimeout(timer); reject(error) })
    void exited.then(({ code, signal }) => {
      clearTimeout(timer)
      reject(new Error(`samsa broker exited during start-up (code ${code}, signal ${signal}); stderr:\n${stderr}`))
    })
  })
  child.stdout.resume()
  return {
    ...listening,
    bootstrap: `${listening.host}:${listening.port}`,
    pid: child.pid ?? -1,
    stderr: () => stderr,
    async stop (signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
