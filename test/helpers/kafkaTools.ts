// Apache Kafka's own command-line tools, run from the jars of .ci/kafka/pom.xml with no Kafka
// distribution: each bin/kafka-*.sh script is `java -cp '<libs>/*' <main class> args`, so this
// file keeps the script name -> main class table and runs the JVM itself.
//
// Also spawnJava(), shared with referenceKafka.ts: every JVM started here is killed when the test
// process exits, however it exits (see the watchdog below).

import { type ChildProcess, spawn, type StdioOptions } from 'node:child_process'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { findPeer, type KafkaJars, missingPeerMessage } from './peers.ts'

/** The scripts of Kafka 4.4's bin/ and the classes they run (most moved to org.apache.kafka.tools in 4.x). */
export const KAFKA_TOOL_MAIN_CLASSES = {
  'kafka-acls': 'org.apache.kafka.tools.AclCommand',
  'kafka-broker-api-versions': 'org.apache.kafka.tools.BrokerApiVersionsCommand',
  'kafka-client-metrics': 'org.apache.kafka.tools.ClientMetricsCommand',
  'kafka-cluster': 'org.apache.kafka.tools.ClusterTool',
  'kafka-configs': 'org.apache.kafka.tools.ConfigCommand',
  'kafka-console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'kafka-console-producer': 'org.apache.kafka.tools.ConsoleProducer',
  'kafka-console-share-consumer': 'org.apache.kafka.tools.consumer.ConsoleShareConsumer',
  'kafka-consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'kafka-consumer-perf-test': 'org.apache.kafka.tools.ConsumerPerformance',
  'kafka-delete-records': 'org.apache.kafka.tools.DeleteRecordsCommand',
  'kafka-dump-log': 'org.apache.kafka.tools.DumpLogSegments',
  'kafka-features': 'org.apache.kafka.tools.FeatureCommand',
  'kafka-get-offsets': 'org.apache.kafka.tools.GetOffsetShell',
  'kafka-groups': 'org.apache.kafka.tools.GroupsCommand',
  'kafka-leader-election': 'org.apache.kafka.tools.LeaderElectionCommand',
  'kafka-log-dirs': 'org.apache.kafka.tools.LogDirsCommand',
  'kafka-metadata-quorum': 'org.apache.kafka.tools.MetadataQuorumCommand',
  'kafka-producer-perf-test': 'org.apache.kafka.tools.ProducerPerformance',
  'kafka-reassign-partitions': 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand',
  'kafka-share-groups': 'org.apache.kafka.tools.consumer.group.ShareGroupCommand',
  'kafka-storage': 'kafka.tools.StorageTool',
  'kafka-streams-groups': 'org.apache.kafka.tools.streams.StreamsGroupCommand',
  'kafka-topics': 'org.apache.kafka.tools.TopicCommand',
  'kafka-transactions': 'org.apache.kafka.tools.TransactionsCommand',
  'kafka-verifiable-consumer': 'org.apache.kafka.tools.VerifiableConsumer',
  'kafka-verifiable-producer': 'org.apache.kafka.tools.VerifiableProducer',
} as const
export type KafkaToolName = keyof typeof KAFKA_TOOL_MAIN_CLASSES

/** log4j2 configs kept in .ci/kafka: the tools log warnings to stderr, the broker logs to a file. */
export const LOG4J2_TOOLS_CONFIG = fileURLToPath(new URL('../../.ci/kafka/log4j2-tools.properties', import.meta.url))
export const LOG4J2_BROKER_CONFIG = fileURLToPath(new URL('../../.ci/kafka/log4j2-broker.properties', import.meta.url))

/**
 * A short-lived tool's JVM: start-up is most of its life, so a small heap, the serial collector
 * and the C1 compiler only (measured here: kafka-topics --list in about 1.2 s).
 */
const TOOL_JVM_ARGS = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1']
/** The perf tools measure the broker, so the client must not be the bottleneck: full JIT, a bigger heap. */
const PERF_TOOL_JVM_ARGS = ['-Xmx512m']
const PERF_TOOLS: ReadonlySet<KafkaToolName> = new Set(['kafka-producer-perf-test', 'kafka-consumer-perf-test'])

/** How long a tool may run before it is killed: JVM start-up plus a client's default timeouts. */
export const KAFKA_TOOL_TIMEOUT_MS = 120_000
/** Output kept per stream; a chattier tool fails rather than grow the test process without bound. */
export const KAFKA_TOOL_MAX_OUTPUT_BYTES = 64 * 1024 * 1024

// Every JVM this process started and has not seen exit.
const liveJvms = new Set<ChildProcess>()
let exitHookInstalled = false

function killLiveJvmsOnExit (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const child of liveJvms) child.kill('SIGKILL')
  })
}

