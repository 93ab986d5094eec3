package dev.exactly.internal;

import dev.exactly.Ticker;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.FencedInstanceIdException;
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
 * <p>It also decides what a {@link FencedInstanceIdException} means: see {@link #rejoinAfterFence}.
 *
 * <p>One per engine thread; not thread-safe.
 */
public final class StaticMemberRejoin {
  /** The wait between two attempts to join with the same instance id. */
  public static final Duration BACKOFF = Duration.ofSeconds(1);

  /** How many group fences within {@link #FENCE_WINDOW} a member answers by rejoining. */
  public static final int FENCES_ALLOWED = 3;

  /** The window {@link #FENCES_ALLOWED} counts in. */
  public static final Duration FENCE_WINDOW = Duration.ofMinutes(2);

  private static final Logger log = LoggerFactory.getLogger(StaticMemberRejoin.class);

  private final String owner;
  private final Object instanceId;
  private final Ticker ticker;
  private final Deque<Long> fences = new ArrayDeque<>();
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

  /**
   * The group fenced this member: it says another member joined under the same {@code
   * group.instance.id}. A lone member can get this without any twin: a coordinator that moved with
   * a killed broker may complete a join whose answer never reached the member, so the member's
   * retried join replaces itself. Such a fence is answered by rejoining; the open transaction is
   * aborted first, and the producer's epoch still fences a real zombie. A second live member under
   * the same id, though, fences this one straight back, and the two would trade the id forever:
   * more than {@link #FENCES_ALLOWED} fences within {@link #FENCE_WINDOW} therefore stop the
   * engine.
   *
   * @return whether to rejoin with a new consumer (after {@link #awaitNextAttempt})
   */
  public boolean rejoinAfterFence(FencedInstanceIdException fence) {
    long now = ticker.nanoTime();
    while (!fences.isEmpty() && now - fences.peekFirst() > FENCE_WINDOW.toNanos()) {
      fences.removeFirst();
    }
    fences.addLast(now);
    if (fences.size() > FENCES_ALLOWED) {
      log.warn(
          "{} was fenced by the group {} times within {}: another live member runs with"
              + " group.instance.id {}; stopping",
          owner,
          fences.size(),
          FENCE_WINDOW,
          instanceId);
      return false;
    }
    log.warn(
        "{} was fenced by the group (group.instance.id {}: {}); aborting its open transaction and"
            + " rejoining, fence {} of {} allowed within {}",
        owner,
        instanceId,
        fence.getMessage(),
        fences.size(),
        FENCES_ALLOWED,
        FENCE_WINDOW);
    warned = true; // the fence said it: the refusals that may follow need no second warning
    return true;
  }
}
