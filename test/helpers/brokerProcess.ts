// `samsa broker` as a child process, for tests that must kill a real broker: start it, kill -9 it,
// stop it cleanly, and restart it on the same data dir and the same port (so a client that keeps
// reconnecting to one address finds it again).
//
//   const broker = await startBrokerProcess(t, { overrides: { 'log.flush.interval.messages': 1 } })
//   ... broker.host, broker.port ...
//   await broker.kill9()     // SIGKILL, resolves once the process is gone
//   await broker.restart()   // same --data-dir, same port; resolves on the ready line
//
// The first start listens on port 0; the port the broker prints (`samsa listening on HOST:PORT`)
// is reused by every restart. A restart that cannot bind it yet (EADDRINUSE) is retried until a
// deadline. The broker's stderr (its JSON log lines) is kept, bounded, for assertions and for
// failure messages.
//
// No child outlives the test process: an 'exit' hook kills every live broker on a normal exit, and
// a watchdog (`sh` blocked reading a pipe from this process) kills it when this process dies any
// other way, since the pipe then closes. t.after() stops the broker (SIGTERM, then SIGKILL if it
// hangs) and removes the data dir it made.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const SAMSA_BIN = fileURLToPath(new URL('../../bin/samsa.js', import.meta.url))

/** How long a start may take before the child is declared stuck (a hang guard, not a timing assertion). */
export const BROKER_START_TIMEOUT_MS = 60_000
/** How long a SIGTERM'd broker may take to shut down before it is killed and the stop fails. */
export const BROKER_STOP_TIMEOUT_MS = 30_000
/** How long a restart keeps trying to bind the old port while the kernel still holds it. */
export const BROKER_REBIND_DEADLINE_MS = 30_000
/** stderr lines kept per broker process (oldest dropped first). */
export const MAX_LOG_LINES = 20_000
/** A single stderr line longer than this is cut (keeps a runaway line from growing the buffer). */
const MAX_LINE_CHARS = 64 * 1024

export interface BrokerProcessOptions {
  /** Broker configs by Kafka's names, passed as `--override key=value`. */
  overrides?: Readonly<Record<string, string | number | boolean>>
  /** An existing data dir to use (kept afterwards); default: a new temp dir, removed in t.after(). */
  dataDir?: string
  /** --log-level; default 'info' (the recovery and malformed-frame lines are info/warn). */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error'
}

/** One JSON log line the broker wrote to stderr (or { msg: line } when it was not JSON). */
export interface BrokerLogLine {
  level?: number
  msg?: string
  [field: string]: unknown
}

export interface BrokerExit { code: number | null, signal: NodeJS.Signals | null }

// Every broker child this process started and has not seen exit.
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL')
  })
}

/** Kills `pid` when this process dies: `sh` blocks reading a pipe whose write end only we hold. */
function startWatchdog (pid: number): ChildProcess {
  const watchdog = spawn('sh', ['-c', 'read -r _; kill -9 "$1" 2>/dev/null', 'samsa-broker-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true, // its own process group: a Ctrl-C for us must not end it before it did its job
  })
  watchdog.unref()
  ;(watchdog.stdin as Socket | null)?.unref()
  return watchdog
}

export class BrokerProcess {
  readonly dataDir: string
  readonly overrides: Readonly<Record<string, string | number | boolean>>
  readonly logLevel: string
  /** The host of the ready line (what the broker advertises). */
  host = ''
  /** The bound port; fixed after the first start and reused by restarts. */
  port = 0
  /** Starts so far (the first one included). */
  starts = 0
  private child: ChildProcess | null = null
  private exited: Promise<BrokerExit> | null = null
  private lastExit: BrokerExit | null = null
  /** stderr lines of the current (or last) process, bounded. */
  private lines: BrokerLogLine[] = []
  /** stderr lines of every process so far, bounded: what failure messages show. */
  private history: string[] = []
  private expectingExit = false

  constructor (dataDir: string, options: BrokerProcessOptions = {}) {
    this.dataDir = dataDir
    this.overrides = options.overrides ?? {}
    this.logLevel = options.logLevel ?? 'info'
  }

  get bootstrap (): string { return `${this.host}:${this.port}` }
  get pid (): number | undefined { return this.child?.pid }
  /** True while the child process runs. */
  get running (): boolean { return this.child !== null }
  /** How the last process ended (null while it runs, or before the first exit). */
  get exitStatus (): BrokerExit | null { return this.lastExit }

  /** Parsed stderr lines of the current (or last) broker process. */
  logLines (): readonly BrokerLogLine[] { return this.lines }

  /** The last `n` stderr lines over every start, for failure messages. */
  logTail (n = 40): string { return this.history.slice(-n).join('\n') }

  /** Starts the broker (port 0 the first time, the bound port afterwards); resolves on the ready line. */
  async start (): Promise<void> {
    assert.equal(this.child, null, 'broker process already running')
    const deadline = Date.now() + BROKER_REBIND_DEADLINE_MS
    for (;;) {
      const r = await this.spawnOnce()
      if (r === 'ready') return
      if (this.exited !== null) await this.exited // a child killed for hanging or a wrong port is reaped first
      // The only failure worth a retry: the old port is still held (e.g. by a socket of the killed process).
      if (!/cannot listen/.test(r) || this.port === 0 || Date.now() > deadline) {
        throw new Error(`samsa broker did not start: ${r}\n--- broker stderr (tail)\n${this.logTail()}`)
      }
      await new Promise(resolve => setImmediate(resolve))
    }
  }

