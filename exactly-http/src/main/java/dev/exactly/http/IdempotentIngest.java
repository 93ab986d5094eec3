package dev.exactly.http;

import dev.exactly.ConfigurationException;
import dev.exactly.FaultInjection;
import dev.exactly.Ticker;
import dev.exactly.jdbc.Database;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.outbox.Outbox;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Turns HTTP requests carrying an {@code Idempotency-Key} into Kafka records, exactly once per key:
 * one database transaction holds the key's record (with the response), the outbox row and the
 * caller's own rows ({@link IngestHook}); an {@link dev.exactly.jdbc.outbox.OutboxRelay} on the
 * same outbox table publishes the row. Call {@link #handle} from any web framework, or run {@link
 * IngestServer}.
 *
 * <p>A {@code 2xx} is returned only after the commit. A retry of a completed key gets the stored
 * response again with {@code Idempotent-Replayed: true} and publishes nothing; a retry while the
 * first attempt is in flight gets 409; the same key with another payload 422. See {@code
 * docs/http.md} for every status.
 *
 * <p>Thread-safe: {@link #handle} is called by any number of request threads at once.
 */
public interface IdempotentIngest {

  /** The request header that carries the key (draft-ietf-httpapi-idempotency-key-header). */
  String KEY_HEADER = "Idempotency-Key";

  /** The header whose value follows the request into Kafka and back in the response. */
  String CORRELATION_HEADER = "correlation-id";

  /** The W3C trace context header, copied into the Kafka record when present. */
  String TRACEPARENT_HEADER = "traceparent";

  static Builder builder() {
    return new Builder();
  }

  /**
   * Answers one request. Never throws for a bad request or a database failure: those become problem
   * responses (RFC 9457), without a stack trace.
   */
  HttpResponse handle(HttpRequest request);

  /** The largest body accepted, in bytes; a server need not read further. */
  int maxBodyBytes();

  /**
   * Creates the idempotency table and the outbox table when absent. Run it before serving, outside
   * a business transaction (DDL commits implicitly on MariaDB).
   */
  void createTablesIfAbsent() throws SQLException;

  /**
   * Deletes the records of keys older than the retention, in small transactions; returns how many.
   * {@link IngestServer} runs it every minute; elsewhere, schedule it.
   */
  int purge() throws SQLException;

  /** Settings of an {@link IdempotentIngest}; checked in {@link #build()}. */
  final class Builder {
    DataSource dataSource;
    Database database;
    final Map<String, Route> routes = new LinkedHashMap<>();
    String table = "exactly_idempotency";
    String outboxTable = "exactly_outbox";
    boolean requireKey;
    String clientHeader;
    Duration retention = Duration.ofHours(24);
    int maxBodyBytes = 1 << 20;
    Duration inFlightWait = Duration.ofMillis(100);
    int groupCommit = 32;
    IngestHook hook = IngestHook.NONE;
    MeterRegistry meterRegistry;
    Ticker ticker = Ticker.system();
    FaultInjection faults = FaultInjection.NONE;

    private Builder() {}

    /** Where the key records and outbox rows are written; required. */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "ingest.dataSource");
      return this;
    }

    /**
     * The database; by default read from the first connection, so the ingest can be built while the
     * database is down.
     */
    public Builder database(Database database) {
      this.database = Objects.requireNonNull(database, "ingest.database");
      return this;
    }

    /**
     * Adds a route.
     *
     * @throws IllegalStateException when a route for the same path was added already
     */
    public Builder route(Route route) {
      Objects.requireNonNull(route, "ingest.route");
      if (routes.putIfAbsent(route.path(), route) != null) {
        throw new IllegalStateException(
            "ingest.route: path " + route.path() + " is routed twice; give each path one route");
      }
      return this;
    }

    /** {@link #route(Route)} from {@code path}, {@code topic} and {@code keyPointer}. */
    public Builder route(String path, String topic, String keyPointer) {
      return route(new Route(path, topic, keyPointer));
    }

    /** The idempotency table; default {@code exactly_idempotency}. */
    public Builder table(String table) {
      this.table = table;
      return this;
    }

    /** The outbox table the relay reads; default {@code exactly_outbox}. */
    public Builder outboxTable(String outboxTable) {
      this.outboxTable = outboxTable;
      return this;
    }

    /**
     * Whether a request without {@code Idempotency-Key} is refused with 400; default false (it is
     * accepted and published once per request, without protection against retries).
     */
    public Builder requireKey(boolean requireKey) {
      this.requireKey = requireKey;
      return this;
    }

    /**
     * The header naming the client (for example one your gateway sets from the credentials); keys
     * of different clients never collide. Default none: one key space for every caller. When set, a
     * request with a key but without this header gets 400.
     */
    public Builder clientHeader(String clientHeader) {
      this.clientHeader = clientHeader;
      return this;
    }

    /**
     * How long a key's record (and its stored response) is kept; default 24 hours, at least 1
     * minute. A retry later than that is taken as a new request.
     */
    public Builder retention(Duration retention) {
      this.retention = Objects.requireNonNull(retention, "ingest.retention");
      return this;
    }

    /** The largest body accepted (413 beyond); default 1 MiB. */
    public Builder maxBodyBytes(int maxBodyBytes) {
      this.maxBodyBytes = maxBodyBytes;
      return this;
    }

    /**
     * How long a duplicate waits for the first request of its key to finish before it gets 409;
     * default 100 ms. If the first commits within the wait, the duplicate gets its response
     * replayed. MariaDB counts lock waits in whole seconds, so there it is at least 1 s.
     */
    public Builder inFlightWait(Duration inFlightWait) {
      this.inFlightWait = Objects.requireNonNull(inFlightWait, "ingest.inFlightWait");
      return this;
    }

    /**
     * The most requests committed in one database transaction; default 32, 1 to 64. Requests that
     * arrive while others commit go into one transaction together, each in its own savepoint, so a
     * refused or failed request is rolled back alone and the commit is paid once for the group. An
     * idle server commits each request by itself; nothing waits to fill a group. 1 gives every
     * request its own transaction, as when a {@link IngestHook} must not share one (a request then
     * also waits for the slowest hook of its group).
     */
    public Builder groupCommit(int maxRequests) {
      this.groupCommit = maxRequests;
      return this;
    }

    /** The caller's work in the accepting transaction; default none. */
    public Builder hook(IngestHook hook) {
      this.hook = Objects.requireNonNull(hook, "ingest.hook");
      return this;
    }

    /** Where {@code exactly.http.*} meters go; default a private registry. */
    public Builder meterRegistry(MeterRegistry meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    /** The clock for {@code created_at}, retention and latency; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ingest.ticker");
      return this;
    }

    /** Crash points for tests ({@code FaultPoint.HTTP_*}); default none. */
    public Builder faults(FaultInjection faults) {
      this.faults = Objects.requireNonNull(faults, "ingest.faults");
      return this;
    }

    /**
     * @throws ConfigurationException naming the setting, the value and the fix
     */
    public IdempotentIngest build() {
      if (dataSource == null) {
        throw new ConfigurationException(
            "ingest.dataSource", "null", "is required: pass the pool the key records go to");
      }
      if (routes.isEmpty()) {
        throw new ConfigurationException(
            "ingest.route",
            "none",
            "add at least one route, e.g. route(\"/api/orders\", \"orders\", \"/orderId\")");
      }
      Dialect.checkIdentifier("ingest.table", table);
      Dialect.checkIdentifier("ingest.outboxTable", outboxTable);
      if (retention.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new ConfigurationException(
            "ingest.retention",
            retention.toString(),
            "must be at least 1 minute: clients retry for longer");
      }
      if (maxBodyBytes < 1 || maxBodyBytes > 16 << 20) {
        throw new ConfigurationException(
            "ingest.maxBodyBytes", Integer.toString(maxBodyBytes), "must be 1 byte to 16 MiB");
      }
      if (inFlightWait.isNegative() || inFlightWait.compareTo(Duration.ofSeconds(30)) > 0) {
        throw new ConfigurationException(
            "ingest.inFlightWait", inFlightWait.toString(), "must be 0 to 30 s");
      }
      if (groupCommit < 1 || groupCommit > 64) {
        // PostgreSQL keeps 64 subtransactions (savepoints that wrote) per transaction in memory;
        // beyond that every snapshot gets slower.
        throw new ConfigurationException(
            "ingest.groupCommit", Integer.toString(groupCommit), "must be 1 to 64 requests");
      }
      if (clientHeader != null && !clientHeader.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
        throw new ConfigurationException(
            "ingest.clientHeader", clientHeader, "is not an HTTP header name");
      }
      Outbox.Builder outbox = Outbox.builder().table(outboxTable).ticker(ticker).notifyRelay(false);
      if (database != null) {
        outbox.database(database);
      }
      return new IngestEngine(this, outbox.build());
    }
  }
}
