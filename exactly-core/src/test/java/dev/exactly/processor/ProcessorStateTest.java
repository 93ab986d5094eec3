package dev.exactly.processor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessorStateTest {

  @Test
  void terminalStatesLeadNowhere() {
    for (ProcessorState terminal :
        new ProcessorState[] {
          ProcessorState.CLOSED, ProcessorState.FENCED, ProcessorState.FAILED
        }) {
      assertThat(terminal.isTerminal()).isTrue();
      for (ProcessorState next : ProcessorState.values()) {
        assertThat(terminal.canMoveTo(next)).as(terminal + " -> " + next).isFalse();
      }
    }
  }

  @Test
  void aRunningProcessorCanOnlyCloseBeFencedOrFail() {
    assertThat(ProcessorState.RUNNING.canMoveTo(ProcessorState.CLOSING)).isTrue();
    assertThat(ProcessorState.RUNNING.canMoveTo(ProcessorState.FENCED)).isTrue();
    assertThat(ProcessorState.RUNNING.canMoveTo(ProcessorState.FAILED)).isTrue();
    assertThat(ProcessorState.RUNNING.canMoveTo(ProcessorState.CLOSED)).isFalse();
    assertThat(ProcessorState.RUNNING.canMoveTo(ProcessorState.CREATED)).isFalse();
    assertThat(ProcessorState.CREATED.canMoveTo(ProcessorState.FENCED)).isFalse();
    assertThat(ProcessorState.CREATED.canMoveTo(ProcessorState.CLOSED)).isTrue();
  }
}