  /** kill -9; resolves once the process is gone. */
  async kill9 (): Promise<BrokerExit> {
    const child = this.child
    assert.ok(child !== null && this.exited !== null, 'kill9: broker process is not running')
    this.expectingExit = true
    child.kill('SIGKILL')
    return await this.exited
  }

  /** SIGTERM and wait for a clean exit; SIGKILL (and throw) if it does not come within the deadline. */
  async stop (): Promise<BrokerExit> {
    const child = this.child
    if (child === null || this.exited === null) return this.lastExit ?? { code: null, signal: null }
    this.expectingExit = true
    child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), BROKER_STOP_TIMEOUT_MS) })
    const r = await Promise.race([this.exited, timedOut])
    clearTimeout(timer)
    if (r === 'timeout') {
      child.kill('SIGKILL')
      await this.exited
      throw new Error(`samsa broker ignored SIGTERM for ${BROKER_STOP_TIMEOUT_MS} ms; killed\n${this.logTail()}`)
    }
    return r
  }

  /** Starts the broker again on the same data dir and port (it must not be running). */
  async restart (): Promise<void> {
    await this.start()
  }

  /**
   * Fails unless the broker still runs: for tests that expect it to survive what they did
   * (malformed frames), with its stderr in the message.
   */
  assertAlive (): void {
    assert.ok(this.child !== null, `samsa broker exited (${JSON.stringify(this.lastExit)})\n${this.logTail()}`)
  }

  private spawnOnce (): Promise<'ready' | string> {
    const args = [SAMSA_BIN, 'broker', '--port', String(this.port), '--data-dir', this.dataDir, '--log-level', this.logLevel]
    for (const [k, v] of Object.entries(this.overrides)) args.push('--override', `${k}=${String(v)}`)
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.starts++
    this.lines = []
    this.lastExit = null
    this.expectingExit = false
    return new Promise(resolve => {
      let settled = false
      const settle = (r: 'ready' | string): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(r)
      }
      const timer = setTimeout(() => {
        settle(`no ready line within ${BROKER_START_TIMEOUT_MS} ms; killed`)
        child.kill('SIGKILL')
      }, BROKER_START_TIMEOUT_MS)
      child.once('error', err => settle(`could not spawn: ${err.message}`))
      const pid = child.pid
      if (pid === undefined) return // 'error' follows
      installExitHook()
      liveChildren.add(child)
      const watchdog = startWatchdog(pid)
      this.child = child
      this.exited = new Promise<BrokerExit>(resolveExit => {
        child.once('exit', (code, signal) => {
          liveChildren.delete(child)
          watchdog.kill('SIGKILL')
          if (this.child === child) this.child = null
          this.lastExit = { code, signal }
          resolveExit({ code, signal })
        })
      })
      this.exited.catch(() => {})
      let out = ''
      child.stdout?.setEncoding('utf8')
      child.stdout?.on('data', (d: string) => {
        if (settled) return
        out = (out + d).slice(-MAX_LINE_CHARS)
        const m = /^samsa listening on (.+):(\d+)$/m.exec(out)
        if (m === null) return
        const port = Number(m[2])
        if (this.port !== 0 && port !== this.port) {
          settle(`came up on port ${port}, not ${this.port}`)
          child.kill('SIGKILL')
          return
        }
        this.host = m[1] as string
        this.port = port
        settle('ready')
      })
      let partial = ''
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (d: string) => {
        const parts = (partial + d).split('\n')
        partial = (parts.pop() ?? '').slice(0, MAX_LINE_CHARS)
        for (const raw of parts) this.keepLine(raw.slice(0, MAX_LINE_CHARS))
      })
      // Once its output is drained: a start that failed says why (the stderr line naming it, else the exit).
      child.once('close', (code, signal) => {
        if (partial !== '') this.keepLine(partial)
        partial = ''
        const reason = this.lines.map(l => l.msg ?? '').find(m => /cannot listen|invalid config/.test(m))
        settle(reason ?? `exited before it was ready (code ${String(code)}, signal ${String(signal)})`)
      })
    })
  }

  private keepLine (raw: string): void {
    if (raw === '') return
    let line: BrokerLogLine
    try {
      const parsed: unknown = JSON.parse(raw)
      line = typeof parsed === 'object' && parsed !== null ? parsed as BrokerLogLine : { msg: raw }
    } catch {
      line = { msg: raw }
    }
    this.lines.push(line)
    if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES)
    this.history.push(raw)
    if (this.history.length > MAX_LOG_LINES) this.history.splice(0, this.history.length - MAX_LOG_LINES)
  }

  /** Whether the current process was told to exit (kill9/stop) — an exit otherwise is a crash. */
  get exitExpected (): boolean { return this.expectingExit }
}

interface AfterHook { after: (fn: () => Promise<void>) => void }

/**
 * Starts `samsa broker` in a child process on a free port and a fresh temp dir (or options.dataDir);
 * t.after() stops it and removes the temp dir.
 */
export async function startBrokerProcess (t: AfterHook, options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const ownDir = options.dataDir === undefined
  const dir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'samsa-proc-'))
  const broker = new BrokerProcess(dir, options)
  t.after(async () => {
    try {
      if (broker.running) await broker.stop()
    } finally {
      if (ownDir) await rm(dir, { recursive: true, force: true })
    }
  })
  await broker.start()
  return broker
}
