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

/** Busy CPU time of the whole machine so far, ms (every state of /proc/stat's cpu line but idle and iowait). */
async function machineBusyMs (): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? ''
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f
  return (user + nice + system + irq + softirq + steal) * 10 // USER_HZ is 100 on Linux
}

/** This process's CPU plus that of its children already reaped (the perf tools' JVMs), ms. */
async function selfAndReapedChildrenMs (): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8')
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])) * 10
}

/**
 * Measures how busy the machine was with work that is not the benchmark's: the CPU the whole
 * machine used, minus the broker's (`brokerCpuMs`), this process's and its reaped children's (the
 * perf tool, which must have exited before `stop`), over the wall time, in cores. A run taken while
 * another engineer's tests ran shows up here rather than as an unexplained outlier.
 */
export async function startForeignCpu (brokerCpuMs: () => Promise<number>): Promise<() => Promise<number>> {
  const t0 = performance.now()
  const [m0, s0, b0] = await Promise.all([machineBusyMs(), selfAndReapedChildrenMs(), brokerCpuMs()])
  return async () => {
    const [m1, s1, b1] = await Promise.all([machineBusyMs(), selfAndReapedChildrenMs(), brokerCpuMs()])
    const wall = performance.now() - t0
    return wall > 0 ? Math.max(0, (m1 - m0) - (s1 - s0) - (b1 - b0)) / wall : 0
  }
}
