// The broker's metrics under Apache Kafka's names, as Prometheus' JMX exporter spells them
// (kafka.network:type=RequestMetrics,name=RequestsPerSec,request=Produce becomes
// kafka_network_requestmetrics_requests_total{request="Produce"}), so dashboards built for Kafka
// read samsa unchanged. Consumer lag is not a broker metric in Kafka; it takes kafka_exporter's
// names (kafka_consumergroup_lag), which is where Kafka users find it.
//
// Updated per request (Connection.ts): one RequestMetrics per API key, held in an array indexed
// by the key, so a request costs two counter increments, one histogram bucket walk and, for
// Produce and Fetch, one Map lookup per topic in the request. Everything else (log sizes,
// partitions, connections, groups, lag) is computed when /metrics is scraped.

import type { Broker } from '../broker/Broker.ts'
import type { PartitionInfo } from '../broker/ReplicaManager.ts'
import { type Counter, type Histogram, type MetricFamily, MetricsRegistry, type PrometheusWriter } from './MetricsRegistry.ts'

/** Request latency buckets in milliseconds: sub-millisecond answers up to 30 s long polls. */
export const REQUEST_TIME_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

/**
 * Most (group, topic, partition) lag series one scrape reports. Lag is computed at each scrape
 * from every committed offset; past this many the rest are left out (with a warning line), so a
 * broker with a runaway number of groups cannot make a scrape unbounded.
 */
export const MAX_LAG_SERIES = 10_000

/** Group states Kafka's GroupMetadataManager counts (NumGroupsStable, ...). */
const GROUP_STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty'] as const

/** One API's counters: kept by Connection for the request's whole life. */
export interface RequestMetrics {
  readonly requests: Counter
  readonly totalTimeMs: Histogram
  readonly requestBytes: Counter
  readonly responseBytes: Counter
}

/** BrokerTopicMetrics of one topic. */
interface TopicMetrics {
  readonly bytesIn: Counter
  readonly bytesOut: Counter
  readonly messagesIn: Counter
}

export interface ApiName { readonly key: number, readonly name: string }

export class BrokerMetrics {
  readonly registry = new MetricsRegistry()
  private readonly byKey: Array<RequestMetrics | undefined> = []
  private readonly topics = new Map<string, TopicMetrics>()
  private readonly bytesIn: MetricFamily<Counter>
  private readonly bytesOut: MetricFamily<Counter>
  private readonly messagesIn: MetricFamily<Counter>
  private readonly startTime = Date.now()
  private broker: Broker | null = null
  private lagCutLogged = false

  constructor (apis: readonly ApiName[]) {
    const r = this.registry
    const requests = r.counter('kafka_network_requestmetrics_requests_total', 'Requests received, by API (RequestsPerSec).', ['request'])
    const totalTime = r.histogram('kafka_network_requestmetrics_totaltimems', 'Time from taking a request off its connection to writing its response, in ms (TotalTimeMs).', REQUEST_TIME_BUCKETS_MS, ['request'])
    const requestBytes = r.counter('kafka_network_requestmetrics_requestbytes_total', 'Bytes of requests received, by API, size prefix included (RequestBytes).', ['request'])
    const responseBytes = r.counter('kafka_network_requestmetrics_responsebytes_total', 'Bytes of responses sent, by API, size prefix included.', ['request'])
    for (const a of apis) {
      this.byKey[a.key] = {
        requests: requests.labels(a.name),
        totalTimeMs: totalTime.labels(a.name),
        requestBytes: requestBytes.labels(a.name),
        responseBytes: responseBytes.labels(a.name),
      }
    }
    this.bytesIn = r.counter('kafka_server_brokertopicmetrics_bytesin_total', 'Record bytes appended by producers, by topic (BytesInPerSec).', ['topic'])
    this.bytesOut = r.counter('kafka_server_brokertopicmetrics_bytesout_total', 'Record bytes sent to consumers, by topic (BytesOutPerSec).', ['topic'])
    this.messagesIn = r.counter('kafka_server_brokertopicmetrics_messagesin_total', 'Records appended by producers, by topic (MessagesInPerSec).', ['topic'])
    r.beforeRender(() => this.forgetDeletedTopics())
    r.collect(out => this.collectBroker(out))
    r.collect(out => this.collectGroups(out))
    r.collect(out => this.collectProcess(out))
  }

  /** The broker whose state the scrape-time gauges read. */
  attach (broker: Broker): void { this.broker = broker }

