"""The classic exercise's consumer: prints every reading, including those sent before it started.

    python3 examples/consumer.py [--bootstrap-server localhost:9092] [--topic sensors]
                                 [--group GROUP] [--max-messages N] [--timeout-ms MS]

auto_offset_reset='earliest' makes a consumer started late read from the beginning of the log
(time decoupling). With --group it commits its position and resumes where it left off.
"""
import argparse
import json

from kafka import KafkaConsumer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--bootstrap-server', default='localhost:9092')
    p.add_argument('--topic', default='sensors')
    p.add_argument('--group', default=None)
    p.add_argument('--max-messages', type=int, default=0, help='stop after N messages (0 = run forever)')
    p.add_argument('--timeout-ms', type=int, default=0, help='stop after this long without messages (0 = never)')
    args = p.parse_args()

    options = dict(
        bootstrap_servers=[args.bootstrap_server],
        auto_offset_reset='earliest',
        group_id=args.group,
        value_deserializer=lambda m: json.loads(m.decode('utf-8')),
    )
    if args.timeout_ms > 0:
        options['consumer_timeout_ms'] = args.timeout_ms
    consumer = KafkaConsumer(args.topic, **options)
    seen = 0
    try:
        for message in consumer:
            print(json.dumps({'partition': message.partition, 'offset': message.offset, 'value': message.value}), flush=True)
            seen += 1
            if args.max_messages and seen >= args.max_messages:
                break
    finally:
        consumer.close()


if __name__ == '__main__':
    main()
