package dev.exactly.http;

import dev.exactly.ConfigurationException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone HTTP server for an {@link IdempotentIngest}, on Jetty 12's core API (no servlet
 * container). Binds to {@code 127.0.0.1} unless told otherwise, and purges expired keys every
 * {@code purgeInterval}. Start it after the tables exist ({@link
 * IdempotentIngest#createTablesIfAbsent()}); the outbox relay runs beside it.
 */
public final class IngestServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngestServer.class);

  private final IdempotentIngest ingest;
  private final Server server;
  private final ServerConnector connector;
  private final Duration purgeInterval;
  private ScheduledExecutorService purger;

  private IngestServer(Builder b) {
    this.ingest = b.ingest;
    this.purgeInterval = b.purgeInterval;
    QueuedThreadPool threads = new QueuedThreadPool(b.maxThreads, Math.min(8, b.maxThreads));
    threads.setName("exactly-http");
    server = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    config.setSendDateHeader(false);
    connector = new ServerConnector(server, new HttpConnectionFactory(config));
    connector.setHost(b.bind);
    connector.setPort(b.port);
    server.addConnector(connector);
    server.setHandler(new IngestHandler(ingest));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts listening, and the purge. */
  public synchronized void start() throws Exception {
    server.start();
    purger =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "exactly-http-purge");
              t.setDaemon(true);
              return t;
            });
    long every = purgeInterval.toMillis();
    purger.scheduleWithFixedDelay(this::purge, every, every, TimeUnit.MILLISECONDS);
  }

  private void purge() {
    try {
      int n = ingest.purge();
      if (n > 0) {
        log.debug("purged {} expired idempotency keys", n);
      }
    } catch (Exception e) {
      log.warn(
          "purging expired idempotency keys failed; trying again in {}: {}",
          purgeInterval,
          e.toString());
    }
  }

  /** The port listened on: the one asked for, or the one chosen when asked for 0. */
  public int port() {
    return connector.getLocalPort();
  }

  /** Stops listening; requests in flight get up to 10 s to finish. */
  @Override
  public synchronized void close() {
    if (purger != null) {
      purger.shutdownNow();
    }
    server.setStopTimeout(10_000);
    try {
      server.stop();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IllegalStateException("stopping the HTTP server on port " + port() + " failed", e);
    }
  }

  /** Settings of an {@link IngestServer}. */
  public static final class Builder {
    private IdempotentIngest ingest;
    private String bind = "127.0.0.1";
    private int port = 8080;
    private int maxThreads = 64;
    private Duration purgeInterval = Duration.ofMinutes(1);

    private Builder() {}

    /** The ingest that answers; required. */
    public Builder ingest(IdempotentIngest ingest) {
      this.ingest = Objects.requireNonNull(ingest, "server.ingest");
      return this;
    }

    /**
     * The address to listen on; default {@code 127.0.0.1}. {@code 0.0.0.0} listens on every one.
     */
    public Builder bind(String bind) {
      this.bind = Objects.requireNonNull(bind, "server.bind");
      return this;
    }

    /** The port; default 8080, 0 for any free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new ConfigurationException("server.port", Integer.toString(port), "must be 0..65535");
      }
      this.port = port;
      return this;
    }

    /**
     * Request threads; default 64. Each request holds a database connection while it runs, so size
     * the pool to match.
     */
    public Builder maxThreads(int maxThreads) {
      if (maxThreads < 4) {
        throw new ConfigurationException(
            "server.maxThreads", Integer.toString(maxThreads), "must be at least 4");
      }
      this.maxThreads = maxThreads;
      return this;
    }

    /** How often expired keys are purged; default 1 minute. */
    public Builder purgeInterval(Duration purgeInterval) {
      if (purgeInterval.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new ConfigurationException(
            "server.purgeInterval", purgeInterval.toString(), "must be at least 1 s");
      }
      this.purgeInterval = purgeInterval;
      return this;
    }

    public IngestServer build() {
      if (ingest == null) {
        throw new ConfigurationException("server.ingest", "null", "is required");
      }
      return new IngestServer(this);
    }
  }

  /** Reads the request (at most one byte over the limit), asks the ingest, writes its answer. */
  private static final class IngestHandler extends Handler.Abstract {
    private static final long DRAIN_LIMIT = 16L << 20;
    private final IdempotentIngest ingest;

    IngestHandler(IdempotentIngest ingest) {
      this.ingest = ingest;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      HttpResponse answer;
      try {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (HttpField f : request.getHeaders()) {
          headers.computeIfAbsent(f.getName(), n -> new ArrayList<>()).add(f.getValue());
        }
        int limit = ingest.maxBodyBytes();
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
          body = in.readNBytes(limit + 1);
          if (body.length > limit) {
            // Read on (and drop) what a client sends of a body too large, up to a bound: a client
            // still writing when the connection closes would lose the 413 and see a reset.
            drain(in, DRAIN_LIMIT);
          }
        }
        answer =
            ingest.handle(
                new HttpRequest(
                    request.getMethod(), Request.getPathInContext(request), headers, body));
      } catch (Exception e) {
        log.warn("reading a request failed: {}", e.toString());
        answer =
            new HttpResponse(
                400,
                Map.of("Content-Type", Problems.CONTENT_TYPE),
                ("{\"type\":\""
                        + Problems.TYPE_BASE
                        + "unreadable-request\",\"title\":\"Bad request\",\"status\":400,"
                        + "\"detail\":\"the request body could not be read\"}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      response.setStatus(answer.status());
      answer.headers().forEach((k, v) -> response.getHeaders().put(k, v));
      byte[] bytes = answer.body();
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
      response.write(true, ByteBuffer.wrap(bytes), callback);
      return true;
    }

    private static void drain(InputStream in, long limit) throws java.io.IOException {
      byte[] buffer = new byte[64 * 1024];
      long read = 0;
      int n;
      while (read < limit && (n = in.read(buffer)) >= 0) {
        read += n;
      }
    }
  }
}