  /** The counters of an API served by the broker (undefined for a key it does not serve). */
  request (apiKey: number): RequestMetrics | undefined { return this.byKey[apiKey] }

  private topic (name: string): TopicMetrics {
    let t = this.topics.get(name)
    if (t === undefined) {
      t = { bytesIn: this.bytesIn.labels(name), bytesOut: this.bytesOut.labels(name), messagesIn: this.messagesIn.labels(name) }
      this.topics.set(name, t)
    }
    return t
  }

  /**
   * A Produce request and its response (null for acks=0, which has none): the records of each
   * partition that was appended (errorCode 0) count as bytes and messages in.
   */
  onProduce (request: unknown, response: unknown): void {
    const topicData = field(request, 'topicData')
    const responses = response === null ? null : field(response, 'responses')
    if (!Array.isArray(topicData)) return
    for (let i = 0; i < topicData.length; i++) {
      const t: unknown = topicData[i]
      const name = field(t, 'name')
      const partitions = field(t, 'partitionData')
      if (typeof name !== 'string' || !Array.isArray(partitions)) continue
      const answers = Array.isArray(responses) ? field(responses[i], 'partitionResponses') : null
      let m: TopicMetrics | undefined
      for (let j = 0; j < partitions.length; j++) {
        const records = field(partitions[j], 'records')
        if (!Buffer.isBuffer(records) || records.length === 0) continue
        if (Array.isArray(answers) && field(answers[j], 'errorCode') !== 0) continue
        m ??= this.topic(name)
        m.bytesIn.inc(records.length)
        m.messagesIn.inc(countRecords(records))
      }
    }
  }

  /** A Fetch response: the records of each partition count as bytes out. */
  onFetch (response: unknown): void {
    const responses = field(response, 'responses')
    if (!Array.isArray(responses)) return
    for (const t of responses as unknown[]) {
      const partitions = field(t, 'partitions')
      if (!Array.isArray(partitions)) continue
      let bytes = 0
      for (const p of partitions as unknown[]) {
        const records = field(p, 'records')
        if (Buffer.isBuffer(records)) bytes += records.length
      }
      if (bytes === 0) continue
      let name = field(t, 'topic')
      if (typeof name !== 'string' || name === '') {
        const id = field(t, 'topicId')
        name = typeof id === 'string' ? this.broker?.metadata.topicById(id)?.name : undefined
      }
      if (typeof name === 'string') this.topic(name).bytesOut.inc(bytes)
    }
  }

  /** Counters of deleted topics go, as Kafka removes a deleted topic's BrokerTopicMetrics. */
  private forgetDeletedTopics (): void {
    const broker = this.broker
    if (broker === null) return
    for (const name of this.topics.keys()) {
      if (broker.metadata.topic(name) === undefined) {
        this.topics.delete(name)
        this.bytesIn.remove(name)
        this.bytesOut.remove(name)
        this.messagesIn.remove(name)
      }
    }
  }

  private collectBroker (out: PrometheusWriter): void {
    const broker = this.broker
    if (broker === null) return
    out.family('kafka_server_socket_server_metrics_connection_count', 'gauge', 'Open client connections (socket-server-metrics connection-count).')
    out.sample('kafka_server_socket_server_metrics_connection_count', [], [], broker.connectionCount)

    const rows: Array<{ labels: string[], info: PartitionInfo }> = []
    for (const t of broker.metadata.allTopics()) {
      for (let p = 0; p < t.partitions; p++) {
        const info = broker.replicaManager.partitionInfo(t.name, p)
        if (info !== undefined) rows.push({ labels: [t.name, String(p)], info })
      }
    }
    // The format wants each family's samples together: one pass per family.
    const labels = ['topic', 'partition']
    const families: Array<[string, string, (i: PartitionInfo) => number]> = [
      ['kafka_log_log_size', 'Bytes of a partition\'s log on disk (Log Size).', i => i.sizeInBytes],
      ['kafka_log_log_logstartoffset', 'First offset of a partition\'s log (Log LogStartOffset).', i => i.logStartOffset],
      ['kafka_log_log_logendoffset', 'Next offset a partition\'s log assigns (Log LogEndOffset).', i => i.logEndOffset],
      ['kafka_cluster_partition_highwatermark', 'High watermark of a partition: consumers read up to it.', i => i.highWatermark],
    ]
    for (const [name, help, value] of families) {
      out.family(name, 'gauge', help)
      for (const r of rows) out.sample(name, labels, r.labels, value(r.info))
    }
    out.family('kafka_server_replicamanager_partitioncount', 'gauge', 'Partitions this broker leads (ReplicaManager PartitionCount).')
    out.sample('kafka_server_replicamanager_partitioncount', [], [], rows.length)
    out.family('kafka_controller_kafkacontroller_globaltopiccount', 'gauge', 'Topics in the cluster (KafkaController GlobalTopicCount).')
    out.sample('kafka_controller_kafkacontroller_globaltopiccount', [], [], broker.metadata.topicCount)
  }

