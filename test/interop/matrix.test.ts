// The matrix that docs/compatibility.md publishes must be what the tests run: every row names a
// test file that npm test runs and that takes its rows from the matrix; no row is declared twice;
// and the installed clients are the versions the matrix (and so the docs) name.

import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { detectPeer, kafkaVersion, requirePeer } from '../helpers/peers.ts'
import { CLIENTS, REFERENCE_KAFKA_VERSION, REFERENCE_TEST, REFERENCE_TESTS, referenceTestFor, ROWS, rowName, SCENARIOS } from './matrix.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** npm test runs `node --test "test/**\/*.test.ts"`. */
const NPM_TEST_FILE = /^test\/.+\.test\.ts$/

test('npm test still runs every *.test.ts under test/', async () => {
  const pkg = JSON.parse(await readFile(ROOT + 'package.json', 'utf8')) as { scripts: Record<string, string> }
  assert.match(pkg.scripts.test ?? '', /node --test .*"test\/\*\*\/\*\.test\.ts"/)
})

test('every matrix row names a test file that npm test runs and that takes its rows from the matrix', async () => {
  const files = new Map<string, string>()
  for (const row of ROWS) {
    for (const file of [row.test, referenceTestFor(row)]) {
      assert.match(file, NPM_TEST_FILE, `${rowName(row)}: ${file} is not run by npm test`)
      if (!files.has(file)) files.set(file, await readFile(ROOT + file, 'utf8'))
    }
    const samsaSource = files.get(row.test) ?? ''
    assert.match(samsaSource, /matrixRows\(import\.meta\.url\)/, `${row.test} registers its rows with matrixRows(import.meta.url)`)
  }
  assert.match(files.get(REFERENCE_TEST) ?? '', /referenceTestFor\(r\) === REFERENCE_TEST/, `${REFERENCE_TEST} runs every row without its own reference file`)
  for (const [scenario, file] of Object.entries(REFERENCE_TESTS)) {
    assert.match(files.get(file) ?? '', new RegExp(`r\\.scenario === '${scenario}'`), `${file} runs the ${scenario} rows`)
  }
})

test('no matrix row is declared twice; clients and scenarios exist', () => {
  const names = ROWS.map(rowName)
  assert.equal(new Set(names).size, names.length, `duplicate rows: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`)
  for (const row of ROWS) {
    assert.ok(CLIENTS.some(c => c.id === row.client), `${rowName(row)}: unknown client`)
    assert.ok(SCENARIOS.some(s => s.id === row.scenario), `${rowName(row)}: unknown scenario`)
    if (row.samsa !== 'pass') assert.ok(row.samsa.fails.length > 20, `${rowName(row)}: a known failure says why`)
  }
  for (const c of CLIENTS) assert.ok(ROWS.some(r => r.client === c.id), `${c.id} has no row`)
})

test(`the reference Kafka version is .ci/kafka/pom.xml's (${REFERENCE_KAFKA_VERSION})`, async () => {
  assert.equal(await kafkaVersion(), REFERENCE_KAFKA_VERSION)
})

for (const client of CLIENTS) {
  test(`${client.id} installed is the version the matrix names (${client.version})`, async (t) => {
    if (await requirePeer(t, client.peer) === undefined) return
    const detection = await detectPeer(client.peer)
    assert.ok(!('missing' in detection))
    assert.ok(detection.version.startsWith(client.version),
      `installed ${client.peer} is ${detection.version}, the matrix says ${client.version}: update test/interop/matrix.ts, rerun the interop tests, npm run docs`)
  })
}
