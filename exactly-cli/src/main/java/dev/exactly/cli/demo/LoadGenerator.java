package dev.exactly.cli.demo;

import dev.exactly.testkit.check.Input;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP clients: one thread per customer posts that customer's orders in sequence, each with its
 * own Idempotency-Key, at an even overall rate. A failed or refused request (the ingest stage being
 * killed) is retried with the same key until it is accepted; every tenth order is sent a second
 * time on purpose after it was accepted; every 25th order is malformed (its amount is not a
 * number).
 */
final class LoadGenerator {
  static final int CUSTOMERS = 8;
  private static final Duration RETRY_BACKOFF = Duration.ofMillis(200);
  private static final int MAX_ATTEMPTS = 600;

  private final URI endpoint;
  private final int orders;
  private final double ratePerSecond;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final Map<String, Long> firstSentMs = new ConcurrentHashMap<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger retries = new AtomicInteger();
  private final AtomicInteger repeats = new AtomicInteger();
  private final AtomicInteger replayed = new AtomicInteger();
  private final List<Input> acceptedOrders = new ArrayList<>();
  private final List<Input> malformed = new ArrayList<>();
  private final List<String> refused = new ArrayList<>();

  LoadGenerator(URI endpoint, int orders, double ratePerSecond) {
    this.endpoint = endpoint;
    this.orders = orders;
    this.ratePerSecond = ratePerSecond;
  }

  static boolean isMalformed(int n) {
    return n % 25 == 12;
  }

  /** Sends every order and returns once each was accepted or refused for good. */
  void run() throws InterruptedException {
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < CUSTOMERS; c++) {
      int customer = c;
      Thread t = new Thread(() -> sendCustomer(customer, start), "demo-client-" + c);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  private void sendCustomer(int customer, long start) {
    long seq = 0;
    for (int n = customer; n < orders; n += CUSTOMERS) {
      long due = start + (long) (n * 1e9 / ratePerSecond);
      sleepNanos(due - System.nanoTime());
      Input order = new Input(String.format("o-%05d", n), "c-" + customer, seq++);
      boolean bad = isMalformed(n);
      String body = Orders.json(order, bad);
      String key = "\"order-" + order.id() + "\"";
      firstSentMs.put(order.id(), System.currentTimeMillis());
      if (!sendUntilAnswered(body, key)) {
        synchronized (this) {
          refused.add(order.id());
        }
        continue;
      }
      accepted.incrementAndGet();
      synchronized (this) {
        (bad ? malformed : acceptedOrders).add(order);
      }
      if (n % 10 == 3) {
        repeats.incrementAndGet();
        sendUntilAnswered(body, key); // on purpose: a client that sends twice
      }
    }
  }

  /** Sends until a 2xx; false when the server refuses the order for good (4xx other than 409). */
  private boolean sendUntilAnswered(String body, String key) {
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        retries.incrementAndGet();
        sleepNanos(RETRY_BACKOFF.toNanos());
      }
      sent.incrementAndGet();
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(endpoint)
                    .timeout(Duration.ofSeconds(5))
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", key)
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
          if (response.headers().firstValue("Idempotent-Replayed").isPresent()) {
            replayed.incrementAndGet();
          }
          return true;
        }
        if (status / 100 == 4 && status != 409 && status != 429) {
          return false;
        }
      } catch (IOException e) {
        // the ingest stage is down or was killed mid-request: retry with the same key
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private static void sleepNanos(long nanos) {
    if (nanos <= 0) {
      return;
    }
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  int requestsSent() {
    return sent.get();
  }

  int accepted() {
    return accepted.get();
  }

  int retries() {
    return retries.get();
  }

  int repeats() {
    return repeats.get();
  }

  int replayed() {
    return replayed.get();
  }

  /** When each order was first sent, epoch ms: where every stage's latency is measured from. */
  Map<String, Long> firstSentMs() {
    return Map.copyOf(firstSentMs);
  }

  /** The well-formed orders the server accepted: each must be paid, stored and charged once. */
  synchronized List<Input> acceptedOrders() {
    return List.copyOf(acceptedOrders);
  }

  /** The malformed orders the server accepted: each must reach the dead-letter topic once. */
  synchronized List<Input> malformed() {
    return List.copyOf(malformed);
  }

  synchronized List<String> refused() {
    return List.copyOf(refused);
  }
}