  private async collectGroups (out: PrometheusWriter): Promise<void> {
    const broker = this.broker
    if (broker === null) return
    const listed = broker.groupCoordinator.listGroups([], [])
    if (listed.errorCode !== 0) return // still loading: no group figures rather than wrong ones
    const numGroups = 'kafka_coordinator_group_groupmetadatamanager_numgroups'
    out.family(numGroups, 'gauge', 'Consumer groups (GroupMetadataManager NumGroups).')
    out.sample(numGroups, [], [], listed.groups.length)
    for (const state of GROUP_STATES) {
      const name = `${numGroups}${state.toLowerCase()}`
      out.family(name, 'gauge', `Consumer groups in state ${state} (GroupMetadataManager NumGroups${state}).`)
      out.sample(name, [], [], listed.groups.filter(g => g.groupState === state).length)
    }

    const rows: Array<{ labels: string[], committed: number, lag: number }> = []
    for (const g of listed.groups) {
      const fetched = await broker.groupCoordinator.fetchOffsets(g.groupId, null, false)
      if (fetched.errorCode !== 0) continue
      for (const t of fetched.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0 || p.committedOffset < 0n) continue
          const info = broker.replicaManager.partitionInfo(t.name, p.partitionIndex)
          if (info === undefined) continue
          if (rows.length >= MAX_LAG_SERIES) {
            if (!this.lagCutLogged) broker.logger.warn({ max: MAX_LAG_SERIES }, 'consumer lag series cut at MAX_LAG_SERIES in /metrics')
            this.lagCutLogged = true
            continue
          }
          const committed = Number(p.committedOffset)
          rows.push({ labels: [g.groupId, t.name, String(p.partitionIndex)], committed, lag: Math.max(0, info.highWatermark - committed) })
        }
      }
    }
    const labels = ['consumergroup', 'topic', 'partition']
    out.family('kafka_consumergroup_current_offset', 'gauge', 'Committed offset of a group on a partition.')
    for (const r of rows) out.sample('kafka_consumergroup_current_offset', labels, r.labels, r.committed)
    out.family('kafka_consumergroup_lag', 'gauge', 'High watermark minus the committed offset of a group on a partition (0 when the commit is ahead).')
    for (const r of rows) out.sample('kafka_consumergroup_lag', labels, r.labels, r.lag)
  }

  private collectProcess (out: PrometheusWriter): void {
    const cpu = process.cpuUsage()
    out.family('process_cpu_seconds_total', 'counter', 'User and system CPU time of the broker process, in seconds.')
    out.sample('process_cpu_seconds_total', [], [], (cpu.user + cpu.system) / 1e6)
    out.family('process_resident_memory_bytes', 'gauge', 'Resident set size of the broker process.')
    out.sample('process_resident_memory_bytes', [], [], process.memoryUsage.rss())
    out.family('process_start_time_seconds', 'gauge', 'When the broker\'s metrics started, in seconds since the epoch.')
    out.sample('process_start_time_seconds', [], [], this.startTime / 1000)
  }
}

/** A property of an object from the codec, or undefined. */
function field (o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined
}

/**
 * Records in a produce request's records field: v2 batches give their count (int32 at byte 57);
 * a legacy (magic 0/1) message counts as one. Both formats put the entry's length at byte 8 and
 * the magic byte at 16, so one walk serves both; a torn tail ends the walk.
 */
export function countRecords (buf: Buffer): number {
  let n = 0
  let pos = 0
  while (pos + 17 <= buf.length) {
    const length = buf.readInt32BE(pos + 8)
    if (length <= 0) break
    if (buf[pos + 16] === 2) {
      if (pos + 61 > buf.length) break
      n += buf.readInt32BE(pos + 57)
    } else {
      n += 1
    }
    pos += 12 + length
  }
  return n
}
