// Summarises a V8 CPU profile (the .cpuprofile `node --cpu-prof` writes): self time per function
// and per source file, largest first. Self time is the time the sampler found a function on top of
// the stack; V8's pseudo-functions ((idle), (garbage collector), (program)) are kept, since the
// time spent idle or collecting garbage is part of the story.
//
//   node bench/cpuProfile.ts <file.cpuprofile> [top]

import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

export interface SelfTime {
  name: string
  ms: number
  /** share of all sampled time, idle included */
  share: number
  /** share of the busy time (idle excluded) */
  busyShare: number
}

export interface ProfileSummary {
  totalMs: number
  idleMs: number
  functions: SelfTime[]
  files: SelfTime[]
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

function location (url: string): string {
  if (url === '') return ''
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  return path.startsWith(REPO_ROOT) ? relative(REPO_ROOT, path) : path
}

function isProfile (x: unknown): x is Profile {
  const p = x as Partial<Profile> | null
  return typeof p === 'object' && p !== null && Array.isArray(p.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas)
}

export function summarizeProfile (raw: unknown): ProfileSummary {
  if (!isProfile(raw)) throw new Error('not a V8 CPU profile')
  const byId = new Map(raw.nodes.map(n => [n.id, n]))
  const fnTime = new Map<string, number>()
  const fileTime = new Map<string, number>()
  let total = 0
  let idle = 0
  // timeDeltas[i] is the time before sample i; attribute it to the sample's node (as DevTools does).
  for (let i = 0; i < raw.samples.length; i++) {
    const node = byId.get(raw.samples[i] as number)
    const dt = (raw.timeDeltas[i] ?? 0) / 1000
    if (node === undefined || dt <= 0) continue
    total += dt
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)') idle += dt
    const file = location(url)
    const name = file === '' ? (functionName || '(anonymous)') : `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`
    fnTime.set(name, (fnTime.get(name) ?? 0) + dt)
    const fileKey = file === '' ? (functionName.startsWith('(') ? functionName : '(native)') : file
    fileTime.set(fileKey, (fileTime.get(fileKey) ?? 0) + dt)
  }
  const busy = total - idle
  const rank = (m: Map<string, number>): SelfTime[] => [...m.entries()]
    .map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0, busyShare: busy > 0 && name !== '(idle)' ? ms / busy : 0 }))
    .sort((a, b) => b.ms - a.ms)
  return { totalMs: total, idleMs: idle, functions: rank(fnTime), files: rank(fileTime) }
}

export async function summarizeProfileFile (path: string): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as unknown)
}

export function formatProfile (s: ProfileSummary, top = 25): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
  const lines = [
    `sampled ${(s.totalMs / 1000).toFixed(1)} s, idle ${(s.idleMs / 1000).toFixed(1)} s, busy ${((s.totalMs - s.idleMs) / 1000).toFixed(1)} s`,
    '',
    `top ${top} functions by self time (share of busy time):`,
    ...s.functions.filter(f => f.name !== '(idle)').slice(0, top).map(f => `  ${pct(f.busyShare).padStart(6)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`),
    '',
    `top ${top} files by self time (share of busy time):`,
    ...s.files.filter(f => f.name !== '(idle)').slice(0, top).map(f => `  ${pct(f.busyShare).padStart(6)}  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}`),
  ]
  return lines.join('\n')
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [file, top] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: node bench/cpuProfile.ts <file.cpuprofile> [top]\n')
    process.exitCode = 2
  } else {
    process.stdout.write(formatProfile(await summarizeProfileFile(file), top === undefined ? 25 : Number(top)) + '\n')
  }
}
