package dev.exactly.lint;

import static dev.exactly.lint.DeliveryGuarantee.AT_LEAST_ONCE;
import static dev.exactly.lint.DeliveryGuarantee.AT_MOST_ONCE;
import static dev.exactly.lint.DeliveryGuarantee.EXACTLY_ONCE;

import java.util.List;
import java.util.regex.Pattern;

/** The producer's rules: idempotence, retries, timeouts, the transactional.id. */
final class ProducerRules {
  static final String PRODUCER_DOCS =
      "Kafka producer configs (kafka.apache.org/documentation/#producerconfigs)";
  // Random per start: a UUID, with or without dashes.
  private static final Pattern RANDOM =
      Pattern.compile(
          "(?i)(?<![0-9a-f])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
              + "|[0-9a-f]{32})(?![0-9a-f])");
  // Probably per start: an epoch stamp in seconds or milliseconds (2017 to 2036), or a date-time.
  // Only probably: a number can be a stable ordinal, so this one is never more than a warning.
  private static final Pattern STAMP =
      Pattern.compile(
          "(?<![0-9])(?:1[5-9]|20)[0-9]{8}(?:[0-9]{3})?(?![0-9])"
              + "|20[0-9]{2}-?[01][0-9]-?[0-3][0-9][T_ -]?[0-2][0-9]:?[0-5][0-9]");

  private ProducerRules() {}

  /**
   * @param transactional a transactional.id is set, or Kafka Streams runs exactly_once_v2
   * @param withConsumer the producer writes a consumer's results (consume-transform-produce)
   * @param streamsOwnsId Kafka Streams sets the transactional.id itself
   */
  static void check(
      Props p,
      boolean transactional,
      boolean withConsumer,
      boolean streamsOwnsId,
      List<Finding> out) {
    boolean idempotenceAsked =
        transactional || "true".equals(p.lower("enable.idempotence", "unset"));
    String acks = p.lower("acks", "all");
    if (!acks.equals("all") && !acks.equals("-1")) {
      out.add(
          idempotenceAsked
              ? new Finding(
                  Severity.ERROR,
                  p.source,
                  "acks",
                  p.get("acks"),
                  "idempotence and transactions need every in-sync replica to acknowledge; the"
                      + " producer refuses to start",
                  "set acks=all (or remove it: all is the default)",
                  "KIP-98; " + PRODUCER_DOCS + ": acks",
                  AT_MOST_ONCE)
              : new Finding(
                  Severity.WARN,
                  p.source,
                  "acks",
                  p.get("acks"),
                  "idempotence is silently turned off, and a record acknowledged by the leader alone"
                      + " is lost when that leader fails",
                  "set acks=all",
                  "KIP-679; " + PRODUCER_DOCS + ": acks",
                  AT_MOST_ONCE));
    }
    long inFlight = p.number("max.in.flight.requests.per.connection", 5);
    if (inFlight > 5) {
      out.add(
          new Finding(
              idempotenceAsked ? Severity.ERROR : Severity.WARN,
              p.source,
              "max.in.flight.requests.per.connection",
              p.get("max.in.flight.requests.per.connection"),
              idempotenceAsked
                  ? "the idempotent producer keeps order over at most 5 requests in flight; the"
                      + " producer refuses to start"
                  : "idempotence is silently turned off: a retried request duplicates records and"
                      + " reorders them behind later ones",
              "set max.in.flight.requests.per.connection to 5 or less",
              "KAFKA-5494; " + PRODUCER_DOCS + ": max.in.flight.requests.per.connection",
              AT_LEAST_ONCE));
    }
    if (p.isSet("retries") && p.number("retries", 1) == 0) {
      out.add(
          new Finding(
              idempotenceAsked ? Severity.ERROR : Severity.WARN,
              p.source,
              "retries",
              p.get("retries"),
              idempotenceAsked
                  ? "the idempotent producer needs retries; it refuses to start"
                  : "a send that meets a leader change or a timeout is dropped, not retried",
              "remove retries (the default retries until delivery.timeout.ms) and bound delivery"
                  + " time with delivery.timeout.ms",
              "KIP-91; " + PRODUCER_DOCS + ": retries",
              AT_MOST_ONCE));
    }
    if (p.isSet("delivery.timeout.ms")) {
      long delivery = p.number("delivery.timeout.ms", 120_000);
      long linger = p.number("linger.ms", 5);
      long request = p.number("request.timeout.ms", 30_000);
      if (delivery < linger + request) {
        out.add(
            new Finding(
                Severity.ERROR,
                p.source,
                "delivery.timeout.ms",
                p.get("delivery.timeout.ms"),
                "is below linger.ms + request.timeout.ms ("
                    + linger
                    + " + "
                    + request
                    + " ms): a record could expire before one request is answered; the producer"
                    + " refuses to start",
                "set delivery.timeout.ms to at least " + (linger + request) + " or remove it",
                "KIP-91; " + PRODUCER_DOCS + ": delivery.timeout.ms",
                AT_MOST_ONCE));
      }
    }
    if (transactional && !streamsOwnsId && p.isSet("transactional.id")) {
      String id = p.get("transactional.id");
      boolean random = RANDOM.matcher(id).find();
      if (random || STAMP.matcher(id).find()) {
        boolean error = random && !withConsumer;
        out.add(
            new Finding(
                error ? Severity.ERROR : Severity.WARN,
                p.source,
                "transactional.id",
                id,
                (random
                        ? "contains a UUID, so it is new at every start"
                        : "contains what looks like a time stamp, so it may be new at every start")
                    + (withConsumer
                        ? ": a restarted instance does not abort its predecessor's open"
                            + " transaction, so read_committed readers of those partitions stall"
                            + " until transaction.timeout.ms (the group's generation still fences"
                            + " a zombie's offsets, KIP-447)"
                        : ": a restarted instance neither fences its predecessor, whose late"
                            + " commit then duplicates, nor aborts its open transaction, which"
                            + " stalls read_committed readers"),
                "derive it from something stable per instance: the application name plus a"
                    + " host, pod or ordinal name",
                "KIP-98; KIP-447",
                error ? AT_LEAST_ONCE : EXACTLY_ONCE));
      }
    }
  }
}
