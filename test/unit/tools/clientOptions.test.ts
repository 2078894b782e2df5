import assert from 'node:assert/strict'
import { test } from 'node:test'
import { baseOptions, consumerOptions, parseClientProperties, producerOptions } from '../../../src/tools/clientOptions.ts'
import { ToolError } from '../../../src/tools/ToolError.ts'

test('-X properties by Kafka\'s names become @platformatic/kafka options', () => {
  const properties = parseClientProperties([
    'client.id=my-tool', 'request.timeout.ms=5000', 'security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=scram-sha-256',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="p";',
    'acks=all', 'compression.type=zstd', 'isolation.level=read_committed', 'fetch.max.wait.ms=100',
  ])
  const config = { bootstrapServers: ['h:1'], properties, timeoutMs: 2000 }
  const base = baseOptions(config, 'samsa-x') as unknown as Record<string, unknown>
  assert.equal(base.clientId, 'my-tool')
  assert.equal(base.connectTimeout, 2000)
  assert.equal(base.requestTimeout, 5000)
  assert.deepEqual(base.sasl, { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' })
  assert.equal(base.tls, undefined)
  assert.equal(base.acks, undefined, 'producer properties stay off other clients')
  const producer = producerOptions(config, 'samsa-x') as unknown as Record<string, unknown>
  assert.equal(producer.acks, -1)
  assert.equal(producer.compression, 'zstd')
  const consumer = consumerOptions(config, 'samsa-x', 'g') as unknown as Record<string, unknown>
  assert.equal(consumer.isolationLevel, 1)
  assert.equal(consumer.maxWaitTime, 100)
  assert.equal(consumer.groupId, 'g')
})

test('consumers read uncommitted by default, as Kafka\'s console consumer does', () => {
  assert.equal((consumerOptions({ bootstrapServers: ['h:1'] }, 'c', 'g') as unknown as Record<string, unknown>).isolationLevel, 0)
})

test('unknown properties and bad values are refused, naming the property', () => {
  assert.throws(() => parseClientProperties(['linger.msec=5']), (e: Error) => e instanceof ToolError && /^-X linger.msec: unknown client property/.test(e.message))
  assert.throws(() => parseClientProperties(['novalue']), /-X expects key=value, got 'novalue'/)
  const bad = { bootstrapServers: ['h:1'], properties: parseClientProperties(['request.timeout.ms=soon']) }
  assert.throws(() => baseOptions(bad, 'x'), /-X request.timeout.ms: expected an integer >= 1, got 'soon'/)
  const acks = { bootstrapServers: ['h:1'], properties: parseClientProperties(['acks=2']) }
  assert.throws(() => producerOptions(acks, 'x'), /-X acks: expected one of -1, 0, 1, got '2'/)
})
