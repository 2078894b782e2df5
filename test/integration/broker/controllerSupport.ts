// Shared by the topic and config admin tests (Metadata, CreateTopics, DeleteTopics,
// CreatePartitions, DescribeConfigs, AlterConfigs, ...): a broker that can be stopped and started
// again on the same data directory, and one-call wrappers over KafkaTestClient.
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type Broker, startBroker } from '../../../src/index.ts'
import { CreateTopics, Metadata } from '../../../src/protocol/messages/index.ts'
import { ZERO_UUID } from '../../../src/protocol/Reader.ts'
import { KafkaTestClient } from '../../helpers/KafkaTestClient.ts'
import { testLogger } from '../../helpers/broker.ts'

/** A broker on its own temp dir that a test may restart; everything is stopped and removed after the test. */
export class RestartableBroker {
  readonly dir: string
  readonly config: Record<string, unknown>
  broker: Broker
  private readonly clients: KafkaTestClient[] = []

  private constructor (dir: string, config: Record<string, unknown>, broker: Broker) {
    this.dir = dir
    this.config = config
    this.broker = broker
  }

  static async start (t: TestContext, config: Record<string, unknown> = {}): Promise<RestartableBroker> {
    const dir = await mkdtemp(join(tmpdir(), 'samsa-test-'))
    const full = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'group.initial.rebalance.delay.ms': 0, ...config }
    let rb: RestartableBroker | undefined
    t.after(async () => {
      if (rb !== undefined) {
        for (const c of rb.clients) await c.close()
        await rb.broker.close()
      }
      await rm(dir, { recursive: true, force: true })
    })
    rb = new RestartableBroker(dir, full, await startBroker({ config: full, logger: testLogger() }))
    return rb
  }

  /** Stops the broker and starts a new one on the same directory (and a new port). */
  async restart (): Promise<Broker> {
    for (const c of this.clients.splice(0)) await c.close()
    await this.broker.close()
    this.broker = await startBroker({ config: this.config, logger: testLogger() })
    return this.broker
  }

  /** A client of the current broker, closed on restart and after the test. */
  async client (): Promise<KafkaTestClient> {
    const c = await KafkaTestClient.connect('127.0.0.1', this.broker.port)
    this.clients.push(c)
    return c
  }
}

export interface TopicSpec {
  name: string
  numPartitions?: number
  replicationFactor?: number
  configs?: Record<string, string | null>
  assignments?: Array<{ partitionIndex: number, brokerIds: number[] }>
}

export function creatable (s: TopicSpec): { name: string, numPartitions: number, replicationFactor: number, assignments: Array<{ partitionIndex: number, brokerIds: number[] }>, configs: Array<{ name: string, value: string | null }> } {
  return {
    name: s.name,
    numPartitions: s.numPartitions ?? 1,
    replicationFactor: s.replicationFactor ?? 1,
    assignments: s.assignments ?? [],
    configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
  }
}

/** CreateTopics at `version`, one result per topic, asserted to come back in request order. */
export async function createTopics (client: KafkaTestClient, version: number, specs: TopicSpec[], validateOnly = false) {
  const res = await client.request(CreateTopics, version, {
    topics: specs.map(creatable),
    timeoutMs: 30000,
    ...(version >= 1 ? { validateOnly } : {}),
  })
  return res.topics
}

/** Creates one topic at CreateTopics v7 and returns its id. */
export async function createTopic (client: KafkaTestClient, spec: TopicSpec): Promise<string> {
  const [r] = await createTopics(client, 7, [spec])
  assert.ok(r !== undefined)
  assert.equal(r.errorCode, 0, `create ${spec.name}: ${r.errorMessage ?? ''}`)
  assert.notEqual(r.topicId, ZERO_UUID)
  return r.topicId
}

/** Metadata v12 for the named topics without auto-creation. */
export async function describeTopics (client: KafkaTestClient, names: string[] | null) {
  const res = await client.request(Metadata, 12, {
    topics: names === null ? null : names.map(name => ({ name, topicId: ZERO_UUID })),
    allowAutoTopicCreation: false,
  })
  return res.topics
}
