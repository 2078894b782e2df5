// The interop peers: every program or library outside samsa that a test talks to. Each entry
// knows how to find the peer on this machine and the one command that installs it.
//
// A test asks for a peer with `const kcat = await requirePeer(t, 'kcat')`:
// - found: it gets the resolved path (or, for Apache Kafka, the java binary and the jar folder);
// - missing under CI=true: the test fails, naming the install command (a green CI must not hide
//   a missing install step);
// - missing elsewhere: the test is reported as skipped with that command, and gets undefined, so
//   `npm test` passes on a machine that only ran `npm install`.
//
// `.ci/setup` installs every peer and exports where it put them (SAMSA_KAFKA_LIBS,
// SAMSA_VENV_PYTHON, SAMSA_DEBIAN_PYTHON). Without those variables the same default locations
// under SAMSA_CACHE (default ~/.cache/samsa) are searched, so a developer running `npm test` by
// hand finds what `.ci/setup` installed earlier.
//
// `node test/helpers/peers.ts` prints what was found; .ci/run does so before the tests.

import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { access, constants, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KAFKA_POM = join(REPO_ROOT, '.ci', 'kafka', 'pom.xml')

/** Where a detection probe (`python -c`, `java -version`) gives up: a cold start on a loaded 2-core box. */
const PROBE_TIMEOUT_MS = 30_000

/** Apache Kafka as `java -cp '<libs>/*'` runs it. */
export interface KafkaJars {
  java: string
  /** the folder holding every jar of .ci/kafka/pom.xml */
  libs: string
  /** Apache Kafka's version, from the pom */
  version: string
}

/** What requirePeer() resolves each peer to. */
export interface PeerValues {
  kcat: string
  /** Debian's python3-kafka: the interpreter that imports it */
  'kafka-python-debian': string
  /** the newest kafka-python from PyPI: the venv's interpreter */
  'kafka-python': string
  /** Debian's python3-confluent-kafka (librdkafka from Debian): the interpreter that imports it */
  'confluent-kafka-debian': string
  /** the newest confluent-kafka from PyPI (bundles its own librdkafka): the venv's interpreter */
  'confluent-kafka': string
  /** Apache Kafka's broker, tools and Java client */
  kafka: KafkaJars
  /** the npm package, as a URL to import() */
  kafkajs: string
  /** the npm package, as a URL to import() */
  '@platformatic/kafka': string
  chromium: string
}
export type PeerName = keyof PeerValues

interface Found<V> { value: V, version: string }
interface Missing { missing: string }
type Detection<V> = Found<V> | Missing

interface Peer<V> {
  /** the one command that installs it, as a person would type it */
  install: () => Promise<string>
  detect: () => Promise<Detection<V>>
}

export function samsaCacheDir (): string {
  return process.env.SAMSA_CACHE || join(homedir(), '.cache', 'samsa')
}

/** Apache Kafka's version as .ci/kafka/pom.xml pins it. */
export async function kafkaVersion (): Promise<string> {
  const pom = await readFile(KAFKA_POM, 'utf8')
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1]
  if (version === undefined) throw new Error(`no <kafka.version> in ${KAFKA_POM}`)
  return version
}

/** The stamp .ci/setup writes beside the jars: the pom's sha256, so editing the pom refetches them. */
export async function kafkaPomStamp (): Promise<string> {
  return createHash('sha256').update(await readFile(KAFKA_POM)).digest('hex')
}

async function isExecutable (path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

/** `which`: the first executable called `name` on PATH. */
export async function findOnPath (name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, name)
    if (await isExecutable(candidate)) return candidate
  }
  return undefined
}

interface Run { code: number | null, stdout: string, stderr: string }

function run (file: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
      resolve({ code, stdout, stderr: error !== null && stderr === '' ? error.message : stderr })
    })
  })
}

function firstLine (text: string): string {
  return text.trim().split('\n')[0] ?? ''
}

