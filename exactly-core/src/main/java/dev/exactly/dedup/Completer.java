package dev.exactly.dedup;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * With concurrency: collects the items whose handler succeeded, from any worker, and marks their
 * keys done in one store call per {@link #flush}, which the engine thread calls every few
 * milliseconds while a batch runs. A key is so done within a few milliseconds of its effect, not at
 * the end of its poll: a crash repeats at most the effects still in flight or awaiting a flush.
 */
final class Completer<K, V> {
  private final Queue<Item<K, V>> pending = new ConcurrentLinkedQueue<>();
  private final LeaseRenewer renewer;
  private final ClaimEnds ends;

  Completer(LeaseRenewer renewer, ClaimEnds ends) {
    this.renewer = renewer;
    this.ends = ends;
  }

  /** Worker side: {@code item}'s effect is done; its key waits for the next flush. */
  void add(Item<K, V> item) {
    pending.add(item);
  }

  /**
   * Engine thread: completes every key added so far. A key a renewal found taken over is not
   * completed (its new holder owns it) but settled, as in the serial batch.
   *
   * @return false when stopping came first: the drained items stay unsettled
   */
  boolean flush() {
    List<Item<K, V>> items = new ArrayList<>();
    for (Item<K, V> item = pending.poll(); item != null; item = pending.poll()) {
      items.add(item);
    }
    if (items.isEmpty()) {
      return true;
    }
    List<Claim.Claimed> claims = new ArrayList<>(items.size());
    Map<String, StoredResult> results = new HashMap<>();
    for (Item<K, V> item : items) {
      boolean lost = renewer.lost(item.dedupKey);
      // No renewal may act on a claim being completed.
      renewer.drop(item.dedupKey);
      if (!lost) {
        claims.add(item.claimed());
        if (item.result != null) {
          results.put(item.dedupKey, item.result);
        }
      }
    }
    if (!ends.complete(claims, results)) {
      return false;
    }
    items.forEach(item -> item.settled = true);
    return true;
  }
}
