package dev.exactly.jdbc;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.StoredResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Claims one chunk of sorted keys: one multi-row upsert-if-stale decides, writing the call's token
 * into every row it inserts or takes over; one read reports what it decided. The two run each in
 * its own auto-committed statement: the read decides nothing, so they need no common transaction,
 * and holding the upsert's row locks through the read would only keep other claimers waiting.
 */
final class DedupClaims {
  private final DataSource dataSource;
  private final DedupTable table;

  DedupClaims(DataSource dataSource, DedupTable table) {
    this.dataSource = dataSource;
    this.table = table;
  }

  /**
   * @param keys distinct keys in sorted order, at most {@link DedupTable#CHUNK}
   * @param now the ticker's time, epoch milliseconds
   */
  Map<String, Claim> claim(List<String> keys, String token, long now, long expiry)
      throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement(table.claim(keys.size()))) {
        int p = 1;
        for (String key : keys) {
          ps.setString(p++, key);
          ps.setInt(p++, DedupTable.CLAIMED);
          ps.setString(p++, token);
          ps.setLong(p++, expiry);
          ps.setLong(p++, now);
        }
        ps.executeUpdate();
      }
      Map<String, Claim> out = read(c, keys, token, now);
      for (String key : keys) {
        // Purged between the two statements (its entry had expired): nobody holds it now, so the
        // caller simply tries again shortly.
        out.putIfAbsent(key, new Claim.InFlight(key, Instant.ofEpochMilli(now)));
      }
      return out;
    }
  }

  private Map<String, Claim> read(Connection c, List<String> keys, String token, long now)
      throws SQLException {
    Map<String, Claim> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(table.readClaims(keys.size()))) {
      int p = 1;
      for (String key : keys) {
        ps.setString(p++, key);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String key = rs.getString(1);
          out.put(
              key,
              answer(
                  key, rs.getInt(2), rs.getString(3), rs.getLong(4), rs.getBytes(5), token, now));
        }
      }
    }
    return out;
  }

  private static Claim answer(
      String key,
      int state,
      String rowToken,
      long expiresAt,
      byte[] result,
      String token,
      long now) {
    if (state == DedupTable.CLAIMED && token.equals(rowToken)) {
      return new Claim.Claimed(key, token, Instant.ofEpochMilli(expiresAt));
    }
    if (state == DedupTable.DONE) {
      return new Claim.Done(key, Optional.ofNullable(result).map(StoredResult::of));
    }
    // Another caller's claim; if it expired just now, the caller retries at once.
    return new Claim.InFlight(key, Instant.ofEpochMilli(Math.max(expiresAt, now)));
  }
}
