// The interop matrix, declared once: which clients samsa is tested with, which scenarios each
// runs, the test file that proves each row, and what that test currently shows against samsa.
// The interop tests iterate over these rows (matrixRows), and docs/compatibility.md is rendered
// from them (src/config/renderDocs.ts), so the published matrix says what the tests prove:
// - a row with samsa: 'pass' is a test that must pass against samsa;
// - a row with samsa: { fails } is a test that runs and must FAIL, with the cause written down:
//   when samsa is fixed the test fails too, asking for the row to be marked 'pass';
// - every row is also run against Apache Kafka (test/interop/reference.test.ts), which proves
//   the driver itself;
// - what a client cannot do at all (a codec it lacks) is not a row: it is listed in `lacks`.
// Versions are the ones the tests ran with; test/interop/matrix.test.ts fails when an installed
// client differs from what is declared here (update the version, rerun, `npm run docs`).
//
// Data only: src/config/renderDocs.ts imports this file.

/** Apache Kafka's version in .ci/kafka/pom.xml: the reference broker and the Java tools (checked by matrix.test.ts). */
export const REFERENCE_KAFKA_VERSION = '4.4.0'

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
export const CODECS: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

export type ClientId =
  | 'kafka-python-2.0.2' | 'kafka-python' | 'confluent-kafka-debian' | 'confluent-kafka' | 'kcat'
  | 'kafkajs' | 'platformatic' | 'kafka-console' | 'kafka-topics' | 'kafka-java' | 'kafka-consumer-groups'

/** Peer names as test/helpers/peers.ts knows them. */
export type PeerId =
  | 'kafka-python-debian' | 'kafka-python' | 'confluent-kafka-debian' | 'confluent-kafka' | 'kcat'
  | 'kafkajs' | '@platformatic/kafka' | 'kafka'

export interface ClientInfo {
  id: ClientId
  /** as the docs name it */
  name: string
  /** the installed version the tests ran with, as `node test/helpers/peers.ts` prints it (a prefix of it) */
  version: string
  /** where this version comes from */
  source: string
  peer: PeerId
  /** what the client cannot do, each with why: these are properties of the client, not tests */
  lacks: readonly string[]
}

export const CLIENTS: readonly ClientInfo[] = [
  {
    id: 'kafka-python-2.0.2', name: 'kafka-python', version: '2.0.2', source: 'Debian 12 python3-kafka', peer: 'kafka-python-debian',
    lacks: [],
  },
  {
    id: 'kafka-python', name: 'kafka-python', version: '3.0.12', source: 'newest on PyPI', peer: 'kafka-python',
    lacks: [],
  },
  {
    id: 'confluent-kafka-debian', name: 'confluent-kafka (Python)', version: '1.7.0 (librdkafka 2.0.2)', source: 'Debian 12 python3-confluent-kafka', peer: 'confluent-kafka-debian',
    lacks: [],
  },
  {
    id: 'confluent-kafka', name: 'confluent-kafka (Python)', version: '2.16.1 (librdkafka 2.16.0)', source: 'newest on PyPI', peer: 'confluent-kafka',
    lacks: [],
  },
  {
    id: 'kcat', name: 'kcat', version: '1.7.1 (librdkafka 2.0.2)', source: 'Debian 12 kcat', peer: 'kcat',
    lacks: ['headers are set per `kcat -P` run (-H), not per record'],
  },
  {
    id: 'kafkajs', name: 'kafkajs', version: '2.2.4', source: 'npm', peer: 'kafkajs',
    lacks: ['snappy, lz4 and zstd: only gzip is built in (other codecs need user-supplied code)'],
  },
  {
    id: 'platformatic', name: '@platformatic/kafka', version: '2.12.1', source: 'npm', peer: '@platformatic/kafka',
    lacks: [],
  },
  {
    id: 'kafka-console', name: 'kafka-console-producer / kafka-console-consumer', version: REFERENCE_KAFKA_VERSION, source: 'Apache Kafka jars', peer: 'kafka',
    lacks: ['binary values: the console producer reads lines of UTF-8 text'],
  },
  {
    id: 'kafka-topics', name: 'kafka-topics', version: REFERENCE_KAFKA_VERSION, source: 'Apache Kafka jars', peer: 'kafka',
    lacks: [],
  },
  {
    id: 'kafka-java', name: 'Apache Kafka Java consumer', version: REFERENCE_KAFKA_VERSION, source: 'Apache Kafka jars', peer: 'kafka',
    lacks: [],
  },
  {
    id: 'kafka-consumer-groups', name: 'kafka-consumer-groups', version: REFERENCE_KAFKA_VERSION, source: 'Apache Kafka jars', peer: 'kafka',
    lacks: [],
  },
]

