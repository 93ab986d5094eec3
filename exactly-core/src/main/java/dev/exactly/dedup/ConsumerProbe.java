package dev.exactly.dedup;

import java.util.List;

/**
 * Hooks at the named points of an {@link IdempotentConsumer}'s batch, for fault injection in tests
 * (a crash test halts the process at one of them) and for tracing. Called on the consumer's own
 * thread; an exception thrown here is logged and ignored, except that {@link Error}s propagate. The
 * default does nothing.
 */
public interface ConsumerProbe {
  ConsumerProbe NONE = new ConsumerProbe() {};

  /** The handler returned for this record: its side effect happened; nothing is stored yet. */
  default void afterEffect(IdempotentRecord<?, ?> record) {}

  /** The store marked these keys done; their offsets are not yet committed. */
  default void afterComplete(List<String> dedupKeys) {}

  /** The offsets of the batch are committed. */
  default void afterCommit() {}
}
