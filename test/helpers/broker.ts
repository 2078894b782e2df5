// Starts an in-process samsa broker on a free loopback port in a temp dir, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { startBroker, type Broker } from '../../src/index.ts'
import { createLogger, type Logger } from '../../src/Logger.ts'

export interface TestBroker { broker: Broker, dir: string, bootstrap: string }

/** A logger for tests: silent unless SAMSA_TEST_LOG=debug|info|warn. */
export function testLogger (): Logger {
  const level = process.env.SAMSA_TEST_LOG
  return createLogger({ level: level === 'debug' || level === 'info' || level === 'warn' ? level : 'silent' })
}

export async function startTestBroker (t: TestContext | { after: (fn: () => Promise<void>) => void }, config: Record<string, unknown> = {}): Promise<TestBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-test-'))
  const broker = await startBroker({
    config: { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'group.initial.rebalance.delay.ms': 0, ...config },
    logger: testLogger(),
  })
  t.after(async () => {
    await broker.close()
    await rm(dir, { recursive: true, force: true })
  })
  return { broker, dir, bootstrap: `127.0.0.1:${broker.port}` }
}
