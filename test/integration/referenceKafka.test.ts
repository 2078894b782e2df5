// The reference Apache Kafka and Kafka's own tools, end to end: the harness every comparison
// between samsa and Kafka stands on.

import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { runKafkaTool, runKafkaToolOk } from '../helpers/kafkaTools.ts'
import { requirePeer } from '../helpers/peers.ts'
import { apiVersionsProbe, startReferenceKafka } from '../helpers/referenceKafka.ts'

test('reference Kafka: topics, console producer and consumer', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  const broker = await startReferenceKafka({ kafka })
  t.after(() => broker.stop())
  const b = broker.bootstrap
  assert.match(b, /^127\.0\.0\.1:\d+$/)
  await apiVersionsProbe(broker.host, broker.port, 10_000)

  await runKafkaToolOk('kafka-topics', ['--bootstrap-server', b, '--create', '--topic', 'lines', '--partitions', '3'], { kafka })

  const list = await runKafkaToolOk('kafka-topics', ['--bootstrap-server', b, '--list'], { kafka })
  assert.deepEqual(list.stdout.trim().split('\n'), ['lines'])

  const describe = await runKafkaToolOk('kafka-topics', ['--bootstrap-server', b, '--describe', '--topic', 'lines'], { kafka })
  assert.match(describe.stdout, /PartitionCount: 3\s/)
  const partitions = describe.stdout.split('\n').filter((line) => /\bPartition: \d+\s/.test(line))
  assert.deepEqual(partitions.map((line) => /\bPartition: (\d+)\s/.exec(line)?.[1]), ['0', '1', '2'])
  for (const line of partitions) assert.match(line, /Leader: 1\s/)

  // Keys pin all three lines to one partition, so the consumer sees them in order.
  await runKafkaToolOk('kafka-console-producer', [
    '--bootstrap-server', b, '--topic', 'lines', '--property', 'parse.key=true', '--property', 'key.separator=:',
  ], { kafka, input: 'k:first\nk:second\nk:third\n' })

  const consumed = await runKafkaToolOk('kafka-console-consumer', [
    '--bootstrap-server', b, '--topic', 'lines', '--from-beginning', '--max-messages', '3', '--timeout-ms', '60000',
  ], { kafka })
  assert.deepEqual(consumed.stdout.trim().split('\n'), ['first', 'second', 'third'])
  assert.match(consumed.stderr, /Processed a total of 3 messages/)

  // The segments are where Kafka's layout says: <log.dirs>/<topic>-<partition>/<base offset>.log
  await access(join(broker.logDir, 'lines-0', '00000000000000000000.log'))
  await access(join(broker.logDir, 'meta.properties'))
})

test('reference Kafka: a tool that fails reports its exit code, and stop() removes the temp dir', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  const broker = await startReferenceKafka({ kafka, config: { 'auto.create.topics.enable': false } })
  t.after(() => broker.stop())

  const described = await runKafkaTool('kafka-topics', ['--bootstrap-server', broker.bootstrap, '--describe', '--topic', 'absent'], { kafka })
  assert.notEqual(described.code, 0)
  assert.match(described.stderr + described.stdout, /absent/)

  await broker.stop()
  await assert.rejects(access(broker.dir), { code: 'ENOENT' })
  await assert.rejects(apiVersionsProbe(broker.host, broker.port, 5_000))
  await broker.stop() // idempotent
})

test('reference Kafka: refuses settings the helper owns', async (t) => {
  const kafka = await requirePeer(t, 'kafka')
  if (!kafka) return
  await assert.rejects(startReferenceKafka({ kafka, config: { listeners: 'PLAINTEXT://127.0.0.1:9092' } }), /sets listeners itself/)
})
