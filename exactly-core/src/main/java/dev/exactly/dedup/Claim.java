package dev.exactly.dedup;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A store's answer for one key of a {@link DedupStore#claim claim}: exactly one of {@link Claimed},
 * {@link Done} or {@link InFlight}.
 */
public sealed interface Claim {

  /** The three answers. */
  enum Status {
    /** This caller now holds the key until the lease expires: it must act, then complete. */
    CLAIMED,
    /** The key's effect completed earlier and is still retained: skip it. */
    DONE,
    /** Another caller holds a live lease on the key: try again after the lease expires. */
    IN_FLIGHT
  }

  String key();

  Status status();

  /**
   * The key is this caller's until {@code leaseExpiry}.
   *
   * @param token identifies this claim; {@link DedupStore#complete complete} and {@link
   *     DedupStore#release release} act only while the stored claim still carries it
   * @param leaseExpiry when another caller may take the key over, by the store's clock
   */
  record Claimed(String key, String token, Instant leaseExpiry) implements Claim {
    public Claimed {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(token, "token");
      Objects.requireNonNull(leaseExpiry, "leaseExpiry");
    }

    @Override
    public Status status() {
      return Status.CLAIMED;
    }
  }

  /**
   * The key's effect completed.
   *
   * @param result what the completion stored, if anything
   */
  record Done(String key, Optional<StoredResult> result) implements Claim {
    public Done {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(result, "result");
    }

    @Override
    public Status status() {
      return Status.DONE;
    }
  }

  /**
   * Another caller holds the key.
   *
   * @param leaseExpiry when its lease ends, by the store's clock; the key may be claimed then
   */
  record InFlight(String key, Instant leaseExpiry) implements Claim {
    public InFlight {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(leaseExpiry, "leaseExpiry");
    }

    @Override
    public Status status() {
      return Status.IN_FLIGHT;
    }
  }
}
