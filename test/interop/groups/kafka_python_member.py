"""A long-running consumer-group member for the group interop tests: kafka-python (classic groups).

Same argument and output as confluent_member.py. The assignor is the one named in the argument
(range or roundrobin, both built in). Commits synchronously after each batch and on revocation;
"stop" on stdin closes the consumer (leaving the group) and exits.
"""
import json
import select
import sys
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor


def out(obj):
    obj['t'] = time.time() * 1000.0
    print(json.dumps(obj), flush=True)


class Listener(ConsumerRebalanceListener):
    def __init__(self):
        self.consumer = None

    def on_partitions_revoked(self, revoked):
        try:
            self.consumer.commit()
        except Exception:
            pass
        out({'ev': 'revoked', 'partitions': sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        out({'ev': 'assigned', 'partitions': sorted(tp.partition for tp in assigned)})


def main():
    cfg = json.loads(sys.argv[1])
    session = cfg.get('sessionTimeoutMs', 6000)
    assignor = RoundRobinPartitionAssignor if cfg.get('assignor') == 'roundrobin' else RangePartitionAssignor
    consumer = KafkaConsumer(
        bootstrap_servers=[cfg['bootstrap']],
        group_id=cfg['group'],
        client_id=cfg.get('clientId', 'member'),
        enable_auto_commit=False,
        auto_offset_reset='earliest',
        session_timeout_ms=session,
        heartbeat_interval_ms=max(100, session // 10),
        fetch_max_wait_ms=100,
        partition_assignment_strategy=[assignor],
    )
    listener = Listener()
    listener.consumer = consumer
    consumer.subscribe([cfg['topic']], listener=listener)
    out({'ev': 'ready'})
    while True:
        batches = consumer.poll(timeout_ms=100)
        got = False
        for tp, records in batches.items():
            for r in records:
                got = True
                out({'ev': 'record', 'p': r.partition, 'o': r.offset, 'v': r.value.decode('utf-8')})
        if got:
            try:
                consumer.commit()
            except Exception as e:
                out({'ev': 'error', 'msg': 'commit: %s' % e})
        ready, _, _ = select.select([sys.stdin], [], [], 0)
        if ready:
            line = sys.stdin.readline()
            if line == '' or line.strip() == 'stop':
                break
    owned = sorted(tp.partition for tp in consumer.assignment())
    try:
        consumer.commit()
    except Exception:
        pass
    if owned:
        out({'ev': 'revoked', 'partitions': owned})
    consumer.close()
    out({'ev': 'closed'})


main()