function pythonPeer (
  pythonPath: () => string, module: string, versionExpr: string, install: () => Promise<string>,
): Peer<string> {
  return {
    install,
    async detect () {
      const python = pythonPath()
      if (!(await isExecutable(python))) return { missing: `no ${python}` }
      const probe = await run(python, ['-c', `import ${module}; print(${versionExpr})`])
      if (probe.code !== 0) return { missing: `${python} cannot import ${module}: ${firstLine(probe.stderr)}` }
      return { value: python, version: firstLine(probe.stdout) }
    },
  }
}

const debianPython = (): string => process.env.SAMSA_DEBIAN_PYTHON || '/usr/bin/python3'
const venvPython = (): string => process.env.SAMSA_VENV_PYTHON || join(samsaCacheDir(), 'venv', 'bin', 'python')
const installVenv = async (): Promise<string> => 'bash .ci/setup venv'
const KAFKA_PYTHON_VERSION = 'kafka.__version__'
const CONFLUENT_KAFKA_VERSION = "confluent_kafka.__version__ + ' (librdkafka ' + confluent_kafka.libversion()[0] + ')'"

function npmPeer (name: string): Peer<string> {
  return {
    install: async () => `npm install -D ${name}`,
    async detect () {
      let url: string
      try {
        url = import.meta.resolve(name)
      } catch {
        return { missing: `npm package ${name} is not installed` }
      }
      let version = '?'
      try {
        const pkg: unknown = JSON.parse(await readFile(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'))
        if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') version = pkg.version
      } catch {}
      return { value: url, version }
    },
  }
}

async function findJava (): Promise<Found<string> | Missing> {
  const javaHome = process.env.JAVA_HOME
  const java = javaHome ? join(javaHome, 'bin', 'java') : await findOnPath('java')
  if (java === undefined || !(await isExecutable(java))) return { missing: 'no java on PATH' }
  const probe = await run(java, ['-version'])
  const version = /version "([^"]+)"/.exec(probe.stderr)?.[1]
  if (probe.code !== 0 || version === undefined) return { missing: `${java} -version failed: ${firstLine(probe.stderr)}` }
  const major = Number(version.startsWith('1.') ? version.split('.')[1] : version.split(/[.+-]/)[0])
  // Kafka 4's broker and tools need Java 17.
  if (!(major >= 17)) return { missing: `${java} is Java ${version}; Apache Kafka's broker needs 17 or newer` }
  return { value: java, version }
}

const peers: { [N in PeerName]: Peer<PeerValues[N]> } = {
  kcat: {
    install: async () => 'apt-get install -y kcat',
    async detect () {
      const kcat = await findOnPath('kcat')
      if (kcat === undefined) return { missing: 'no kcat on PATH' }
      const probe = await run(kcat, ['-V'])
      const version = /^Version (\S+).*?(librdkafka \S+)/m.exec(probe.stdout)
      return { value: kcat, version: version ? `${version[1]} (${version[2]})` : firstLine(probe.stdout) }
    },
  },
  'kafka-python-debian': pythonPeer(debianPython, 'kafka', KAFKA_PYTHON_VERSION, async () => 'apt-get install -y python3-kafka'),
  'kafka-python': pythonPeer(venvPython, 'kafka', KAFKA_PYTHON_VERSION, installVenv),
  'confluent-kafka-debian': pythonPeer(debianPython, 'confluent_kafka', CONFLUENT_KAFKA_VERSION, async () => 'apt-get install -y python3-confluent-kafka'),
  'confluent-kafka': pythonPeer(venvPython, 'confluent_kafka', CONFLUENT_KAFKA_VERSION, installVenv),
  kafka: {
    async install () {
      const java = await findJava()
      return 'missing' in java ? 'apt-get install -y openjdk-17-jre-headless && bash .ci/setup kafka' : 'bash .ci/setup kafka'
    },
    async detect () {
      const java = await findJava()
      if ('missing' in java) return java
      const version = await kafkaVersion()
      const explicit = process.env.SAMSA_KAFKA_LIBS
      const libs = explicit || join(samsaCacheDir(), `kafka-${version}`, 'libs')
      for (const jar of [`kafka_2.13-${version}.jar`, `kafka-tools-${version}.jar`, `kafka-clients-${version}.jar`]) {
        if (!(await exists(join(libs, jar)))) return { missing: `no ${jar} in ${libs}` }
      }
      if (!explicit) {
        // Jars fetched from an older pom (say, a logging backend that left Kafka silent) are stale.
        let stamp = ''
        try {
          stamp = (await readFile(join(libs, '.pom.sha256'), 'utf8')).trim()
        } catch {}
        if (stamp !== await kafkaPomStamp()) return { missing: `the jars in ${libs} were not fetched from the current .ci/kafka/pom.xml` }
      }
      return { value: { java: java.value, libs: resolve(libs), version }, version: `${version} (java ${java.version})` }
    },
  },
  kafkajs: npmPeer('kafkajs'),
  '@platformatic/kafka': npmPeer('@platformatic/kafka'),
  chromium: {
    install: async () => 'apt-get install -y chromium',
    async detect () {
      const chromium = process.env.SAMSA_CHROMIUM || await findOnPath('chromium') || await findOnPath('chromium-browser')
      if (chromium === undefined || !(await isExecutable(chromium))) return { missing: 'no chromium on PATH' }
      const probe = await run(chromium, ['--version'])
      if (probe.code !== 0) return { missing: `${chromium} --version failed: ${firstLine(probe.stderr)}` }
      return { value: chromium, version: firstLine(probe.stdout).replace(/^Chromium\s+/, '') }
    },
  },
}