export type ScenarioId = `roundtrip-${Codec}` | 'group' | 'exercise' | 'topics' | 'kip848' | 'group-mixed' | 'exercise-group' | 'consumer-groups'

export interface ScenarioInfo { id: ScenarioId, title: string, description: string }

export const SCENARIOS: readonly ScenarioInfo[] = [
  ...CODECS.map((codec): ScenarioInfo => ({
    id: `roundtrip-${codec}`,
    title: codec,
    description: `produce JSON and binary records (keys, null keys, headers) with ${codec === 'none' ? 'no compression' : codec}, consume them from the beginning, compare exactly`,
  })),
  {
    id: 'group',
    title: 'group',
    description: 'consume in a consumer group and commit; produce more; a new consumer process in the same group gets exactly the new records',
  },
  {
    id: 'exercise',
    title: 'exercise',
    description: 'examples/producer.py and examples/consumer.py: a consumer started late prints every reading, those sent before it started included; a fresh one prints all readings, old and new, after a clean broker restart and again after kill -9',
  },
  {
    id: 'topics',
    title: 'topics',
    description: 'kafka-topics --create (with and without --partitions, with --config), --list, --describe, --delete',
  },
  {
    id: 'kip848',
    title: 'KIP-848 group',
    description: 'group.protocol=consumer (server-side assignor): two members share a 6-partition topic while a producer writes; a third joins mid-stream, then the first leaves; each partition held by one member at a time (from the clients\' assignment callbacks), records read only by their owner, every record consumed',
  },
  {
    id: 'group-mixed',
    title: 'mixed classic group',
    description: 'kafka-python, kafkajs, confluent-kafka and the Java consumer in one classic group (the `roundrobin` assignor; kafkajs registers its round-robin under that name) on a 6-partition topic while a producer writes; the kafka-python member is killed with -9 and the others take its partitions after its session timeout; ownership exclusive throughout, every record consumed at least once',
  },
  {
    id: 'exercise-group',
    title: 'exercise with --group',
    description: 'examples/consumer.py --group resumes after its own restart and after the broker is killed with -9 and restarted, without re-reading what it committed',
  },
  {
    id: 'consumer-groups',
    title: 'consumer-groups',
    description: 'kafka-consumer-groups on a classic and a KIP-848 group: --list (--state --type), --describe (lag, --state, --members, an unknown group), --reset-offsets --to-earliest --execute, --delete-offsets, --delete: the same output as from Apache Kafka, hosts, ports, node ids and generated member ids aside',
  },
]

/** What the row's test shows against samsa. */
export type SamsaStatus = 'pass' | { fails: string }

export interface MatrixRow {
  client: ClientId
  scenario: ScenarioId
  /** the test file, from the repository root, that runs this row against samsa */
  test: string
  samsa: SamsaStatus
}

const roundtrips = (client: ClientId, codecs: readonly Codec[], test: string): MatrixRow[] =>
  codecs.map(codec => ({ client, scenario: `roundtrip-${codec}`, test, samsa: 'pass' }))

