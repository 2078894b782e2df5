// Prints Kafka's error table (name, code, retriable) as JSON lines; run by generate-errors.ts
// against the reference Kafka's kafka-clients jar.
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

public class ListErrors {
  public static void main(String[] args) {
    for (Errors e : Errors.values()) {
      boolean retriable = e.exception() instanceof RetriableException;
      System.out.println("{\"name\":\"" + e.name() + "\",\"code\":" + e.code() + ",\"retriable\":" + retriable + "}");
    }
  }
}
