package dev.exactly.examples.fraudcheck;

/**
 * A payment's fraud score on {@code payment-scores}: {@code paymentId,card,score}, keyed by card.
 */
public record Score(String paymentId, String card, int score) {
  public static Score parse(String value) {
    String[] f = value == null ? new String[0] : value.split(",", -1);
    if (f.length != 3) {
      throw new IllegalArgumentException("not a score (paymentId,card,score): " + value);
    }
    return new Score(f[0], f[1], Integer.parseInt(f[2]));
  }

  public String format() {
    return paymentId + "," + card + "," + score;
  }
}
