package dev.exactly.internal;

import dev.exactly.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an engine does when Kafka refuses its consumer's static {@code group.instance.id} with
 * {@code UnreleasedInstanceIdException}. Under KIP-848's consumer group protocol a restarted static
 * member cannot replace its killed predecessor: the broker keeps the id until that member's session
 * times out ({@code group.consumer.session.timeout.ms}), and the refusal leaves the consumer
 * unusable. Before the engine's first assignment it therefore closes that consumer and asks again
 * with a new one every {@link #BACKOFF}, warning once; after it, the same refusal means another
 * live member holds the id, and the engine stops.
 *
 * <p>One per engine thread; not thread-safe.
 */
public final class StaticMemberRejoin {
  /** The wait between two attempts to join with the same instance id. */
  public static final Duration BACKOFF = Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(StaticMemberRejoin.class);

  private final String owner;
  private final Object instanceId;
  private final Ticker ticker;
  private boolean warned;

  /**
   * @param owner how logs name the component, for example {@code processor orders/node-1}
   * @param consumerProperties the consumer's properties, for the {@code group.instance.id} named
   */
  public StaticMemberRejoin(String owner, Map<String, ?> consumerProperties, Ticker ticker) {
    this.owner = owner;
    this.instanceId = consumerProperties.get(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
    this.ticker = ticker;
  }

  /**
   * Warns the first time, then waits {@link #BACKOFF} while {@code keepGoing} holds.
   *
   * @return whether to join again with a new consumer (false: the engine is stopping)
   */
  public boolean awaitNextAttempt(BooleanSupplier keepGoing) {
    if (!warned) {
      log.warn(
          "{}: group.instance.id {} is still held by an earlier member that did not leave (a"
              + " killed instance); rejoining every {} until its session times out on the broker"
              + " (group.consumer.session.timeout.ms)",
          owner,
          instanceId,
          BACKOFF);
      warned = true;
    }
    Waits.sleepWhileQuietly(ticker, BACKOFF, keepGoing);
    return keepGoing.getAsBoolean();
  }
}
