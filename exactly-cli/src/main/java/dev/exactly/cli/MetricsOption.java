package dev.exactly.cli;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --metrics-port}: the one way every long-running command serves its meters to Prometheus,
 * at {@code http://127.0.0.1:PORT/metrics}. Loopback only: the port carries no authentication, so
 * exposing it further is a deliberate step (a sidecar or an agent on the same host).
 *
 * <p>Use it as a picocli mixin; {@link #start} returns the registry for the command's components
 * and an {@link AutoCloseable} that stops the server.
 */
final class MetricsOption {
  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description =
          "Serve metrics for Prometheus at http://127.0.0.1:PORT/metrics (0 picks a free port)")
  Integer port;

  /** The command this option is mixed into, so a bad port is a usage error (exit 2). */
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  /** A running endpoint, or none: its registry is where the command's components report. */
  static final class Served implements AutoCloseable {
    private final MeterRegistry registry;
    private final HttpServer server;

    private Served(MeterRegistry registry, HttpServer server) {
      this.registry = registry;
      this.server = server;
    }

    MeterRegistry registry() {
      return registry;
    }

    /** The bound port, or -1 without --metrics-port. */
    int port() {
      return server == null ? -1 : server.getAddress().getPort();
    }

    @Override
    public void close() {
      if (server != null) {
        server.stop(0);
      }
    }
  }

  /** Starts the endpoint when asked, and says where it is on {@code out}. */
  Served start(PrintWriter out) {
    if (port == null) {
      return new Served(new SimpleMeterRegistry(), null);
    }
    if (port < 0 || port > 65535) {
      String message = "--metrics-port " + port + " is not a TCP port; use 0 to 65535";
      if (mixee != null) {
        throw new ParameterException(
            mixee.commandLine(), "Invalid value for option '--metrics-port': " + message);
      }
      throw new IllegalArgumentException(message);
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "--metrics-port "
              + port
              + " cannot be bound on 127.0.0.1 ("
              + e.getMessage()
              + "); choose another port or 0",
          e);
    }
    server.createContext(
        "/metrics",
        exchange -> {
          byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
          exchange
              .getResponseHeaders()
              .set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream o = exchange.getResponseBody()) {
            o.write(body);
          }
        });
    server.start();
    out.printf("metrics at http://127.0.0.1:%d/metrics%n", server.getAddress().getPort());
    out.flush();
    return new Served(registry, server);
  }
}
