package dev.exactly.jdbc.outbox;

import dev.exactly.internal.TransactionErrors.Reaction;

/**
 * The relay's producer failed in a way no retry can mend: another instance took its {@code
 * transactional.id} ({@link Reaction#FENCED}), or Kafka refuses it for good, unauthorized say
 * ({@link Reaction#FATAL}). The relay stops in the matching state with the cause as its failure.
 */
final class ProducerStopped extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Reaction reaction;

  ProducerStopped(Reaction reaction, Throwable cause) {
    super(reaction + ": " + cause, cause);
    this.reaction = reaction;
  }

  Reaction reaction() {
    return reaction;
  }
}
