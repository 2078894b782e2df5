// The kafka-topics scenario: --create with and without --partitions (the latter sends -1 and
// takes the broker's num.partitions), with --config; --list; --describe; --delete, then --list
// until the topic is gone (deletion completes asynchronously in Kafka).

import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import type { KafkaJars } from '../peers.ts'
import { runKafkaToolOk } from '../kafkaTools.ts'

const POLL_MS = 200

export async function kafkaTopicsScenario (kafka: KafkaJars, bootstrap: string, prefix: string, timeoutMs: number): Promise<void> {
  const topics = (...args: string[]) => runKafkaToolOk('kafka-topics', ['--bootstrap-server', bootstrap, ...args], { kafka, timeoutMs })
  const explicit = `${prefix}-explicit`
  const defaults = `${prefix}-defaults`
  const [created1, created2] = await Promise.all([
    topics('--create', '--topic', explicit, '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000'),
    topics('--create', '--topic', defaults),
  ])
  assert.match(created1.stdout, new RegExp(`Created topic ${explicit}\\.`))
  assert.match(created2.stdout, new RegExp(`Created topic ${defaults}\\.`))

  const listed = (await topics('--list')).stdout.split('\n')
  assert.ok(listed.includes(explicit) && listed.includes(defaults), `--list shows both topics: ${JSON.stringify(listed)}`)

  const [described, describedDefaults] = await Promise.all([topics('--describe', '--topic', explicit), topics('--describe', '--topic', defaults)])
  const lines = described.stdout.trimEnd().split('\n')
  assert.match(lines[0] ?? '', new RegExp(`^Topic: ${explicit}\\tTopicId: \\S+\\tPartitionCount: 3\\tReplicationFactor: 1\\tConfigs: .*\\bretention\\.ms=3600000\\b`))
  assert.equal(lines.length, 4, `--describe lists 3 partitions:\n${described.stdout}`)
  for (const [i, line] of lines.slice(1).entries()) {
    assert.match(line, new RegExp(`^\\tTopic: ${explicit}\\tPartition: ${i}\\tLeader: (\\d+)\\tReplicas: \\1\\tIsr: \\1\\b`))
  }
  assert.match(describedDefaults.stdout, new RegExp(`^Topic: ${defaults}\\tTopicId: \\S+\\tPartitionCount: 2\\tReplicationFactor: 1\\t`), 'num.partitions=2 applies')

  await topics('--delete', '--topic', explicit)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const now = (await topics('--list')).stdout.split('\n')
    if (!now.includes(explicit)) {
      assert.ok(now.includes(defaults), 'the other topic is still listed')
      break
    }
    if (Date.now() > deadline) assert.fail(`${explicit} still listed ${timeoutMs} ms after --delete`)
    await delay(POLL_MS)
  }
}
