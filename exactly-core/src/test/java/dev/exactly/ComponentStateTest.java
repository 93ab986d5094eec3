package dev.exactly;

import static dev.exactly.ComponentState.CLOSED;
import static dev.exactly.ComponentState.CLOSING;
import static dev.exactly.ComponentState.CREATED;
import static dev.exactly.ComponentState.FAILED;
import static dev.exactly.ComponentState.FENCED;
import static dev.exactly.ComponentState.RUNNING;
import static dev.exactly.ComponentState.STANDBY;
import static dev.exactly.ComponentState.STARTING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.exactly.internal.Lifecycle;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ComponentStateTest {

  @Test
  void theUsualLivesAreLegal() {
    assertThat(CREATED.canMoveTo(STARTING)).isTrue();
    assertThat(STARTING.canMoveTo(RUNNING)).isTrue();
    assertThat(STARTING.canMoveTo(STANDBY)).isTrue();
    assertThat(STANDBY.canMoveTo(RUNNING)).isTrue();
    assertThat(RUNNING.canMoveTo(STANDBY)).isTrue();
    assertThat(RUNNING.canMoveTo(CLOSING)).isTrue();
    assertThat(CLOSING.canMoveTo(CLOSED)).isTrue();
    assertThat(RUNNING.canMoveTo(FENCED)).isTrue();
    assertThat(RUNNING.canMoveTo(FAILED)).isTrue();
    assertThat(FAILED.canMoveTo(CLOSING)).isTrue();
    assertThat(CREATED.canMoveTo(CLOSED)).isTrue();
  }

  @Test
  void closedAndFencedAreFinal() {
    for (ComponentState next : ComponentState.values()) {
      assertThat(CLOSED.canMoveTo(next)).isFalse();
      assertThat(FENCED.canMoveTo(next)).isFalse();
    }
    assertThat(CLOSED.isTerminal()).isTrue();
    assertThat(FENCED.isTerminal()).isTrue();
    assertThat(FAILED.isTerminal()).isTrue();
    assertThat(RUNNING.isTerminal()).isFalse();
  }

  @Test
  void nothingRunsWithoutStartingAndNothingRestarts() {
    assertThat(CREATED.canMoveTo(RUNNING)).isFalse();
    assertThat(CLOSING.canMoveTo(RUNNING)).isFalse();
    assertThat(FAILED.canMoveTo(RUNNING)).isFalse();
    assertThat(STANDBY.canMoveTo(FENCED)).isFalse();
  }

  @Test
  void anIllegalMoveThrowsNamingTheComponentAndBothStates() {
    Lifecycle life = new Lifecycle("processor orders/node-1");
    assertThatThrownBy(() -> life.moveTo(RUNNING))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("processor orders/node-1 cannot move from CREATED to RUNNING");
    life.moveFrom(CREATED, STARTING);
    assertThatThrownBy(() -> life.moveFrom(CREATED, STARTING))
        .hasMessageContaining("it is STARTING");
  }

  @Test
  void aFailureIsKeptWithTheState() throws InterruptedException {
    Lifecycle life = new Lifecycle("sink s");
    life.moveTo(STARTING);
    life.moveTo(RUNNING);
    IllegalStateException boom = new IllegalStateException("db gone");
    assertThat(life.fail(boom)).isTrue();
    assertThat(life.state()).isEqualTo(FAILED);
    assertThat(life.failure()).containsSame(boom);
    assertThat(life.tryMoveTo(RUNNING)).isFalse();
    assertThat(life.awaitTermination(Duration.ZERO)).isFalse();
    life.terminated();
    assertThat(life.awaitTermination(Duration.ZERO)).isTrue();
  }
}
