package dev.exactly.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonPointerTest {
  private static final String DOC =
      """
      {"skip": {"deep": [1, {"x": "}"}, "a\\"b", true, null, -2.5e3]},
       "orderId": "o-42",
       "n": 1234567890123,
       "a/b": "slash", "m~n": "tilde", "": "empty-name",
       "lines": [{"id": "l0"}, {"id": "l\\u00e9\\n1"}],
       "obj": {}, "nul": null}
      """;

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "/orderId|o-42",
        "/n|1234567890123",
        "/a~1b|slash",
        "/m~0n|tilde",
        "/|empty-name",
        "/lines/0/id|l0",
        "/skip/deep/4/|''"
      })
  void findsScalarsOnThePath(String pointer, String expected) {
    if (pointer.equals("/skip/deep/4/")) {
      assertThatThrownBy(() -> JsonPointer.parse(pointer).find(DOC))
          .hasMessageContaining("nothing at");
      return;
    }
    assertThat(JsonPointer.parse(pointer).find(DOC)).isEqualTo(expected);
  }

  @Test
  void unescapesStrings() {
    assertThat(JsonPointer.parse("/lines/1/id").find(DOC)).isEqualTo("l\u00e9\n1");
  }

  @Test
  void refusesMissingAndNonScalarTargets() {
    assertThatThrownBy(() -> JsonPointer.parse("/missing").find(DOC))
        .hasMessageContaining("nothing at /missing");
    assertThatThrownBy(() -> JsonPointer.parse("/lines/2/id").find(DOC))
        .hasMessageContaining("nothing at");
    assertThatThrownBy(() -> JsonPointer.parse("/lines/01").find(DOC))
        .hasMessageContaining("nothing at");
    assertThatThrownBy(() -> JsonPointer.parse("/obj").find(DOC))
        .hasMessageContaining("not a string or a number");
    assertThatThrownBy(() -> JsonPointer.parse("/nul").find(DOC))
        .hasMessageContaining("not a string or a number");
    assertThatThrownBy(() -> JsonPointer.parse("/orderId/x").find(DOC))
        .hasMessageContaining("nothing at");
  }

  @Test
  void refusesMalformedJsonOnThePath() {
    assertThatThrownBy(() -> JsonPointer.parse("/b").find("{\"a\": tru, \"b\": 1}"))
        .hasMessageContaining("malformed JSON");
    assertThatThrownBy(() -> JsonPointer.parse("/a").find("{\"a\": \"open"))
        .hasMessageContaining("unterminated");
    assertThatThrownBy(() -> JsonPointer.parse("/a").find("{\"a\": 01}"))
        .hasMessageContaining("bad number");
  }

  @Test
  void refusesBadPointers() {
    assertThatThrownBy(() -> JsonPointer.parse("orderId")).hasMessageContaining("starts with '/'");
    assertThatThrownBy(() -> JsonPointer.parse("/a~2")).hasMessageContaining("'~'");
  }
}
