// kill -9 a `samsa broker` process after a group formed and committed, start it again on the same
// data directory, and find the committed offsets and the group's generation, leader, members and
// assignment as they were.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { ErrorCode } from '../../../src/protocol/ErrorCode.ts'
import { CreateTopics, DescribeGroups, OffsetCommit, OffsetFetch } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { assignment, eventually, joinGroup, syncGroup } from './support.ts'

const SAMSA = join(import.meta.dirname, '..', '..', '..', 'bin', 'samsa.js')
const START_TIMEOUT_MS = 60_000

/** Starts `samsa broker` on a free port; resolves with its port once it listens. */
function spawnBroker (t: TestContext, dir: string): Promise<{ child: ChildProcess, port: number }> {
  const child = spawn(process.execPath, [SAMSA, 'broker', '--port', '0', '--data-dir', dir, '--log-level', 'warn', '--override', 'group.initial.rebalance.delay.ms=0'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  return new Promise((resolve, reject) => {
    let out = ''
    const deadline = setTimeout(() => reject(new Error(`samsa did not start within ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)), START_TIMEOUT_MS)
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /samsa listening on [^\s]+:(\d+)/.exec(out)
      if (m !== null) { clearTimeout(deadline); resolve({ child, port: Number(m[1]) }) }
    })
    child.on('exit', code => { clearTimeout(deadline); reject(new Error(`samsa exited (${String(code)}) before listening; stderr: ${stderr}`)) })
  })
}

function killHard (child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

test('committed offsets and group state survive kill -9', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-group-crash-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const first = await spawnBroker(t, dir)
  const g = 'printers'
  let memberId: string
  {
    await using c = await KafkaTestClient.connect('127.0.0.1', first.port)
    const created = await c.request(CreateTopics, 7, { topics: [{ name: 'events', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000 })
    assert.equal(created.topics[0]?.errorCode, 0)
    const j = await joinGroup(c, 9, g, { topics: ['events'], sessionTimeoutMs: 60_000 })
    memberId = j.memberId
    await syncGroup(c, 5, g, j, [{ memberId, assignment: assignment('events', [0, 1, 2]) }])
    for (let round = 1; round <= 20; round++) {
      const r = await c.request(OffsetCommit, 9, {
        groupId: g, generationIdOrMemberEpoch: j.generationId, memberId,
        topics: [{ name: 'events', partitions: [0, 1, 2].map(p => ({ partitionIndex: p, committedOffset: BigInt(round * 10 + p), committedMetadata: `r${round}` })) }],
      })
      assert.deepEqual(r.topics[0]?.partitions.map(p => p.errorCode), [0, 0, 0])
    }
  }
  await killHard(first.child)

  const second = await spawnBroker(t, dir)
  await using c = await KafkaTestClient.connect('127.0.0.1', second.port)
  const fetched = await eventually('the group is loaded', async () => {
    const r = await c.request(OffsetFetch, 8, { groups: [{ groupId: g, topics: null }] })
    return r.groups[0]?.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? undefined : r
  })
  assert.deepEqual(fetched.groups[0]?.topics.map(tp => tp.partitions.map(p => [p.partitionIndex, p.committedOffset, p.metadata])), [[[0, 200n, 'r20'], [1, 201n, 'r20'], [2, 202n, 'r20']]])
  const d = await c.request(DescribeGroups, 5, { groups: [g] })
  const group = d.groups[0]
  assert.equal(group?.groupState, 'Stable')
  assert.equal(group?.protocolData, 'range')
  assert.deepEqual(group?.members.map(m => [m.memberId, m.clientId]), [[memberId, 'samsa-test']])
  assert.deepEqual(group?.members[0]?.memberAssignment, assignment('events', [0, 1, 2]))
  await killHard(second.child)
})
