package dev.exactly.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.testkit.check.Input;
import dev.exactly.testkit.check.RecordId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** The pieces of {@code exactly verify} that need no broker. */
class VerifyInputsTest {
  private static ConsumerRecord<byte[], byte[]> record(int offset, String key, String value) {
    return new ConsumerRecord<>(
        "in",
        0,
        offset,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void eachKeyCountsItsOwnSequenceAndRecordsWithoutAKeyPromiseNoOrder() {
    VerifyInputs.Read read =
        VerifyInputs.of(
            List.of(
                record(0, "a", "x0"),
                record(1, "b", "x1"),
                record(2, "a", "x2"),
                record(3, null, "x3"),
                record(4, null, "x4")),
            RecordId.parse("value"),
            Optional.of(RecordId.parse("key")));
    assertThat(read.inputs())
        .containsExactly(
            new Input("x0", "a", 0),
            new Input("x1", "b", 0),
            new Input("x2", "a", 1),
            new Input("x3", "#in-0@3", 0),
            new Input("x4", "#in-0@4", 0));
  }

  @Test
  void recordsWithoutAnIdAreCountedWithExamplesNotExpected() {
    VerifyInputs.Read read =
        VerifyInputs.of(
            List.of(record(0, "a", "{\"id\":\"1\"}"), record(1, "a", "{}"), record(2, "a", null)),
            RecordId.parse("json:/id"),
            Optional.empty());
    assertThat(read.records()).isEqualTo(3);
    assertThat(read.inputs()).extracting(Input::id).containsExactly("1");
    assertThat(read.withoutId()).isEqualTo(2);
    assertThat(read.withoutIdExamples()).containsExactly("in-0@1", "in-0@2");
  }

  @Test
  void aJdbcUrlIsPrintedWithoutUserInfoOrParameters() {
    assertThat(
            Verification.withoutSecrets(
                "jdbc:postgresql://app:s3cret@db:5432/shop?user=app&password=s3cret"))
        .isEqualTo("jdbc:postgresql://db:5432/shop");
    assertThat(Verification.withoutSecrets("jdbc:h2:mem:x;USER=sa;PASSWORD=s3cret"))
        .isEqualTo("jdbc:h2:mem:x");
    assertThat(Verification.withoutSecrets("jdbc:mariadb://db/test"))
        .isEqualTo("jdbc:mariadb://db/test");
  }
}
