// DescribeLogDirs over TCP: every log dir with the partitions it holds and their sizes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { DescribeLogDirs } from '../../../src/protocol/messages/index.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { startTestBroker } from '../../helpers/broker.ts'
import { createTopic } from './controllerSupport.ts'
import { batchOf, produce } from './dataPathSupport.ts'

test('every version 0-4 lists the partitions and their sizes; v4 adds the file system\'s total and usable bytes', async t => {
  const { broker, dir } = await startTestBroker(t)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'sized', numPartitions: 2 })
  await createTopic(client, { name: 'other' })
  assert.equal((await produce(client, 9, 'sized', 1, batchOf(['a', 'b', 'c']))).errorCode, 0)
  const size = broker.replicaManager.partitionInfo('sized', 1)?.sizeInBytes
  assert.ok(size !== undefined && size > 0)
  for (let v = 0; v <= 4; v++) {
    const res = await client.request(DescribeLogDirs, v, { topics: [{ topic: 'sized', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }] })
    assert.equal(res.errorCode, 0)
    assert.equal(res.results.length, 1)
    const d = res.results[0]!
    assert.equal(d.errorCode, 0)
    assert.equal(d.logDir, resolve(dir))
    assert.deepEqual(d.topics, [{ name: 'sized', partitions: [
      { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
      { partitionIndex: 1, partitionSize: BigInt(size), offsetLag: 0n, isFutureKey: false },
    ] }], `v${v}`)
    if (v >= 4) {
      assert.ok(d.totalBytes > 0n && d.usableBytes >= 0n && d.usableBytes <= d.totalBytes)
    } else {
      assert.equal(d.totalBytes, -1n)
    }
  }
  const all = await client.request(DescribeLogDirs, 4, { topics: null })
  assert.deepEqual(all.results[0]!.topics.map(x => [x.name, x.partitions.length]).sort(), [['other', 1], ['sized', 2]])
  const none = await client.request(DescribeLogDirs, 4, { topics: [] })
  assert.deepEqual(none.results[0]!.topics, [])
})

test('with several log.dirs each partition is reported under the dir that holds it', async t => {
  const first = await mkdtemp(join(tmpdir(), 'samsa-test-first-'))
  const extra = await mkdtemp(join(tmpdir(), 'samsa-test-extra-'))
  const removeDirs = async (): Promise<void> => { for (const d of [first, extra]) await rm(d, { recursive: true, force: true }) }
  let broker
  try {
    ({ broker } = await startTestBroker(t, { 'log.dirs': `${first},${extra}` }))
  } catch (err) {
    await removeDirs()
    throw err
  }
  // After hooks run in the order they were added: this one after startTestBroker's close().
  t.after(removeDirs)
  await using client = await KafkaTestClient.connect('127.0.0.1', broker.port)
  await createTopic(client, { name: 'spread', numPartitions: 6 })
  const res = await client.request(DescribeLogDirs, 4, { topics: null })
  assert.deepEqual(res.results.map(r => r.logDir), [resolve(first), resolve(extra)])
  const where = new Map<number, string>()
  for (const r of res.results) for (const tp of r.topics) for (const p of tp.partitions) where.set(p.partitionIndex, r.logDir)
  assert.deepEqual([...where.keys()].sort(), [0, 1, 2, 3, 4, 5])
  for (const [p, d] of where) assert.ok(broker.replicaManager.getPartition('spread', p)!.log.dir.startsWith(d), `partition ${p}`)
})
