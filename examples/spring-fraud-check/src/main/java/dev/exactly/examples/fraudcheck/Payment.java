package dev.exactly.examples.fraudcheck;

/**
 * A payment event from {@code payments}: the value is {@code id,card,amountCents}, keyed by card.
 */
public record Payment(String id, String card, long amountCents) {
  /**
   * @throws IllegalArgumentException for a value not of the form {@code id,card,amountCents}; the
   *     processor's retry policy then dead-letters the record
   */
  public static Payment parse(String value) {
    String[] f = value == null ? new String[0] : value.split(",", -1);
    if (f.length != 3 || f[0].isEmpty() || f[1].isEmpty()) {
      throw new IllegalArgumentException("not a payment (id,card,amountCents): " + value);
    }
    return new Payment(f[0], f[1], Long.parseLong(f[2]));
  }

  public String format() {
    return id + "," + card + "," + amountCents;
  }
}
