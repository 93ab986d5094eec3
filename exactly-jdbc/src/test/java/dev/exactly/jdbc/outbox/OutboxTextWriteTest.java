package dev.exactly.jdbc.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.exactly.jdbc.internal.HeaderCodec;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** The text overloads of {@link Outbox#write} store UTF-8 bytes, keep nulls and header order. */
class OutboxTextWriteTest {

  @Test
  void textIsStoredAsUtf8WithNullsAndHeadersInOrder() throws Exception {
    Outbox outbox = Outbox.builder().table("outbox_text").build();
    try (Connection c = DriverManager.getConnection("jdbc:h2:mem:outbox_text;DB_CLOSE_DELAY=-1")) {
      outbox.createTableIfAbsent(c);
      c.setAutoCommit(false);
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("type", "créé");
      headers.put("empty", null);
      outbox.write(c, "orders", "order-7", "{\"total\":\"12 €\"}", headers);
      outbox.write(c, "orders", "order-8", (String) null);
      c.commit();
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT msg_key, msg_value, headers FROM outbox_text ORDER BY id")) {
        assertThat(rs.next()).isTrue();
        assertThat(text(rs.getBytes(1))).isEqualTo("order-7");
        assertThat(text(rs.getBytes(2))).isEqualTo("{\"total\":\"12 €\"}");
        var decoded = HeaderCodec.decode(rs.getBytes(3));
        assertThat(decoded).extracting(Header::key).containsExactly("type", "empty");
        assertThat(text(decoded.get(0).value())).isEqualTo("créé");
        assertThat(decoded.get(1).value()).isNull();
        assertThat(rs.next()).isTrue();
        assertThat(text(rs.getBytes(1))).isEqualTo("order-8");
        assertThat(rs.getBytes(2)).as("a null value stays a tombstone").isNull();
      }
    }
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
