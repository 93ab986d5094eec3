package dev.exactly.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The rows of the idempotency table: a key's fingerprint and the response stored for it. */
final class KeyRecords {
  private static final TypeReference<LinkedHashMap<String, String>> HEADERS =
      new TypeReference<>() {};

  /** A key's stored record. */
  record Stored(String fingerprint, HttpResponse response) {}

  private final IdempotencyTable table;
  private final ObjectMapper json;

  KeyRecords(IdempotencyTable table, ObjectMapper json) {
    this.table = table;
    this.json = json;
  }

  /** Inserts the key's row with its response; takes the key's row lock until the commit. */
  void insert(
      Connection tx,
      String keyHash,
      String client,
      String key,
      String fingerprint,
      HttpResponse response,
      long nowMillis)
      throws SQLException {
    try (PreparedStatement ps = tx.prepareStatement(table.insert())) {
      ps.setString(1, keyHash);
      ps.setString(2, client);
      ps.setString(3, key);
      ps.setString(4, fingerprint);
      ps.setInt(5, response.status());
      ps.setBytes(6, headerBytes(response));
      ps.setBytes(7, response.body());
      ps.setLong(8, nowMillis);
      ps.executeUpdate();
    }
  }

  /** Replaces the response stored for the key, in the transaction that inserted it. */
  void replaceResponse(Connection tx, String keyHash, HttpResponse response) throws SQLException {
    try (PreparedStatement ps = tx.prepareStatement(table.updateResponse())) {
      ps.setInt(1, response.status());
      ps.setBytes(2, headerBytes(response));
      ps.setBytes(3, response.body());
      ps.setString(4, keyHash);
      ps.executeUpdate();
    }
  }

  /** The key's committed record, without taking any lock. */
  Optional<Stored> find(Connection c, String keyHash) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(table.select())) {
      ps.setString(1, keyHash);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        Map<String, String> headers = json.readValue(rs.getBytes(3), HEADERS);
        return Optional.of(
            new Stored(rs.getString(1), new HttpResponse(rs.getInt(2), headers, rs.getBytes(4))));
      } catch (IOException e) {
        throw new SQLException("the stored headers of a key in " + table.name + " are not JSON", e);
      }
    }
  }

  private byte[] headerBytes(HttpResponse response) {
    try {
      return json.writeValueAsBytes(response.headers());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
