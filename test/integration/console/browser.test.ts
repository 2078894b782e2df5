// The console in a real browser (Debian's chromium, driven by playwright-core): every page loads
// without a console error; the live charts receive points while `samsa sensor` runs; a topic
// created and a message produced from the UI are seen by `samsa consume`; the live tail shows a
// record produced elsewhere; dark mode follows prefers-color-scheme and the toggle.
//
// Screenshots of each page are taken on every run (into a temp dir). With
// SAMSA_UPDATE_SCREENSHOTS=1 they go to docs/screenshots/ instead, where the README shows them.

import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Admin } from '@platformatic/kafka'
import { chromium, type Page } from 'playwright-core'
import { startConsole } from '../../../src/console/server.ts'
import { startTestBroker, testLogger } from '../../helpers/broker.ts'
import { requirePeer } from '../../helpers/peers.ts'
import { api } from './consoleSupport.ts'

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const SAMSA = join(REPO, 'bin', 'samsa.js')
/** How long one browser wait may take on a loaded 2-core machine (a hang guard, not a timing check). */
const WAIT_MS = 60_000

function samsa (args: string[]): ChildProcess {
  return spawn(process.execPath, [SAMSA, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

async function runSamsa (args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = samsa(args)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', c => { stdout += String(c) })
  child.stderr?.on('data', c => { stderr += String(c) })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, stdout, stderr }
}

/** The page's document, for functions that run in the browser (the tests' tsconfig has no DOM types). */
interface PageDocument { querySelector: (selector: string) => { getAttribute: (name: string) => string | null } | null }

/** The number in the chart's data-points attribute. */
async function points (page: Page, id: string): Promise<number> {
  return Number(await page.getAttribute(`#${id}`, 'data-points'))
}

async function waitForPoints (page: Page, id: string, atLeast: number): Promise<void> {
  await page.waitForFunction(({ id, atLeast }) => Number((globalThis as unknown as { document: PageDocument }).document.querySelector(`#${id}`)?.getAttribute('data-points')) >= atLeast, { id, atLeast }, { timeout: WAIT_MS })
}

test('the console in headless Chromium: pages, live charts with a running sensor, produce from the UI, dark mode', async (t) => {
  const executablePath = await requirePeer(t, 'chromium')
  if (!executablePath) return
  const { bootstrap } = await startTestBroker(t, { 'num.partitions': 2 })
  const console = await startConsole({ bootstrapServers: bootstrap, port: 0, host: '127.0.0.1', logger: testLogger() })
  t.after(() => console.close())
  assert.equal(console.assetsMissing, false, 'the console page is not built: run npm run build:console (npm install does it)')

  const update = process.env.SAMSA_UPDATE_SCREENSHOTS === '1'
  const shots = update ? join(REPO, 'docs', 'screenshots') : await mkdtemp(join(tmpdir(), 'samsa-shots-'))
  if (update) await mkdir(shots, { recursive: true })
  else t.after(() => rm(shots, { recursive: true, force: true }))

  // A sensor producing readings for the whole test.
  const sensor = samsa(['sensor', '--bootstrap-server', bootstrap, '--interval', '200ms', '--sensors', '2'])
  let sensorErr = ''
  sensor.stderr?.on('data', c => { sensorErr += String(c) })
  t.after(async () => {
    if (sensor.exitCode === null) {
      const exited = new Promise(resolve => sensor.on('exit', resolve))
      sensor.kill('SIGTERM')
      await exited
    }
  })

  const admin = new Admin({ clientId: 'browser-test', bootstrapBrokers: [bootstrap] })
  t.after(() => admin.close())

  const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
  t.after(() => browser.close())
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, colorScheme: 'light' })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('console', m => { if (m.type() === 'error') problems.push(`console: ${m.text()}`) })
  page.on('pageerror', e => { problems.push(`page error: ${e.message}`) })
  page.on('requestfailed', r => { if (!r.url().includes('/api/') || !(r.failure()?.errorText ?? '').includes('ABORTED')) problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`) })
  page.on('request', r => { if (!r.url().startsWith(console.url)) problems.push(`request outside the console: ${r.url()}`) })
  page.on('dialog', d => { void d.accept() })
  const shot = (name: string, fullPage = false) => page.screenshot({ path: join(shots, `${name}.png`), fullPage })
  // Pictures for the README want fuller charts than the test needs.
  const enough = (n: number): number => update ? n * 5 : n

  // Live: the sensor chart and the rate charts receive points while the sensor runs.
  await page.goto(`${console.url}#/live`)
  await page.waitForSelector('#page-live')
  await waitForPoints(page, 'chart-sensors', 3)
  const first = await points(page, 'chart-sensors')
  await waitForPoints(page, 'chart-sensors', first + 3)
  await waitForPoints(page, 'chart-messages', enough(3))
  await waitForPoints(page, 'chart-bytes', 3)
  const legend = await page.textContent('#chart-sensors .u-legend')
  assert.match(legend ?? '', /sensor-1 temperature/)
  assert.match(legend ?? '', /sensor-2 humidity/)
  assert.equal(sensor.exitCode, null, `the sensor stopped: ${sensorErr}`)
  await shot('live', true)

  // Topics: create one from the UI.
  await page.goto(`${console.url}#/topics`)
  await page.waitForSelector('#topics-table tr[data-topic="sensors"]')
  await page.fill('#create-topic input[name="name"]', 'ui-topic')
  await page.fill('#create-topic input[name="partitions"]', '3')
  await page.fill('#create-topic textarea[name="configs"]', 'retention.ms=86400000')
  await page.click('#create-topic button[type="submit"]')
  await page.waitForSelector('#topics-table tr[data-topic="ui-topic"]', { timeout: WAIT_MS })
  await shot('topics')

  // Topic detail: partitions and the config set at creation.
  await page.click('#topics-table tr[data-topic="ui-topic"] td a')
  await page.waitForSelector('#partitions-table tbody tr:nth-child(3)')
  assert.match(await page.textContent('#configs-table') ?? '', /retention\.ms\s*86400000/)
  await page.goto(`${console.url}#/topics/sensors`)
  await page.waitForSelector('#partitions-table tbody tr')
  await shot('topic')

  // Messages: produce from the UI; samsa consume sees it.
  await page.goto(`${console.url}#/messages/ui-topic`)
  await page.waitForSelector('#produce-form')
  await page.fill('#produce-form input[name="key"]', 'ui-key')
  await page.fill('#produce-form textarea[name="value"]', '{"from":"the browser","n":1}')
  await page.selectOption('#produce-form select[name="partition"]', '1')
  await page.click('#produce-form button[type="submit"]')
  await page.locator('#produce-status', { hasText: 'Sent to partition 1 at offset 0' }).waitFor({ timeout: WAIT_MS })
  await page.waitForSelector('#messages-table tr[data-partition="1"][data-offset="0"]', { timeout: WAIT_MS })
  const consumed = await runSamsa(['consume', 'ui-topic', '--bootstrap-server', bootstrap, '--from', 'beginning', '--exit-at-end', '--format', 'json'])
  assert.equal(consumed.code, 0, consumed.stderr)
  const records = consumed.stdout.trim().split('\n').map(l => JSON.parse(l) as { partition: number, offset: number, key: unknown, value: unknown })
  assert.deepEqual(records.map(r => [r.partition, r.offset, r.key, r.value]), [[1, 0, 'ui-key', { from: 'the browser', n: 1 }]])

  // Live tail: a record produced elsewhere appears; the value filter keeps others out.
  await page.fill('input[name="filter-value"]', 'tail')
  await page.click('#live-toggle')
  await page.locator('#browse-note', { hasText: 'following' }).waitFor({ timeout: WAIT_MS })
  assert.equal((await api(console.url, 'POST', '/api/topics/ui-topic/messages', { value: 'not shown', partition: 0 })).status, 201)
  assert.equal((await api(console.url, 'POST', '/api/topics/ui-topic/messages', { key: 'k2', value: 'seen by the tail', partition: 2 })).status, 201)
  await page.waitForSelector('#messages-table tr[data-partition="2"][data-offset="0"]', { timeout: WAIT_MS })
  assert.equal(await page.$('#messages-table tr[data-partition="0"]'), null)
  await page.click('#live-toggle')
  await page.fill('input[name="filter-value"]', '')
  await page.goto(`${console.url}#/messages/sensors`)
  await page.waitForSelector('#messages-table tbody tr[data-offset]', { timeout: WAIT_MS })
  await shot('messages')

  // Groups: a committed offset shows as lag, in the table and the chart.
  const hw = await admin.listOffsets({ topics: [{ name: 'sensors', partitions: [0, 1].map(partitionIndex => ({ partitionIndex, timestamp: -1n })) }] })
  const partitionOffsets = (hw[0]?.partitions ?? []).map(p => ({ partition: p.partitionIndex, offset: p.offset > 10n ? p.offset - 10n : 0n }))
  await admin.alterConsumerGroupOffsets({ groupId: 'dashboards', topics: [{ name: 'sensors', partitionOffsets }] })
  await page.goto(`${console.url}#/groups`)
  await page.waitForSelector('#groups-table tr[data-group="dashboards"]', { timeout: WAIT_MS })
  await waitForPoints(page, 'chart-lag', 2)
  await shot('groups')
  await page.click('#groups-table tr[data-group="dashboards"] a')
  await page.waitForSelector('#group-partitions tbody tr')
  await waitForPoints(page, 'chart-group-lag', enough(2))
  await shot('group')

  // Dark mode: the system preference, then the toggle (auto -> light -> dark).
  const background = (): Promise<string> => page.evaluate(() => {
    const g = globalThis as unknown as { getComputedStyle: (e: unknown) => { backgroundColor: string }, document: { body: unknown } }
    return g.getComputedStyle(g.document.body).backgroundColor
  })
  const light = await background()
  await page.emulateMedia({ colorScheme: 'dark' })
  const systemDark = await background()
  assert.notEqual(systemDark, light, 'prefers-color-scheme: dark changes the page')
  await page.emulateMedia({ colorScheme: 'light' })
  assert.equal(await background(), light)
  await page.click('#theme-toggle')
  assert.equal(await page.getAttribute('html', 'data-theme'), 'light')
  await page.click('#theme-toggle')
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark')
  assert.equal(await background(), systemDark, 'the toggle gives the same dark palette')
  await page.goto(`${console.url}#/live`)
  await waitForPoints(page, 'chart-sensors', 3)
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark', 'the choice is kept')
  await shot('live-dark', true)

  for (const name of ['live', 'topics', 'topic', 'messages', 'groups', 'group', 'live-dark']) {
    assert.ok((await stat(join(shots, `${name}.png`))).size > 0)
  }
  assert.deepEqual(problems, [])
})
