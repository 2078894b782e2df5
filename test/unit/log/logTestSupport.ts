// Shared set-up for the log tests: a temp partition directory removed after the test, a Log on
// it, and a logger that records what it was told.

import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Logger } from '../../../src/Logger.ts'
import { Log, type LogOptions } from '../../../src/log/Log.ts'
import { logConfig, type LogConfig } from '../../../src/log/LogConfig.ts'

export interface TestContext { after: (fn: () => Promise<void> | void) => void }

const cleanups = new WeakMap<TestContext, Array<() => Promise<unknown> | unknown>>()

/** A temp dir removed after the test, once everything passed to `closeLater` has been closed. */
export async function tempDir (t: TestContext, prefix = 'samsa-log-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  let list = cleanups.get(t)
  if (list === undefined) {
    const fns: Array<() => Promise<unknown> | unknown> = []
    cleanups.set(t, fns)
    list = fns
    t.after(async () => {
      for (const fn of fns.splice(0).reverse()) await fn()
    })
  }
  list.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Closes `x` after the test, before its temp dirs are removed. */
export function closeLater (t: TestContext, x: { close: () => Promise<unknown> }): void {
  const list = cleanups.get(t)
  if (list === undefined) throw new Error('closeLater before tempDir')
  list.push(() => x.close())
}

export interface LoggedLine { level: string, obj: object, msg: string | undefined }

export function recordingLogger (lines: LoggedLine[] = []): Logger & { lines: LoggedLine[] } {
  const make = (level: string, bindings: object): Logger => {
    const fn = (level2: string) => ((a: object | string, b?: string) => {
      lines.push({ level: level2, obj: typeof a === 'string' ? { ...bindings } : { ...bindings, ...a }, msg: typeof a === 'string' ? a : b })
    }) as Logger['info']
    return {
      trace: fn('trace'), debug: fn('debug'), info: fn('info'), warn: fn('warn'), error: fn('error'), fatal: fn('fatal'),
      child: (more: object) => make(level, { ...bindings, ...more }),
    }
  }
  return Object.assign(make('info', {}), { lines })
}

export async function openLog (dir: string, config: Partial<LogConfig> = {}, extra: Partial<LogOptions> = {}): Promise<Log> {
  const partDir = join(dir, 'orders-0')
  await mkdir(partDir, { recursive: true })
  return Log.open({ dir: partDir, topic: 'orders', partition: 0, config: logConfig(config), ...extra })
}

/** Polls `cond` until true or the deadline passes; fails with `what` never happened. */
export async function eventually (what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
}
