package dev.exactly.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.exactly.testkit.check.Effect;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 standing for a side-effect service (a payment gateway, a mail
 * API): each {@code POST /effects} whose body names an input id is one effect, counted per input
 * and per {@code Idempotency-Key}.
 *
 * <p>In {@link Mode#HONOUR_KEY} a request whose {@code Idempotency-Key} was seen before is answered
 * with the first response (and the header {@code Idempotent-Replayed: true}) and is not an effect,
 * as a well-behaved payment API does. In {@link Mode#IGNORE_KEY} every request is an effect, which
 * shows what reaches a downstream that does not honour the key. Requests are handled one at a time,
 * so "seen before" is exact even for concurrent repeats.
 *
 * <p>Optional header {@code X-Exactly-Attempt} names the attempt, for the checker's examples.
 */
public final class CountingHttpServer implements AutoCloseable {
  /** How the server treats {@code Idempotency-Key}. */
  public enum Mode {
    HONOUR_KEY,
    IGNORE_KEY
  }

  public static final String KEY_HEADER = "Idempotency-Key";
  public static final String ATTEMPT_HEADER = "X-Exactly-Attempt";
  public static final String REPLAYED_HEADER = "Idempotent-Replayed";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Mode mode;
  private final List<Effect> effects = new ArrayList<>();
  private final Map<String, Integer> requestsByKey = new HashMap<>();
  private final Map<String, String> firstResponseByKey = new HashMap<>();
  private int requests;
  private int replays;

  private CountingHttpServer(Mode mode) throws IOException {
    this.mode = mode;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    this.executor = Executors.newFixedThreadPool(4);
    server.setExecutor(executor);
    server.createContext("/effects", this::handle);
    server.start();
  }

  /** Starts a server on a free loopback port. */
  public static CountingHttpServer start(Mode mode) {
    try {
      return new CountingHttpServer(mode);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the counting HTTP server", e);
    }
  }

  /** {@code http://127.0.0.1:<port>/effects}. */
  public URI effectsUri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/effects");
  }

  public Mode mode() {
    return mode;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        respond(exchange, 405, "POST only", false);
        return;
      }
      String inputId;
      try (InputStream in = exchange.getRequestBody()) {
        inputId = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      }
      if (inputId.isEmpty()) {
        respond(exchange, 400, "the body must name the input id", false);
        return;
      }
      String key = exchange.getRequestHeaders().getFirst(KEY_HEADER);
      String attempt = exchange.getRequestHeaders().getFirst(ATTEMPT_HEADER);
      String body;
      boolean replayed = false;
      synchronized (this) {
        requests++;
        if (key != null) {
          requestsByKey.merge(key, 1, Integer::sum);
        }
        String first = key == null ? null : firstResponseByKey.get(key);
        if (mode == Mode.HONOUR_KEY && first != null) {
          replays++;
          replayed = true;
          body = first;
        } else {
          body = "effect-" + (effects.size() + 1) + " for " + inputId;
          effects.add(new Effect(inputId, attempt == null ? "" : attempt, "http key=" + key));
          if (key != null) {
            firstResponseByKey.putIfAbsent(key, body);
          }
        }
      }
      respond(exchange, 200, body, replayed);
    }
  }

  private static void respond(HttpExchange exchange, int status, String body, boolean replayed)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    if (replayed) {
      exchange.getResponseHeaders().add(REPLAYED_HEADER, "true");
    }
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Every effect so far, in arrival order. */
  public synchronized List<Effect> effects() {
    return List.copyOf(effects);
  }

  /** Effects per input id. */
  public synchronized Map<String, Integer> effectCounts() {
    Map<String, Integer> out = new HashMap<>();
    effects.forEach(e -> out.merge(e.inputId(), 1, Integer::sum));
    return out;
  }

  /** Requests per {@code Idempotency-Key}, repeats included. */
  public synchronized Map<String, Integer> requestsByKey() {
    return Map.copyOf(requestsByKey);
  }

  public synchronized int requests() {
    return requests;
  }

  /** Requests answered from the first response without an effect. */
  public synchronized int replays() {
    return replays;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
