"""The classic exercise's producer: a sensor that sends a JSON reading every 10 seconds.

    python3 examples/producer.py [--bootstrap-server localhost:9092] [--topic sensors]
                                 [--interval 10] [--count N]

Works unchanged against samsa or Apache Kafka, with kafka-python 2.0.2 (Debian's python3-kafka)
or the newest kafka-python. The topic is auto-created by the broker.
"""
import argparse
import json
import random
import time

from kafka import KafkaProducer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bootstrap-server', default='localhost:9092')
    p.add_argument('--topic', default='sensors')
    p.add_argument('--interval', type=float, default=10.0, help='seconds between readings')
    p.add_argument('--count', type=int, default=0, help='stop after N readings (0 = run forever)')
    p.add_argument('--sensor-id', default='sensor-1')
    args = p.parse_args()

    producer = KafkaProducer(
        bootstrap_servers=[args.bootstrap_server],
        value_serializer=lambda v: json.dumps(v).encode('utf-8'),
    )
    temperature = 21.0
    sent = 0
    try:
        while args.count == 0 or sent < args.count:
            temperature += random.uniform(-0.5, 0.5)
            reading = {
                'sensor_id': args.sensor_id,
                'seq': sent,
                'timestamp': time.time(),
                'temperature': round(temperature, 2),
                'humidity': round(random.uniform(30, 60), 1),
            }
            producer.send(args.topic, reading).get(timeout=30)  # wait for the broker's acknowledgement
            print('sent', json.dumps(reading), flush=True)
            sent += 1
            if args.count == 0 or sent < args.count:
                time.sleep(args.interval)
    finally:
        producer.flush()
        producer.close()


if __name__ == '__main__':
    main()
