package dev.exactly.dedup;

import java.net.http.HttpRequest;
import java.util.Objects;

/**
 * Relays a record's key to an HTTP downstream as the {@code Idempotency-Key} header, so a
 * downstream that honours it answers a repeat with its first response instead of acting again. The
 * key sent is the business key the {@link DedupKey} gave (an order id, a payment id): the consumer
 * group's namespace belongs in the store, not in a header a payment API sees. Where several
 * consumer groups call one downstream with the same business keys for different effects, build them
 * with {@code namespaceIdempotencyKey(true)} so each sends {@code <namespace>:<key>}.
 *
 * <pre>{@code
 * HttpRequest request = IdempotencyKey.relay(HttpRequest.newBuilder(uri), record)
 *     .POST(BodyPublishers.ofString(body))
 *     .build();
 * }</pre>
 */
public final class IdempotencyKey {
  /** The header name, as in the IETF draft and the payment APIs that use it. */
  public static final String HEADER = "Idempotency-Key";

  private IdempotencyKey() {}

  /**
   * Sets the header on {@code request} to the record's {@link IdempotentRecord#idempotencyKey()}
   * (by default the business key, such as the order id) and returns the builder.
   */
  public static HttpRequest.Builder relay(
      HttpRequest.Builder request, IdempotentRecord<?, ?> record) {
    return relay(request, record.idempotencyKey());
  }

  /** Sets the header on {@code request} to {@code dedupKey} and returns the builder. */
  public static HttpRequest.Builder relay(HttpRequest.Builder request, String dedupKey) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(dedupKey, "dedupKey");
    return request.setHeader(HEADER, dedupKey);
  }
}
