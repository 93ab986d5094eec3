package dev.exactly.spring.boot.internal;

import dev.exactly.dedup.DedupStore;
import dev.exactly.spring.boot.ExactlyProperties;

/** Makes the dedup store of one idempotent consumer, for one kind of store. */
public interface StoreFactory {
  ExactlyProperties.StoreType type();

  DedupStore create(String prefix, ExactlyProperties.Consumer consumer);
}
