// The cluster metadata of a one-node cluster: topics, their ids, partition counts and config
// overrides. In Kafka this lives in the __cluster_metadata log; samsa keeps it in one small file,
// `samsa-metadata.json` in the first log dir, rewritten atomically (temp file + rename + fsync)
// on every change. Changes are rare (create, delete, alter), so the whole file is rewritten.
// Each partition directory also gets Kafka's `partition.metadata` (version + topic_id) from the log.

import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { ConfigValue } from '../config/ConfigDef.ts'
import { parseTopicOverrides } from '../config/TopicConfig.ts'

export const METADATA_FILE = 'samsa-metadata.json'
/** Kafka's limit on topic name length. */
export const MAX_TOPIC_NAME_LENGTH = 249
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/

export interface TopicMetadata {
  readonly name: string
  /** 22-character base64url, as Kafka prints Uuids. */
  readonly topicId: string
  readonly partitions: number
  readonly configs: ReadonlyMap<string, ConfigValue>
  readonly internal: boolean
}

interface StoredTopic { name: string, topicId: string, partitions: number, configs: Record<string, string>, internal?: boolean }
interface Stored { version: 1, clusterId: string, topics: StoredTopic[] }

/** Returns why a topic name is invalid (Kafka's rules), or null. */
export function invalidTopicName (name: string): string | null {
  if (name.length === 0) return 'topic name is empty'
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`
  if (!LEGAL_TOPIC.test(name)) return 'topic name may contain only ASCII letters, digits, ".", "_" and "-"'
  return null
}

/** A fresh topic id: 16 random bytes, never all-zero or the reserved value 1, not starting with '-'. */
export function newUuid (): string {
  for (;;) {
    const b = randomBytes(16)
    const text = b.toString('base64url')
    if (text.startsWith('-')) continue
    if (b.every(x => x === 0)) continue
    if (b.subarray(0, 15).every(x => x === 0) && b[15] === 1) continue
    return text
  }
}

export class MetadataCache {
  private readonly file: string
  private readonly topics = new Map<string, TopicMetadata>()
  private readonly byId = new Map<string, TopicMetadata>()
  readonly clusterId: string
  /** Serialises writes of the metadata file. */
  private writing: Promise<void> = Promise.resolve()

  /** Loads the metadata file (at start-up, so synchronously) or starts empty. */
  constructor (dir: string, clusterId?: string) {
    this.file = join(dir, METADATA_FILE)
    let stored: Stored | undefined
    if (existsSync(this.file)) stored = JSON.parse(readFileSync(this.file, 'utf8')) as Stored
    this.clusterId = stored?.clusterId ?? clusterId ?? newUuid()
    for (const t of stored?.topics ?? []) {
      this.put({ name: t.name, topicId: t.topicId, partitions: t.partitions, configs: parseTopicOverrides(Object.entries(t.configs)), internal: t.internal ?? false })
    }
    // A new cluster id is recorded at once (start-up, so synchronously): meta.properties in every
    // log dir is stamped with it, and the next start must find the same one.
    if (stored === undefined) {
      const tmp = `${this.file}.tmp`
      writeFileSync(tmp, this.serialise())
      renameSync(tmp, this.file)
    }
  }

  private put (t: TopicMetadata): void {
    this.topics.set(t.name, t)
    this.byId.set(t.topicId, t)
  }

  topic (name: string): TopicMetadata | undefined { return this.topics.get(name) }
  topicById (id: string): TopicMetadata | undefined { return this.byId.get(id) }
  allTopics (): IterableIterator<TopicMetadata> { return this.topics.values() }
  get topicCount (): number { return this.topics.size }

  /** Records a new topic and persists it; the caller checked the name and that it is new. */
  async createTopic (name: string, partitions: number, configs: ReadonlyMap<string, ConfigValue>, internal = false): Promise<TopicMetadata> {
    if (this.topics.has(name)) throw new Error(`topic ${name} exists`)
    const t: TopicMetadata = { name, topicId: newUuid(), partitions, configs, internal }
    this.put(t)
    await this.persist()
    return t
  }

  async deleteTopic (name: string): Promise<TopicMetadata | undefined> {
    const t = this.topics.get(name)
    if (t === undefined) return undefined
    this.topics.delete(name)
    this.byId.delete(t.topicId)
    await this.persist()
    return t
  }

  async setPartitions (name: string, partitions: number): Promise<void> {
    const t = this.topics.get(name)
    if (t === undefined) throw new Error(`no topic ${name}`)
    this.put({ ...t, partitions })
    await this.persist()
  }

  async setConfigs (name: string, configs: ReadonlyMap<string, ConfigValue>): Promise<void> {
    const t = this.topics.get(name)
    if (t === undefined) throw new Error(`no topic ${name}`)
    this.put({ ...t, configs })
    await this.persist()
  }

  private serialise (): string {
    const snapshot: Stored = {
      version: 1,
      clusterId: this.clusterId,
      topics: [...this.topics.values()].map(t => ({
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions,
        configs: Object.fromEntries([...t.configs].map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)])),
        ...(t.internal ? { internal: true } : {}),
      })),
    }
    return JSON.stringify(snapshot, null, 2) + '\n'
  }

  private persist (): Promise<void> {
    const text = this.serialise()
    // Each write waits for the previous one; a failed write does not block the next.
    const write = this.writing.catch(() => {}).then(() => writeAtomically(this.file, text))
    this.writing = write
    return write
  }
}

async function writeAtomically (file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
}
