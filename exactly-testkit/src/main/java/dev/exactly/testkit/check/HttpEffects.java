package dev.exactly.testkit.check;

import dev.exactly.testkit.CountingHttpServer;
import java.util.List;

/**
 * The effects a {@link CountingHttpServer} counted, for the checker. An HTTP service keeps no order
 * per key that the checker could verify, so {@link #keepsOrder()} is false.
 */
public final class HttpEffects implements EffectSource {
  private final CountingHttpServer server;

  public HttpEffects(CountingHttpServer server) {
    this.server = server;
  }

  @Override
  public String name() {
    return "http " + server.effectsUri() + " (" + server.mode() + ")";
  }

  @Override
  public List<Effect> read() {
    return server.effects();
  }

  @Override
  public boolean keepsOrder() {
    return false;
  }
}
