package dev.exactly.testkit.internal;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A send callback that counts the sends the producer gave up on and keeps the first cause; read it
 * after {@code flush()}, which returns only once every callback has run. The test kit's input
 * writers share it so that none of them lets a dropped input pass silently.
 */
public final class SendFailures implements Callback {
  private final AtomicInteger count = new AtomicInteger();
  private final AtomicReference<Exception> first = new AtomicReference<>();

  @Override
  public void onCompletion(RecordMetadata metadata, Exception e) {
    if (e != null) {
      count.incrementAndGet();
      first.compareAndSet(null, e);
    }
  }

  /** How many sends failed so far. */
  public int count() {
    return count.get();
  }

  /** The first failure, or null if none. */
  public Exception first() {
    return first.get();
  }
}
