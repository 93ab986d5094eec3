package dev.exactly.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Assumptions;

/**
 * The database and cache servers some tests need, at their standard loopback addresses.
 *
 * <p>{@link #assumeAvailable()} skips a test, with a message saying how to start the server, when
 * the server is unreachable, unless the environment variable {@code EXACTLY_REQUIRE_SERVICES} is
 * {@code true} (as in CI), when it fails the test instead: a CI run must not pass by skipping.
 */
public enum ExternalService {
  POSTGRESQL(
      "PostgreSQL",
      5432,
      "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
      "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"),
  MARIADB(
      "MariaDB",
      3306,
      "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
      "jdbc:mariadb://127.0.0.1:3306/test?user=root"),
  REDIS(
      "Redis",
      6379,
      "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
      "redis://127.0.0.1:6379");

  /** Set to {@code true} to fail, not skip, tests whose server is unreachable. */
  public static final String REQUIRE_VARIABLE = "EXACTLY_REQUIRE_SERVICES";

  private final String displayName;
  private final int port;
  private final String startCommand;
  private final String url;

  ExternalService(String displayName, int port, String startCommand, String url) {
    this.displayName = displayName;
    this.port = port;
    this.startCommand = startCommand;
    this.url = url;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** The connection URL tests use: JDBC for the databases, a Redis URI for Redis. */
  public String url() {
    return url;
  }

  /** Whether a TCP connection to the server succeeds within one second. */
  public boolean isReachable() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host(), port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Skips the calling test when the server is down, or fails it when services are required. */
  public void assumeAvailable() {
    assumeAvailable(isReachable(), Boolean.parseBoolean(System.getenv(REQUIRE_VARIABLE)));
  }

  void assumeAvailable(boolean reachable, boolean required) {
    if (reachable) {
      return;
    }
    String message =
        displayName
            + " is not reachable at "
            + host()
            + ":"
            + port
            + "; start it with: "
            + startCommand;
    if (required) {
      throw new AssertionError(message + " (" + REQUIRE_VARIABLE + "=true, so this fails)");
    }
    Assumptions.abort(message);
  }
}
