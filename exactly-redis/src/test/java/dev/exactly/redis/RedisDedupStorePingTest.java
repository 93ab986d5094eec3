package dev.exactly.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.dedup.DedupStoreException;
import dev.exactly.testkit.ExternalService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Redis store's ping on a real server, reached through a local TCP forwarder that the test
 * closes to take the server away from this store alone (the shared server keeps running for
 * others).
 */
class RedisDedupStorePingTest {

  @BeforeAll
  static void server() {
    ExternalService.REDIS.assumeAvailable();
  }

  @Test
  void aPingAnswersWhileRedisIsReachableAndFailsNamingTheStoreOnceItIsGone() throws Exception {
    try (Forwarder forwarder = new Forwarder(ExternalService.REDIS.port());
        RedisDedupStore store =
            RedisDedupStore.builder("redis://127.0.0.1:" + forwarder.port())
                .timeout(Duration.ofSeconds(2))
                .build()) {
      store.ping(Duration.ofSeconds(2));

      forwarder.stop();

      long started = System.nanoTime();
      DedupStoreException down = null;
      while (down == null && System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
        try {
          store.ping(Duration.ofSeconds(2));
          Thread.sleep(50);
        } catch (DedupStoreException e) {
          down = e;
        }
      }
      assertThat(down).as("a ping fails once the server is gone").isNotNull();
      assertThat(down.getMessage())
          .contains("dedup store redis:127.0.0.1:" + forwarder.port() + " did not answer a ping");
      // Nothing listens any more: every later ping fails too, within its timeout.
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> store.ping(Duration.ofMillis(500)))
          .isInstanceOf(DedupStoreException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void aPingOnAClosedStoreFails() {
    RedisDedupStore store = RedisDedupStore.builder(ExternalService.REDIS.url()).build();
    store.ping(Duration.ofSeconds(2));
    store.close();
    assertThatThrownBy(() -> store.ping(Duration.ofSeconds(2)))
        .isInstanceOf(DedupStoreException.class)
        .hasMessageContaining("dedup store " + store.name());
  }

  /** Forwards a local port to Redis until closed; closing drops every forwarded connection. */
  static final class Forwarder implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    Forwarder(int targetPort) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread accept =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket in = server.accept();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    sockets.add(in);
                    sockets.add(out);
                    pipe(in, out);
                    pipe(out, in);
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "redis-forwarder");
      accept.setDaemon(true);
      accept.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pipe(Socket from, Socket to) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[8192];
                try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                  int n;
                  while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                    out.flush();
                  }
                } catch (IOException e) {
                  // the other side closed
                }
                closeQuietly(from);
                closeQuietly(to);
              },
              "redis-forwarder-pipe");
      t.setDaemon(true);
      t.start();
    }

    private static void closeQuietly(Socket s) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }

    /** Stops accepting and drops every forwarded connection, as a server that died would. */
    void stop() throws IOException {
      server.close();
      sockets.forEach(Forwarder::closeQuietly);
    }

    @Override
    public void close() throws IOException {
      stop();
    }
  }
}
