// Where the console is served from: `samsa broker` with samsa.console.port, the `samsa console`
// command, and what happens when the page was not built.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startConsole } from '../../../src/console/server.ts'
import { startTestBroker, testLogger } from '../../helpers/broker.ts'
import { api } from './consoleSupport.ts'

const SAMSA = fileURLToPath(new URL('../../../bin/samsa.js', import.meta.url))

test('samsa broker serves the console, pointed at itself, when samsa.console.port is set', async (t) => {
  const { broker } = await startTestBroker(t, { 'samsa.console.port': 0 })
  const url = broker.consoleUrl
  assert.ok(url !== null)
  const overview = await api<{ brokers: Array<{ port: number }> }>(url, 'GET', '/api/overview')
  assert.equal(overview.status, 200)
  assert.deepEqual(overview.body.brokers.map(b => b.port), [broker.port])
  const created = await api(url, 'POST', '/api/topics', { name: 'from-console', partitions: 2 })
  assert.equal(created.status, 201)
  assert.equal(broker.metadata.topic('from-console')?.partitions, 2)
})

test('the console is off unless samsa.console.port is set', async (t) => {
  const { broker } = await startTestBroker(t)
  assert.equal(broker.consoleUrl, null)
})

test('samsa console: prints its address, serves the page and the API, stops on SIGTERM', async (t) => {
  const { bootstrap } = await startTestBroker(t)
  const child = spawn(process.execPath, [SAMSA, 'console', '--bootstrap-server', bootstrap, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.on('exit', resolve))
  t.after(async () => { if (child.exitCode === null) { child.kill('SIGKILL'); await exited } })
  let stderr = ''
  child.stderr.on('data', c => { stderr += String(c) })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', c => {
      out += String(c)
      const m = /samsa console at (http:\/\/\S+)/.exec(out)
      if (m !== null) resolve(m[1] as string)
    })
    child.on('exit', code => reject(new Error(`samsa console exited with ${code ?? 'a signal'} before printing its address: ${stderr}`)))
  })
  const page = await fetch(url)
  assert.equal(page.status, 200, 'the page is built (npm run build:console)')
  assert.match(page.headers.get('content-type') ?? '', /text\/html/)
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
  const html = await page.text()
  const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1]
  assert.ok(script !== undefined, html)
  const js = await fetch(new URL(script, url))
  assert.equal(js.status, 200)
  assert.match(js.headers.get('cache-control') ?? '', /immutable/)
  assert.equal((await api(url, 'GET', '/api/topics')).status, 200)
  child.kill('SIGTERM')
  assert.equal(await exited, 0, stderr)
})

test('samsa console --help and bad options', async () => {
  const run = (args: string[]) => new Promise<{ code: number | null, out: string, err: string }>(resolve => {
    const c = spawn(process.execPath, [SAMSA, 'console', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    c.stdout.on('data', d => { out += String(d) })
    c.stderr.on('data', d => { err += String(d) })
    c.on('close', code => resolve({ code, out, err }))
  })
  const help = await run(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.out, /--bootstrap-server/)
  const bad = await run(['--port', 'eighty'])
  assert.equal(bad.code, 2)
  assert.match(bad.err, /bad --port/)
})

test('without a built page the console says how to build it, and the API still works', async (t) => {
  const { bootstrap } = await startTestBroker(t)
  const empty = await mkdtemp(join(tmpdir(), 'samsa-no-assets-'))
  t.after(() => rm(empty, { recursive: true, force: true }))
  const console = await startConsole({ bootstrapServers: bootstrap, port: 0, host: '127.0.0.1', assetsDir: empty, logger: testLogger() })
  t.after(() => console.close())
  assert.equal(console.assetsMissing, true)
  const res = await fetch(console.url)
  assert.equal(res.status, 503)
  assert.match(await res.text(), /npm run build:console/)
  assert.equal((await api(console.url, 'GET', '/api/topics')).status, 200)
})
