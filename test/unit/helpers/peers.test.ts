// requirePeer's two ways of handling a missing peer, and the peer list .ci/run prints. Each case
// runs in a child process, since detections are cached per process and read the environment.

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { PEER_NAMES } from '../../helpers/peers.ts'

const PEERS_URL = new URL('../../helpers/peers.ts', import.meta.url).href
const PEERS_PATH = new URL('../../helpers/peers.ts', import.meta.url).pathname

function node (args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr })
    })
  })
}

// Asks for Debian's kafka-python with SAMSA_DEBIAN_PYTHON pointing nowhere, through a stand-in
// for the test context that records skip().
const REQUIRE_MISSING = `
const { requirePeer } = await import(${JSON.stringify(PEERS_URL)})
const skips = []
const t = { skip: (message) => skips.push(message) }
try {
  const value = await requirePeer(t, 'kafka-python-debian')
  console.log(JSON.stringify({ value: value ?? null, skips }))
} catch (error) {
  console.log(JSON.stringify({ error: error.message, skips }))
}
`

function withoutCi (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SAMSA_DEBIAN_PYTHON: '/nonexistent/python3' }
  delete env.CI
  return env
}

test('requirePeer skips a missing peer outside CI, naming the install command', async () => {
  const run = await node(['--input-type=module', '-e', REQUIRE_MISSING], withoutCi())
  assert.equal(run.code, 0, run.stderr)
  const result = JSON.parse(run.stdout)
  assert.equal(result.value, null)
  assert.equal(result.skips.length, 1)
  assert.match(result.skips[0], /^kafka-python-debian missing \(no \/nonexistent\/python3\): install with `apt-get install -y python3-kafka`$/)
})

test('requirePeer fails the test for a missing peer when CI=true', async () => {
  const run = await node(['--input-type=module', '-e', REQUIRE_MISSING], { ...withoutCi(), CI: 'true' })
  assert.equal(run.code, 0, run.stderr)
  const result = JSON.parse(run.stdout)
  assert.deepEqual(result.skips, [])
  assert.match(result.error, /kafka-python-debian missing .*install with `apt-get install -y python3-kafka`.*CI=true/)
})

test('running peers.ts prints one line per peer', async () => {
  const run = await node([PEERS_PATH], process.env)
  assert.equal(run.code, 0, run.stderr)
  const lines = run.stdout.trimEnd().split('\n')
  assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), PEER_NAMES)
  for (const line of lines) {
    if (line.includes(' MISSING ')) assert.match(line, /; install: \S/)
  }
})