export const PEER_NAMES = Object.keys(peers) as PeerName[]

// One detection per peer and process: the answers do not change while the tests run.
const detections = new Map<PeerName, Promise<unknown>>()

/** Looks for a peer without failing or skipping anything. */
export function detectPeer<N extends PeerName> (name: N): Promise<Detection<PeerValues[N]>> {
  let detection = detections.get(name)
  if (detection === undefined) {
    detection = peers[name].detect()
    detections.set(name, detection)
  }
  return detection as Promise<Detection<PeerValues[N]>>
}

/** The peer's value, or undefined when it is missing. */
export async function findPeer<N extends PeerName> (name: N): Promise<PeerValues[N] | undefined> {
  const detection = await detectPeer(name)
  return 'missing' in detection ? undefined : detection.value
}

/** The command that installs a peer. */
export function installCommand (name: PeerName): Promise<string> {
  return peers[name].install()
}

/** Why a peer is missing and how to install it, for errors outside a test (scripts, helpers). */
export async function missingPeerMessage (name: PeerName): Promise<string | undefined> {
  const detection = await detectPeer(name)
  if (!('missing' in detection)) return undefined
  return `${name} missing (${detection.missing}): install with \`${await installCommand(name)}\``
}

/**
 * The peer's value for a test that needs it. When it is missing: under CI=true the test fails;
 * elsewhere the test is skipped, naming the install command, and the caller gets undefined
 * (`if (!kcat) return`).
 */
export async function requirePeer<N extends PeerName> (t: TestContext, name: N): Promise<PeerValues[N] | undefined> {
  const detection = await detectPeer(name)
  if (!('missing' in detection)) return detection.value
  const message = `${name} missing (${detection.missing}): install with \`${await installCommand(name)}\``
  if (process.env.CI === 'true') throw new Error(`${message} [CI=true: a missing peer fails]`)
  t.skip(message)
  return undefined
}

/** One line per peer: what was found, or why not and the install command. */
export async function describePeers (): Promise<string> {
  const lines = await Promise.all(PEER_NAMES.map(async (name) => {
    const detection = await detectPeer(name)
    const label = name.padEnd(24)
    if ('missing' in detection) return `${label} MISSING ${detection.missing}; install: ${await installCommand(name)}`
    const value = detection.value
    const where = typeof value === 'string' ? value : value.libs
    return `${label} ${detection.version.padEnd(26)} ${where}`
  }))
  return lines.join('\n')
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(await describePeers() + '\n')
}
