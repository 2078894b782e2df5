// `samsa broker` as a process: config errors name the key before anything starts; SIGTERM shuts
// down cleanly (exit 0, Kafka's clean-shutdown marker written); a second signal exits at once;
// idle connections are closed after connections.max.idle.ms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startBrokerProcess } from '../../helpers/brokerProcess.ts'

const SAMSA = fileURLToPath(new URL('../../../bin/samsa.js', import.meta.url))
const DEADLINE_MS = 30_000

function run (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SAMSA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += String(d) })
    child.stderr.on('data', d => { stderr += String(d) })
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`samsa ${args.join(' ')} did not exit`)) }, DEADLINE_MS)
    child.on('exit', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

test('an unknown or invalid config stops the broker before it starts, naming the key', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-cfg-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const unknown = await run(['broker', '--port', '0', '--data-dir', dir, '--override', 'log.retention.weeks=2'])
  assert.equal(unknown.code, 1)
  assert.match(unknown.stderr, /log\.retention\.weeks: unknown config/)
  assert.doesNotMatch(unknown.stdout, /listening/)
  const invalid = await run(['broker', '--port', '0', '--data-dir', dir, '--override', 'num.partitions=many'])
  assert.equal(invalid.code, 1)
  assert.match(invalid.stderr, /num\.partitions: 'many' is not a valid int/)
  const usage = await run(['broker', '--override', 'novalue'])
  assert.equal(usage.code, 2)
  const help = await run(['broker', '--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /--data-dir/)
})

test('SIGTERM shuts down cleanly and writes the clean-shutdown marker; the next start skips recovery', async t => {
  const broker = await startBrokerProcess(t)
  const exit = await broker.stop()
  assert.deepEqual(exit, { code: 0, signal: null })
  assert.ok(existsSync(join(broker.dataDir, '.kafka_cleanshutdown')), 'marker written on clean shutdown')
  await broker.start()
  assert.ok(!existsSync(join(broker.dataDir, '.kafka_cleanshutdown')), 'marker removed once the broker runs again')
})

test('a second signal during shutdown exits at once', async t => {
  const broker = await startBrokerProcess(t)
  const pid = broker.pid
  assert.ok(pid !== undefined)
  process.kill(pid, 'SIGINT')
  process.kill(pid, 'SIGINT')
  const exit = await broker.stop() // already exiting: stop() only waits
  assert.ok(exit.code === 130 || exit.code === 0, `exit code ${String(exit.code)}`)
})

test('connections.max.idle.ms closes an idle connection', async t => {
  const broker = await startBrokerProcess(t, { overrides: { 'connections.max.idle.ms': 300 } })
  const closed = await new Promise<boolean>((resolve, reject) => {
    const s = connect(broker.port, broker.host)
    const timer = setTimeout(() => { s.destroy(); reject(new Error('idle connection was never closed')) }, DEADLINE_MS)
    s.on('error', () => {})
    s.on('close', () => { clearTimeout(timer); resolve(true) })
  })
  assert.equal(closed, true)
})
