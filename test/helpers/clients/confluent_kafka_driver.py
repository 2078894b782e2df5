"""Interop driver for confluent-kafka (librdkafka): Debian's 1.7.0 and the newest from PyPI.

Same job format and output as kafka_python_driver.py. Consuming assigns every partition at
OFFSET_BEGINNING (no group join, no commits); with "group": G it subscribes in consumer group G
(earliest when G has no offsets) and commits synchronously before closing.
"""
import base64
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition


def out(obj):
    print(json.dumps(obj), flush=True)


def b64(data):
    return None if data is None else base64.b64encode(data).decode('ascii')


def unb64(text):
    return None if text is None else base64.b64decode(text)


def produce(job):
    timeout_s = job['timeoutMs'] / 1000.0
    for item in job['jobs']:
        topic = item['topic']
        try:
            producer = Producer({
                'bootstrap.servers': job['bootstrap'],
                'compression.codec': item['codec'],
                'acks': 'all',
                'linger.ms': 5,
                'message.timeout.ms': int(job['timeoutMs']),
                'message.max.bytes': 4 * 1024 * 1024,
            })
            reports = []

            def on_delivery(err, msg):
                reports.append((err, msg.partition() if err is None else None))

            for r in item['records']:
                headers = [(k, v.encode('utf-8')) for k, v in r['headers']]
                while True:
                    try:
                        producer.produce(topic, key=unb64(r['key']), value=unb64(r['value']), headers=headers, on_delivery=on_delivery)
                        break
                    except BufferError:
                        producer.poll(0.1)
            remaining = producer.flush(timeout_s)
            errors = [str(err) for err, _ in reports if err is not None]
            if remaining > 0:
                out({'topic': topic, 'error': '%d records not delivered within the timeout' % remaining})
            elif errors:
                out({'topic': topic, 'error': 'delivery failed: %s' % errors[0]})
            else:
                out({'topic': topic, 'produced': len(reports), 'partitions': [p for _, p in reports]})
        except Exception as e:
            out({'topic': topic, 'error': '%s: %s' % (type(e).__name__, e)})


def print_record(m):
    out({
        'topic': m.topic(), 'partition': m.partition(), 'offset': m.offset(),
        'key': b64(m.key()), 'value': b64(m.value()),
        'headers': [[k, v.decode('utf-8')] for k, v in (m.headers() or [])],
    })


def consume_group(job):
    deadline = time.time() + job['timeoutMs'] / 1000.0
    wanted = {item['topic']: item['count'] for item in job['jobs']}
    got = dict((t, 0) for t in wanted)
    consumer = Consumer({
        'bootstrap.servers': job['bootstrap'],
        'group.id': job['group'],
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'enable.partition.eof': False,
        'session.timeout.ms': 10000,
    })
    errors = []
    try:
        consumer.subscribe(sorted(wanted))
        while any(got[t] < wanted[t] for t in wanted) and time.time() < deadline:
            m = consumer.poll(0.5)
            if m is None:
                continue
            if m.error() is not None:
                errors.append(str(m.error()))
                continue
            print_record(m)
            got[m.topic()] += 1
        if any(got.values()):
            consumer.commit(asynchronous=False)
        for topic in wanted:
            if got[topic] < wanted[topic]:
                out({'topic': topic, 'error': 'consumed %d of %d records before the deadline%s' % (
                    got[topic], wanted[topic], '; consumer errors: ' + '; '.join(errors[:3]) if errors else '')})
    finally:
        consumer.close()


def consume(job):
    if job.get('group'):
        return consume_group(job)
    deadline = time.time() + job['timeoutMs'] / 1000.0
    wanted = {item['topic']: item['count'] for item in job['jobs']}
    got = dict((t, 0) for t in wanted)
    consumer = Consumer({
        'bootstrap.servers': job['bootstrap'],
        'group.id': 'samsa-interop-unused',  # required by the Debian version; never joined
        'enable.auto.commit': False,
        'enable.auto.offset.store': False,
        'auto.offset.reset': 'earliest',
        'enable.partition.eof': False,
    })
    try:
        assigned = []
        pending = set(wanted)
        while pending and time.time() < deadline:
            md = consumer.list_topics(timeout=max(0.1, min(5.0, deadline - time.time())))
            for topic in sorted(pending):
                t = md.topics.get(topic)
                if t is not None and t.error is None and t.partitions:
                    assigned.extend(TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(t.partitions))
                    pending.discard(topic)
            if pending:
                time.sleep(0.1)
        for topic in pending:
            out({'topic': topic, 'error': 'no partitions known for the topic'})
        if assigned:
            consumer.assign(assigned)
        errors = []
        while assigned and any(got[t] < wanted[t] for t in wanted if t not in pending) and time.time() < deadline:
            m = consumer.poll(0.5)
            if m is None:
                continue
            if m.error() is not None:
                if m.error().code() != KafkaError._PARTITION_EOF:
                    errors.append(str(m.error()))
                continue
            print_record(m)
            got[m.topic()] += 1
        for topic in wanted:
            if topic not in pending and got[topic] < wanted[topic]:
                out({'topic': topic, 'error': 'consumed %d of %d records before the deadline%s' % (
                    got[topic], wanted[topic], '; consumer errors: ' + '; '.join(errors[:3]) if errors else '')})
    finally:
        consumer.close()


def main():
    job = json.load(sys.stdin)
    if job['op'] == 'produce':
        produce(job)
    elif job['op'] == 'consume':
        consume(job)
    else:
        raise SystemExit('unknown op %r' % job['op'])


if __name__ == '__main__':
    main()
