package dev.exactly.testkit.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker must fail where it should: every kind of violation is seen and named. */
class ExactlyOnceCheckerTest {
  private static final List<Input> INPUTS =
      List.of(
          new Input("a0", "a", 0),
          new Input("a1", "a", 1),
          new Input("a2", "a", 2),
          new Input("b0", "b", 0),
          new Input("b1", "b", 1));

  @Test
  void exactlyOnceInOrderPasses() {
    CheckReport report = check(true, "a0", "b0", "a1", "b1", "a2");
    assertThat(report.isExactlyOnce()).isTrue();
    report.assertExactlyOnce();
  }

  @Test
  void lostInputIsReported() {
    CheckReport report = check(true, "a0", "a2", "b0", "b1");
    assertThat(report.lost()).containsExactly("a1");
    assertThat(report.orderViolations()).isEmpty();
    assertThatThrownBy(report::assertExactlyOnce)
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("lost: a1");
  }

  @Test
  void duplicateIsReportedWithItsCountAndAttempts() {
    CheckReport report = check(true, "a0", "a1", "a1", "a1", "a2", "b0", "b1");
    assertThat(report.duplicated()).containsExactly(java.util.Map.entry("a1", 3));
    assertThat(report.duplicateEffects()).isEqualTo(2);
    assertThat(report.duplicateExamples().get(0)).contains("a1 x3").contains("attempt-");
    assertThat(report.orderViolations()).as("a replay is a duplicate, not reordering").isEmpty();
  }

  @Test
  void reorderingIsReportedWhereTheSinkKeepsOrder() {
    assertThat(check(true, "a1", "a0", "a2", "b0", "b1").orderViolations())
        .singleElement()
        .asString()
        .contains("key a: sequence 0 (a0) took effect after 1 (a1)");
    assertThat(check(false, "a1", "a0", "a2", "b0", "b1").isExactlyOnce()).isTrue();
  }

  @Test
  void unexpectedEffectIsReported() {
    assertThat(check(true, "a0", "a1", "a2", "b0", "b1", "zz").unexpected())
        .singleElement()
        .asString()
        .startsWith("zz");
  }

  @Test
  void anInputIdGivenTwiceIsRefusedUnlessRepeatsAreAllowed() {
    List<Input> repeated = new ArrayList<>(INPUTS);
    repeated.add(new Input("a1", "a", 3));
    repeated.add(new Input("a1", "a", 4));
    assertThatThrownBy(() -> new ExactlyOnceChecker(repeated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a1 given twice");

    ExactlyOnceChecker checker = ExactlyOnceChecker.allowingRepeatedIds(repeated);
    assertThat(checker.expectedCount()).isEqualTo(5);
    assertThat(checker.repeatedInputIds()).containsExactly(java.util.Map.entry("a1", 3));
    // Each id is expected once: the input's own repeat is not the sink's duplicate.
    assertThat(check(checker, true, "a0", "a1", "a2", "b0", "b1").isExactlyOnce()).isTrue();
    assertThat(check(checker, true, "a0", "a1", "a1", "a2", "b0", "b1").duplicated())
        .containsExactly(java.util.Map.entry("a1", 2));
  }

  private static CheckReport check(boolean ordered, String... ids) {
    return check(new ExactlyOnceChecker(INPUTS), ordered, ids);
  }

  private static CheckReport check(ExactlyOnceChecker checker, boolean ordered, String... ids) {
    List<Effect> effects = new ArrayList<>();
    for (int i = 0; i < ids.length; i++) {
      effects.add(new Effect(ids[i], "attempt-" + i, "sink@" + i));
    }
    return checker.check(
        new EffectSource() {
          @Override
          public String name() {
            return "test sink";
          }

          @Override
          public List<Effect> read() {
            return effects;
          }

          @Override
          public boolean keepsOrder() {
            return ordered;
          }
        });
  }
}