export const ROWS: readonly MatrixRow[] = [
  ...roundtrips('kafka-python-2.0.2', CODECS, 'test/interop/python.test.ts'),
  ...roundtrips('kafka-python', CODECS, 'test/interop/python.test.ts'),
  ...roundtrips('confluent-kafka-debian', CODECS, 'test/interop/python.test.ts'),
  ...roundtrips('confluent-kafka', CODECS, 'test/interop/python.test.ts'),
  ...roundtrips('kcat', CODECS, 'test/interop/kcat.test.ts'),
  ...roundtrips('kafkajs', ['none', 'gzip'], 'test/interop/node.test.ts'),
  ...roundtrips('platformatic', CODECS, 'test/interop/node.test.ts'),
  ...roundtrips('kafka-console', CODECS, 'test/interop/kafkaTools.test.ts'),
  ...(['kafka-python-2.0.2', 'kafka-python', 'confluent-kafka-debian', 'confluent-kafka'] as const)
    .map((client): MatrixRow => ({ client, scenario: 'group', test: 'test/interop/python.test.ts', samsa: 'pass' })),
  { client: 'kcat', scenario: 'group', test: 'test/interop/kcat.test.ts', samsa: 'pass' },
  { client: 'kafkajs', scenario: 'group', test: 'test/interop/node.test.ts', samsa: 'pass' },
  { client: 'platformatic', scenario: 'group', test: 'test/interop/node.test.ts', samsa: 'pass' },
  { client: 'kafka-console', scenario: 'group', test: 'test/interop/kafkaTools.test.ts', samsa: 'pass' },
  { client: 'kafka-topics', scenario: 'topics', test: 'test/interop/kafkaTools.test.ts', samsa: 'pass' },
  { client: 'kafka-python-2.0.2', scenario: 'exercise', test: 'test/interop/exercise.test.ts', samsa: 'pass' },
  { client: 'kafka-python', scenario: 'exercise', test: 'test/interop/exercise.test.ts', samsa: 'pass' },
  ...(['confluent-kafka', 'kafka-java'] as const).map((client): MatrixRow => ({ client, scenario: 'kip848', test: 'test/interop/groups.test.ts', samsa: 'pass' })),
  ...(['kafka-python', 'kafkajs', 'confluent-kafka', 'kafka-java'] as const)
    .map((client): MatrixRow => ({ client, scenario: 'group-mixed', test: 'test/interop/groups.test.ts', samsa: 'pass' })),
  ...(['kafka-python-2.0.2', 'kafka-python'] as const).map((client): MatrixRow => ({ client, scenario: 'exercise-group', test: 'test/interop/groups.test.ts', samsa: 'pass' })),
  { client: 'kafka-consumer-groups', scenario: 'consumer-groups', test: 'test/interop/groups.test.ts', samsa: 'pass' },
]

/** The test file that runs every row against Apache Kafka, proving the drivers. */
export const REFERENCE_TESTS: Readonly<Partial<Record<ScenarioId, string>>> = {
  exercise: 'test/interop/exercise.reference.test.ts',
  kip848: 'test/interop/groups.reference.test.ts',
  'group-mixed': 'test/interop/groups.reference.test.ts',
  'exercise-group': 'test/interop/groups.reference.test.ts',
  'consumer-groups': 'test/interop/groups.reference.test.ts',
}
export const REFERENCE_TEST = 'test/interop/reference.test.ts'

export function referenceTestFor (row: MatrixRow): string {
  return REFERENCE_TESTS[row.scenario] ?? REFERENCE_TEST
}

export function clientInfo (id: ClientId): ClientInfo {
  const info = CLIENTS.find(c => c.id === id)
  if (info === undefined) throw new Error(`no client ${id} in the matrix`)
  return info
}

/** The rows a test file runs: `matrixRows(import.meta.url)`, or the rows of one client. */
export function matrixRows (testFileUrl: string, client?: ClientId): MatrixRow[] {
  const path = decodeURIComponent(new URL(testFileUrl).pathname)
  return ROWS.filter(r => path.endsWith('/' + r.test) && (client === undefined || r.client === client))
}

export function rowName (row: MatrixRow): string {
  return `${row.client} ${row.scenario}`
}
