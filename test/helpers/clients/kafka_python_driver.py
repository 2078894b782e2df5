"""Interop driver for kafka-python (Debian's 2.0.2 and the newest from PyPI run the same file).

Reads one JSON job from stdin and prints JSON lines (see test/helpers/clients/pythonDrivers.ts):
  {"op": "produce", "bootstrap": "h:p", "timeoutMs": N,
   "jobs": [{"topic": T, "codec": "none|gzip|snappy|lz4|zstd", "records": [{"key": b64|null, "value": b64, "headers": [[k, v]]}]}]}
    -> {"topic": T, "produced": n, "partitions": [...]} or {"topic": T, "error": "..."} per job
  {"op": "consume", "bootstrap": "h:p", "timeoutMs": N, "jobs": [{"topic": T, "count": n}]}
    -> one {"topic", "partition", "offset", "key", "value", "headers"} line per record, then
       {"topic": T, "error": "..."} for each topic that did not reach its count in time
Consuming assigns every partition and seeks to the beginning: no consumer group. With "group": G
it subscribes in consumer group G instead (earliest offset when G has none), and commits the
consumed positions before it closes (leaving the group).
"""
import base64
import json
import sys
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition


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
        producer = None
        try:
            producer = KafkaProducer(
                bootstrap_servers=[job['bootstrap']],
                compression_type=None if item['codec'] == 'none' else item['codec'],
                acks='all',
                retries=5,  # 2.0.2 defaults to 0: a fresh auto-created topic may answer NOT_LEADER once
                max_in_flight_requests_per_connection=1,  # with retries, more in flight could reorder records
                linger_ms=5,
                max_block_ms=int(job['timeoutMs']),
                request_timeout_ms=int(job['timeoutMs']),
                max_request_size=4 * 1024 * 1024,
            )
            futures = []
            for r in item['records']:
                headers = [(k, v.encode('utf-8')) for k, v in r['headers']]
                futures.append(producer.send(topic, key=unb64(r['key']), value=unb64(r['value']), headers=headers))
            producer.flush(timeout=timeout_s)
            partitions = [f.get(timeout=timeout_s).partition for f in futures]
            out({'topic': topic, 'produced': len(futures), 'partitions': partitions})
        except Exception as e:  # reported per topic; the other topics still run
            out({'topic': topic, 'error': '%s: %s' % (type(e).__name__, e)})
        finally:
            if producer is not None:
                producer.close(timeout=5)


def print_record(m):
    out({
        'topic': m.topic, 'partition': m.partition, 'offset': m.offset,
        'key': b64(m.key), 'value': b64(m.value),
        'headers': [[k, v.decode('utf-8')] for k, v in (m.headers or [])],
    })


def consume_group(job):
    deadline = time.time() + job['timeoutMs'] / 1000.0
    wanted = {item['topic']: item['count'] for item in job['jobs']}
    got = dict((t, 0) for t in wanted)
    consumer = KafkaConsumer(
        *sorted(wanted),
        bootstrap_servers=[job['bootstrap']],
        group_id=job['group'],
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    try:
        while any(got[t] < wanted[t] for t in wanted) and time.time() < deadline:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for m in records:
                    print_record(m)
                    got[m.topic] += 1
        consumer.commit()
        for topic in wanted:
            if got[topic] < wanted[topic]:
                out({'topic': topic, 'error': 'consumed %d of %d records before the deadline' % (got[topic], wanted[topic])})
    finally:
        consumer.close(autocommit=False)


def consume(job):
    if job.get('group'):
        return consume_group(job)
    deadline = time.time() + job['timeoutMs'] / 1000.0
    wanted = {item['topic']: item['count'] for item in job['jobs']}
    got = dict((t, 0) for t in wanted)
    consumer = KafkaConsumer(
        bootstrap_servers=[job['bootstrap']],
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        fetch_max_bytes=8 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    try:
        # Partitions become known once metadata for the topic arrives.
        assigned = []
        pending = set(wanted)
        while pending and time.time() < deadline:
            for topic in sorted(pending):
                parts = consumer.partitions_for_topic(topic)
                if parts:
                    assigned.extend(TopicPartition(topic, p) for p in sorted(parts))
                    pending.discard(topic)
            if pending:
                time.sleep(0.1)  # kafka-python refreshes metadata in the background
        for topic in pending:
            out({'topic': topic, 'error': 'no partitions known for the topic'})
        if assigned:
            consumer.assign(assigned)
            consumer.seek_to_beginning(*assigned)
        while assigned and any(got[t] < wanted[t] for t in wanted if t not in pending) and time.time() < deadline:
            batch = consumer.poll(timeout_ms=500)
            for tp, records in batch.items():
                for m in records:
                    print_record(m)
                    got[m.topic] += 1
        for topic in wanted:
            if topic not in pending and got[topic] < wanted[topic]:
                out({'topic': topic, 'error': 'consumed %d of %d records before the deadline' % (got[topic], wanted[topic])})
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