/**
 * Starts `java -cp '<libs>/*' <jvmArgs> <mainClass> <args>`. The JVM never outlives this process:
 * an 'exit' hook kills it on a normal exit, and a watchdog (`sh` blocked reading a pipe from us)
 * kills it when this process dies any other way (SIGKILL, a crash, the test runner's timeout),
 * since the pipe then closes; it then also removes `removeOnOrphan` (a temp dir). The watchdog
 * is killed first when the JVM exits on its own.
 */
export function spawnJava (
  kafka: KafkaJars, jvmArgs: readonly string[], mainClass: string, args: readonly string[],
  options: { stdio: StdioOptions, cwd?: string, env?: NodeJS.ProcessEnv, removeOnOrphan?: string },
): ChildProcess {
  const child = spawn(kafka.java, [
    ...jvmArgs, '-Djava.awt.headless=true', '-cp', `${kafka.libs}/*`, mainClass, ...args,
  ], { stdio: options.stdio, cwd: options.cwd, env: options.env ?? process.env })
  const pid = child.pid
  if (pid === undefined) return child // spawn failed: the 'error' event follows
  killLiveJvmsOnExit()
  liveJvms.add(child)
  const watchdog = spawn('sh', [
    '-c', 'read -r _; kill -9 "$1" 2>/dev/null; if [ -n "$2" ]; then rm -rf -- "$2"; fi',
    'samsa-jvm-watchdog', String(pid), options.removeOnOrphan ?? '',
  ], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true, // its own process group: a Ctrl-C for us must not end it before it did its job
  })
  watchdog.unref()
  ;(watchdog.stdin as Socket | null)?.unref()
  child.once('exit', () => {
    liveJvms.delete(child)
    watchdog.kill('SIGKILL')
  })
  return child
}

/** Apache Kafka's jars and java, or an error naming the command that installs them. */
export async function requireKafkaJars (): Promise<KafkaJars> {
  const kafka = await findPeer('kafka')
  if (kafka === undefined) throw new Error(await missingPeerMessage('kafka'))
  return kafka
}

export interface KafkaToolOptions {
  /** written to the tool's stdin, which is then closed; without it stdin is empty */
  input?: string | Buffer
  timeoutMs?: number
  /** replaces the default JVM flags (heap, collector, compiler) */
  jvmArgs?: readonly string[]
  kafka?: KafkaJars
  env?: NodeJS.ProcessEnv
}

export interface KafkaToolResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs one of Kafka's tools to completion: `runKafkaTool('kafka-topics', ['--bootstrap-server', b, '--list'])`.
 * Resolves with its exit code and output whatever the code; rejects when it outlives timeoutMs
 * (the JVM is killed) or cannot start.
 */
export async function runKafkaTool (tool: KafkaToolName, args: readonly string[], options: KafkaToolOptions = {}): Promise<KafkaToolResult> {
  const kafka = options.kafka ?? await requireKafkaJars()
  const timeoutMs = options.timeoutMs ?? KAFKA_TOOL_TIMEOUT_MS
  const jvmArgs = [
    ...(options.jvmArgs ?? (PERF_TOOLS.has(tool) ? PERF_TOOL_JVM_ARGS : TOOL_JVM_ARGS)),
    `-Dlog4j2.configurationFile=${LOG4J2_TOOLS_CONFIG}`,
  ]
  const child = spawnJava(kafka, jvmArgs, KAFKA_TOOL_MAIN_CLASSES[tool], args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env,
  })
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    let bytes = 0
    let failure: Error | undefined
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length
      if (bytes > KAFKA_TOOL_MAX_OUTPUT_BYTES) {
        failure ??= new Error(`${tool} wrote more than ${KAFKA_TOOL_MAX_OUTPUT_BYTES} bytes; killed`)
        child.kill('SIGKILL')
        return
      }
      into.push(chunk)
    }
    child.stdout?.on('data', collect(stdout))
    child.stderr?.on('data', collect(stderr))
    const timer = setTimeout(() => {
      failure ??= new Error(`${tool} ${args.join(' ')} still running after ${timeoutMs} ms; killed`)
      child.kill('SIGKILL')
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const out = Buffer.concat(stdout).toString('utf8')
      const err = Buffer.concat(stderr).toString('utf8')
      if (failure !== undefined) {
        failure.message += `\n--- stdout\n${out.slice(-4000)}\n--- stderr\n${err.slice(-4000)}`
        reject(failure)
      } else {
        resolve({ code, signal, stdout: out, stderr: err })
      }
    })
    // A tool that exits before reading all of its input makes the write fail with EPIPE: its exit
    // code tells what happened, so the write error itself is not the story.
    child.stdin?.on('error', () => {})
    child.stdin?.end(options.input ?? '')
  })
}

/** runKafkaTool, but a non-zero exit is an error carrying the tool's output. */
export async function runKafkaToolOk (tool: KafkaToolName, args: readonly string[], options: KafkaToolOptions = {}): Promise<KafkaToolResult> {
  const result = await runKafkaTool(tool, args, options)
  if (result.code !== 0) {
    throw new Error(`${tool} ${args.join(' ')} exited with ${result.code ?? result.signal}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`)
  }
  return result
}
