// Runs a client's process to completion with its stdin given, collecting stdout and stderr as
// bytes (kcat and the console consumer print binary values), under a deadline and an output cap.

import { spawn } from 'node:child_process'

/** Output kept per process; a driver printing more fails rather than grow the test process. */
export const MAX_PROCESS_OUTPUT_BYTES = 256 * 1024 * 1024

export interface ProcessResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
}

export interface ProcessOptions {
  input?: string | Buffer
  timeoutMs: number
  env?: NodeJS.ProcessEnv
  cwd?: string
}

/** Resolves whatever the exit code; rejects when the process outlives timeoutMs (it is killed) or cannot start. */
export function runProcess (file: string, args: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: options.cwd })
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let bytes = 0
    let failure: Error | undefined
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > MAX_PROCESS_OUTPUT_BYTES) {
        failure ??= new Error(`${file} wrote more than ${MAX_PROCESS_OUTPUT_BYTES} bytes; killed`)
        child.kill('SIGKILL')
        return
      }
      into.push(chunk)
    }
    child.stdout.on('data', collect(stdout))
    child.stderr.on('data', collect(stderr))
    const timer = setTimeout(() => {
      failure ??= new Error(`${file} ${args.join(' ')} still running after ${options.timeoutMs} ms; killed`)
      child.kill('SIGKILL')
    }, options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const err = Buffer.concat(stderr).toString('utf8')
      if (failure !== undefined) {
        failure.message += `\n--- stderr\n${err.slice(-4000)}`
        reject(failure)
      } else {
        resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: err })
      }
    })
    child.stdin.on('error', () => {}) // a process that exits without reading its input: its exit code tells
    child.stdin.end(options.input ?? '')
  })
}
