"""A long-running consumer-group member for the group interop tests: confluent-kafka (librdkafka).

Argument: a JSON object {bootstrap, group, topic, protocol: "classic"|"consumer", assignor,
sessionTimeoutMs, clientId}. Prints one JSON object per line: {"ev": "assigned"|"revoked",
"partitions": [...], "t": ms} from the rebalance callbacks, {"ev": "record", "p", "o", "v", "t"} per
record, {"ev": "closed"} at the end. Commits synchronously after each record batch and in the
revocation callback, so a new owner starts after what this member processed. Reading "stop" on
stdin closes the consumer cleanly (leaving the group) and exits.
"""
import json
import select
import sys
import time

from confluent_kafka import Consumer, KafkaError


def out(obj):
    obj['t'] = time.time() * 1000.0
    print(json.dumps(obj), flush=True)


def main():
    cfg = json.loads(sys.argv[1])
    conf = {
        'bootstrap.servers': cfg['bootstrap'],
        'group.id': cfg['group'],
        'client.id': cfg.get('clientId', 'member'),
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
        'fetch.wait.max.ms': 100,
    }
    if cfg['protocol'] == 'consumer':
        conf['group.protocol'] = 'consumer'
        if cfg.get('assignor'):
            conf['group.remote.assignor'] = cfg['assignor']
    else:
        conf['partition.assignment.strategy'] = cfg.get('assignor') or 'range'
        conf['session.timeout.ms'] = cfg.get('sessionTimeoutMs', 6000)
        conf['heartbeat.interval.ms'] = max(100, cfg.get('sessionTimeoutMs', 6000) // 10)
    consumer = Consumer(conf)
    owned = set()

    def on_assign(c, partitions):
        ps = sorted(p.partition for p in partitions)
        if cfg['protocol'] == 'consumer' or conf.get('partition.assignment.strategy') == 'cooperative-sticky':
            c.incremental_assign(partitions)
        else:
            c.assign(partitions)
        owned.update(ps)
        out({'ev': 'assigned', 'partitions': ps})

    def on_revoke(c, partitions):
        ps = sorted(p.partition for p in partitions)
        try:
            c.commit(asynchronous=False)
        except Exception:
            pass
        out({'ev': 'revoked', 'partitions': ps})
        owned.difference_update(ps)
        if cfg['protocol'] == 'consumer' or conf.get('partition.assignment.strategy') == 'cooperative-sticky':
            c.incremental_unassign(partitions)
        else:
            c.unassign()

    def on_lost(c, partitions):
        ps = sorted(p.partition for p in partitions)
        out({'ev': 'revoked', 'partitions': ps, 'lost': True})
        owned.difference_update(ps)
        if cfg['protocol'] == 'consumer' or conf.get('partition.assignment.strategy') == 'cooperative-sticky':
            c.incremental_unassign(partitions)
        else:
            c.unassign()

    consumer.subscribe([cfg['topic']], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    out({'ev': 'ready'})
    stopping = False
    while not stopping:
        msgs = consumer.consume(num_messages=100, timeout=0.1)
        got = False
        for m in msgs:
            if m.error() is not None:
                if m.error().code() != KafkaError._PARTITION_EOF:
                    out({'ev': 'error', 'msg': str(m.error())})
                continue
            got = True
            out({'ev': 'record', 'p': m.partition(), 'o': m.offset(), 'v': m.value().decode('utf-8')})
        if got:
            try:
                consumer.commit(asynchronous=False)
            except Exception as e:
                out({'ev': 'error', 'msg': 'commit: %s' % e})
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r:
            line = sys.stdin.readline()
            if line == '' or line.strip() == 'stop':
                stopping = True
    consumer.close()
    out({'ev': 'closed'})


main()
