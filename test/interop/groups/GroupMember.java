// A long-running consumer-group member for the group interop tests: Apache Kafka's Java consumer,
// run with the source launcher (java -cp '<kafka libs>/*' GroupMember.java '<json>').
//
// Argument: {bootstrap, group, topic, protocol: "classic"|"consumer", assignor, sessionTimeoutMs,
// clientId}. Prints one JSON object per line: {"ev":"assigned"|"revoked","partitions":[...],"t":ms}
// from the rebalance listener, {"ev":"record","p","o","v","t"} per record, {"ev":"closed"} at the
// end. Commits synchronously after each poll that returned records and before giving partitions
// up. Reading "stop" on stdin closes the consumer cleanly (leaving the group) and exits.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class GroupMember {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static synchronized void out(ObjectNode o) {
        o.put("t", System.currentTimeMillis());
        System.out.println(o.toString());
        System.out.flush();
    }

    private static void partitions(String ev, Collection<TopicPartition> ps, boolean lost) {
        ObjectNode o = JSON.createObjectNode().put("ev", ev);
        List<Integer> list = new ArrayList<>();
        for (TopicPartition tp : ps) list.add(tp.partition());
        list.sort(null);
        o.putPOJO("partitions", list);
        if (lost) o.put("lost", true);
        out(o);
    }

    public static void main(String[] args) throws Exception {
        JsonNode cfg = JSON.readTree(args[0]);
        Properties props = new Properties();
        props.put("bootstrap.servers", cfg.get("bootstrap").asText());
        props.put("group.id", cfg.get("group").asText());
        props.put("client.id", cfg.path("clientId").asText("member"));
        props.put("enable.auto.commit", "false");
        props.put("auto.offset.reset", "earliest");
        props.put("fetch.max.wait.ms", "100");
        props.put("key.deserializer", StringDeserializer.class.getName());
        props.put("value.deserializer", StringDeserializer.class.getName());
        String assignor = cfg.path("assignor").asText("");
        if (cfg.get("protocol").asText().equals("consumer")) {
            props.put("group.protocol", "consumer");
            if (!assignor.isEmpty()) props.put("group.remote.assignor", assignor);
        } else {
            props.put("group.protocol", "classic");
            int session = cfg.path("sessionTimeoutMs").asInt(6000);
            props.put("session.timeout.ms", Integer.toString(session));
            props.put("heartbeat.interval.ms", Integer.toString(Math.max(100, session / 10)));
            String strategy = switch (assignor.isEmpty() ? "range" : assignor) {
                case "roundrobin" -> "org.apache.kafka.clients.consumer.RoundRobinAssignor";
                case "cooperative-sticky" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
                default -> "org.apache.kafka.clients.consumer.RangeAssignor";
            };
            props.put("partition.assignment.strategy", strategy);
        }
        AtomicBoolean stop = new AtomicBoolean(false);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
                for (String line; (line = in.readLine()) != null; ) if (line.trim().equals("stop")) break;
            } catch (Exception ignored) {
            }
            stop.set(true);
        });
        reader.setDaemon(true);
        reader.start();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(cfg.get("topic").asText()), new ConsumerRebalanceListener() {
                @Override public void onPartitionsRevoked(Collection<TopicPartition> ps) {
                    try { consumer.commitSync(); } catch (Exception ignored) { }
                    partitions("revoked", ps, false);
                }
                @Override public void onPartitionsAssigned(Collection<TopicPartition> ps) { partitions("assigned", ps, false); }
                @Override public void onPartitionsLost(Collection<TopicPartition> ps) { partitions("revoked", ps, true); }
            });
            out(JSON.createObjectNode().put("ev", "ready"));
            while (!stop.get()) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<String, String> r : records) {
                    out(JSON.createObjectNode().put("ev", "record").put("p", r.partition()).put("o", r.offset()).put("v", r.value()));
                }
                if (!records.isEmpty()) {
                    try {
                        consumer.commitSync();
                    } catch (Exception e) {
                        out(JSON.createObjectNode().put("ev", "error").put("msg", "commit: " + e));
                    }
                }
            }
        }
        out(JSON.createObjectNode().put("ev", "closed"));
    }
}
