package dev.exactly.examples.fraudcheck;

/**
 * Scores a payment from 0 (fine) to 99 (block the card). Deterministic, so that a payment scored
 * again after a crash gets the same score and the proof can compute what to expect; a real model
 * would be called here.
 */
public final class FraudScorer {
  /** One point per 100.00 of the amount, capped at 99. */
  public static int score(Payment payment) {
    return (int) Math.min(99, Math.max(0, payment.amountCents() / 10_000));
  }
}
