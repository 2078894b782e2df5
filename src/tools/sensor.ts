// The exercise's sensor: every interval, each of N simulated sensors sends one JSON reading, keyed
// by its id, and waits for the broker's acknowledgement. A reading has the shape of
// examples/producer.py's, so the two are interchangeable on the `sensors` topic:
//
//   {"sensor_id":"sensor-1","seq":0,"timestamp":1712345678.123,"temperature":21.04,"humidity":44.1}
//
// timestamp is seconds since the epoch (as Python's time.time()); seq counts from 0 per sensor;
// temperature and humidity drift as a bounded random walk around each sensor's own level, so a
// plot looks like a room, not noise. Ticks are scheduled from the start time (tick k at
// start + k * interval), so a slow acknowledgement does not make the sensor drift late.

import { setTimeout as delay } from 'node:timers/promises'
import { Producer } from '@platformatic/kafka'
import { type ClientConfig, producerOptions } from './clientOptions.ts'

export interface Reading {
  sensor_id: string
  seq: number
  timestamp: number
  temperature: number
  humidity: number
}

export interface SensorOptions extends ClientConfig {
  topic?: string
  /** ms between readings of one sensor */
  intervalMs?: number
  sensors?: number
  /** readings per sensor, then stop (0 or undefined: until the signal aborts) */
  count?: number
  /** ids are `${prefix}-1` ... */
  prefix?: string
  signal?: AbortSignal
  /** called with each reading once the broker acknowledged it */
  onReading?: (reading: Reading) => void | Promise<void>
  /** the clock, for tests (ms since the epoch) */
  now?: () => number
  /** the randomness, for tests: returns [0, 1) */
  random?: () => number
}

/** One simulated sensor's state: a level it drifts around and its current values. */
export class SimulatedSensor {
  readonly id: string
  seq = 0
  #temperature: number
  #humidity: number
  readonly #baseTemperature: number
  readonly #baseHumidity: number
  readonly #random: () => number

  constructor (id: string, random: () => number = Math.random) {
    this.id = id
    this.#random = random
    this.#baseTemperature = 19 + random() * 4
    this.#baseHumidity = 35 + random() * 20
    this.#temperature = this.#baseTemperature
    this.#humidity = this.#baseHumidity
  }

  /** The next reading: a step of at most ±0.5 °C and ±1 %, pulled a little back towards the level. */
  next (timestampMs: number): Reading {
    this.#temperature += (this.#random() - 0.5) + (this.#baseTemperature - this.#temperature) * 0.05
    this.#humidity += (this.#random() - 0.5) * 2 + (this.#baseHumidity - this.#humidity) * 0.05
    this.#humidity = Math.min(100, Math.max(0, this.#humidity))
    return {
      sensor_id: this.id,
      seq: this.seq++,
      timestamp: Math.round(timestampMs) / 1000,
      temperature: Math.round(this.#temperature * 100) / 100,
      humidity: Math.round(this.#humidity * 10) / 10,
    }
  }
}

export interface SensorResult { sent: number }

export async function runSensor (options: SensorOptions): Promise<SensorResult> {
  const topic = options.topic ?? 'sensors'
  const intervalMs = options.intervalMs ?? 10_000
  const count = options.count ?? 0
  const now = options.now ?? Date.now
  const sensors = Array.from({ length: options.sensors ?? 1 }, (_, i) => new SimulatedSensor(`${options.prefix ?? 'sensor'}-${i + 1}`, options.random))
  // The broker creates the topic on first use (auto.create.topics.enable), as for the exercise's producer.
  const producer = new Producer({ ...producerOptions(options, 'samsa-sensor'), autocreateTopics: true })
  let clientError: Error | undefined
  producer.on('error', (error: Error) => { clientError ??= error })
  let sent = 0
  const start = now()
  try {
    for (let tick = 0; count === 0 || tick < count; tick++) {
      if (tick > 0) {
        const wait = start + tick * intervalMs - now()
        if (wait > 0) await delay(wait, undefined, { signal: options.signal }).catch(() => {})
      }
      if (options.signal?.aborted === true) break
      if (clientError !== undefined) throw clientError
      const at = now()
      const readings = sensors.map(s => s.next(at))
      await producer.send({
        messages: readings.map(r => ({ topic, key: Buffer.from(r.sensor_id), value: Buffer.from(JSON.stringify(r)), timestamp: BigInt(Math.round(at)) })),
      })
      sent += readings.length
      for (const r of readings) await options.onReading?.(r)
    }
    return { sent }
  } finally {
    await producer.close().catch(() => {})
  }
}
