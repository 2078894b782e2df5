// DescribeLogDirs (key 35): each of log.dirs with the partitions it holds and their sizes (the
// bytes of their segments). null topics = every partition; listed partitions that do not exist
// are left out, as Kafka does. offset_lag is 0 (no future logs are moved between dirs here).
// v1 is v0 with throttling; v2+ flexible; v3+ top-level error code; v4+ total and usable bytes of
// each dir's file system.

import { statfs } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { ErrorCode } from '../../protocol/ErrorCode.ts'
import { DescribeLogDirs, type DescribeLogDirsResponse } from '../../protocol/messages/DescribeLogDirs.ts'
import type { Broker } from '../Broker.ts'
import { defineHandler } from '../defineHandler.ts'

type DirResult = DescribeLogDirsResponse['results'][number]
type TopicResult = DirResult['topics'][number]

export const handleDescribeLogDirs = defineHandler(DescribeLogDirs, {
  versions: '0-4',
  async handle (req, { broker, apiVersion }) {
    const dirs = new Map<string, Map<string, TopicResult>>()
    for (const d of broker.config.logDirs()) dirs.set(resolve(d), new Map())
    const wanted: Array<[string, readonly number[]]> = req.topics === null
      ? [...broker.metadata.allTopics()].map(t => [t.name, Array.from({ length: t.partitions }, (_, i) => i)])
      : req.topics.map(t => [t.topic, t.partitions])
    for (const [name, partitions] of wanted) {
      for (const index of partitions) {
        const row = partitionRow(broker, name, index)
        if (row === undefined) continue
        const topics = dirs.get(row.dir)
        if (topics === undefined) continue
        let t = topics.get(name)
        if (t === undefined) {
          t = { name, partitions: [] }
          topics.set(name, t)
        }
        t.partitions.push({ partitionIndex: index, partitionSize: BigInt(row.size), offsetLag: 0n, isFutureKey: false })
      }
    }
    const results: DirResult[] = []
    for (const [dir, topics] of dirs) {
      const result: DirResult = { errorCode: ErrorCode.NONE, logDir: dir, topics: [...topics.values()], totalBytes: -1n, usableBytes: -1n }
      if (apiVersion >= 4) {
        try {
          const s = await statfs(dir, { bigint: true })
          result.totalBytes = s.blocks * s.bsize
          result.usableBytes = s.bavail * s.bsize
        } catch {
          result.errorCode = ErrorCode.KAFKA_STORAGE_ERROR
        }
      }
      results.push(result)
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results }
  },
})

function partitionRow (broker: Broker, topic: string, index: number): { dir: string, size: number } | undefined {
  const p = broker.replicaManager.getPartition(topic, index)
  if (p === undefined) return undefined
  return { dir: resolve(dirname(p.log.dir)), size: p.log.size }
}
