// kafka-python compresses with optional modules (python-snappy, lz4, zstandard), which neither
// Debian's python3-kafka nor `pip install kafka-python` pulls in. A codec row needs its module:
// like a missing peer, a missing module fails the test under CI=true and skips it elsewhere,
// naming the command that installs it.

import { execFile } from 'node:child_process'
import type { TestContext } from 'node:test'
import type { Codec } from './records.ts'

const PROBE_TIMEOUT_MS = 30_000
const PROBE = 'import json, kafka.codec as c; print(json.dumps({"gzip": c.has_gzip(), "snappy": c.has_snappy(), "lz4": c.has_lz4(), "zstd": c.has_zstd()}))'

/** The packages providing each codec: Debian's for /usr/bin/python3, PyPI's for a venv. */
const DEBIAN_PACKAGES: Partial<Record<Codec, string>> = { snappy: 'python3-snappy', lz4: 'python3-lz4', zstd: 'python3-zstandard' }
const PYPI_PACKAGES: Partial<Record<Codec, string>> = { snappy: 'python-snappy', lz4: 'lz4', zstd: 'zstandard' }

const probes = new Map<string, Promise<Record<string, boolean>>>()

function probe (python: string): Promise<Record<string, boolean>> {
  let p = probes.get(python)
  if (p === undefined) {
    p = new Promise((resolve, reject) => {
      execFile(python, ['-c', PROBE], { timeout: PROBE_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`${python} cannot import kafka.codec: ${stderr || error.message}`))
        else resolve(JSON.parse(stdout) as Record<string, boolean>)
      })
    })
    probes.set(python, p)
  }
  return p
}

export async function kafkaPythonHasCodec (python: string, codec: Codec): Promise<boolean> {
  return codec === 'none' || (await probe(python))[codec] === true
}

export function kafkaPythonCodecInstall (python: string, codec: Codec): string {
  return python.startsWith('/usr/bin/')
    ? `apt-get install -y ${DEBIAN_PACKAGES[codec] ?? '?'}`
    : `${python} -m pip install ${PYPI_PACKAGES[codec] ?? '?'}`
}

/** true when the codec can be used; otherwise fails (CI=true) or skips the test, naming the install command. */
export async function requireKafkaPythonCodec (t: TestContext, python: string, codec: Codec): Promise<boolean> {
  if (await kafkaPythonHasCodec(python, codec)) return true
  const message = `kafka-python under ${python} has no ${codec} module: install with \`${kafkaPythonCodecInstall(python, codec)}\``
  if (process.env.CI === 'true') throw new Error(`${message} [CI=true: a missing peer fails]`)
  t.skip(message)
  return false
}
