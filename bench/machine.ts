// What a benchmark ran on, printed and stored with every result: the OS, the CPU model and cores,
// memory, Node and Java versions, and the load average when the run started (the machine is shared,
// so a figure taken under load must say so).

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface MachineInfo {
  os: string
  kernel: string
  cpuModel: string
  cores: number
  memoryGiB: number
  node: string
  java: string
  loadAverage: [number, number, number]
}

async function osName (): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8')
    return /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(text)?.[1] ?? osType()
  } catch {
    return osType()
  }
}

async function javaVersion (java: string): Promise<string> {
  try {
    const { stderr } = await run(java, ['-version'])
    return stderr.split('\n').find(l => /version/.test(l))?.trim() ?? 'unknown'
  } catch (error) {
    return `unavailable (${(error as Error).message})`
  }
}

export async function machineInfo (java = 'java'): Promise<MachineInfo> {
  const cpuList = cpus()
  const [l1, l5, l15] = loadavg() as [number, number, number]
  return {
    os: await osName(),
    kernel: `${osType()} ${release()}`,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    java: await javaVersion(java),
    loadAverage: [round2(l1), round2(l5), round2(l15)],
  }
}

function round2 (x: number): number { return Math.round(x * 100) / 100 }

export function describeMachine (m: MachineInfo): string {
  return `${m.os} (${m.kernel}), ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.java}, ` +
    `load average at start ${m.loadAverage.join(' / ')}`
}
