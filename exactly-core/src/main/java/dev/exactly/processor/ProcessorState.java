package dev.exactly.processor;

import java.util.EnumSet;
import java.util.Set;

/**
 * The lifecycle of a processor. The legal transitions are listed here and nowhere else:
 *
 * <pre>
 * CREATED -&gt; RUNNING -&gt; CLOSING -&gt; CLOSED
 *               |  \--&gt; FENCED  (another instance took over this transactional.id or group
 *               |                generation: this one is a zombie and stops for good)
 *               \-----&gt; FAILED  (a fatal client error or an Error from user code; see failure())
 * CREATED -&gt; CLOSED, CLOSING -&gt; FENCED, CLOSING -&gt; FAILED
 * </pre>
 */
public enum ProcessorState {
  CREATED,
  RUNNING,
  CLOSING,
  CLOSED,
  FENCED,
  FAILED;

  /** Whether the engine has stopped for good: closed, fenced or failed. */
  public boolean isTerminal() {
    return this == CLOSED || this == FENCED || this == FAILED;
  }

  /** Whether moving from this state to {@code next} is legal. */
  public boolean canMoveTo(ProcessorState next) {
    return next(this).contains(next);
  }

  private static Set<ProcessorState> next(ProcessorState from) {
    return switch (from) {
      case CREATED -> EnumSet.of(RUNNING, CLOSED);
      case RUNNING -> EnumSet.of(CLOSING, FENCED, FAILED);
      case CLOSING -> EnumSet.of(CLOSED, FENCED, FAILED);
      case CLOSED, FENCED, FAILED -> EnumSet.noneOf(ProcessorState.class);
    };
  }
}
