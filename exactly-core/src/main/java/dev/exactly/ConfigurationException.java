package dev.exactly;

/**
 * A setting that cannot work, found at start-up. The message names the key, the value given and the
 * fix, for example: {@code enable.auto.commit=true contradicts exactly-once: offsets are committed
 * in the transaction; remove the setting}.
 */
public final class ConfigurationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigurationException(String key, Object value, String problemAndFix) {
    super(key + "=" + value + " " + problemAndFix);
    this.key = key;
  }

  /** The property path or key at fault. */
  public String key() {
    return key;
  }
}
