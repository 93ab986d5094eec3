package dev.exactly.testkit.check;

import dev.exactly.testkit.CountingHttpServer;
import java.util.List;

/**
 * The effects a {@link CountingHttpServer} counted, for the checker. By default no per-key order is
 * checked ({@link #keepsOrder()} is false); {@link #inArrivalOrder} checks each key's effects in
 * the order the server received them, which is the effect order when the client waits for each
 * response before it sends the key's next request.
 */
public final class HttpEffects implements EffectSource {
  private final CountingHttpServer server;
  private final boolean keepsOrder;

  public HttpEffects(CountingHttpServer server) {
    this(server, false);
  }

  private HttpEffects(CountingHttpServer server, boolean keepsOrder) {
    this.server = server;
    this.keepsOrder = keepsOrder;
  }

  /** The server's effects, each key's checked in arrival order. */
  public static HttpEffects inArrivalOrder(CountingHttpServer server) {
    return new HttpEffects(server, true);
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
    return keepsOrder;
  }
}
