package dev.exactly.jdbc;

import dev.exactly.dedup.Claim;
import dev.exactly.dedup.StoredResult;
import dev.exactly.jdbc.internal.Transactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * Ends or extends claims of one chunk: completes them (done, with their results, until the
 * retention ends), releases them (deleted, so the key can be claimed again at once), or extends
 * their lease. All act only on rows that still carry the claim's token, so an owner whose lease was
 * taken over changes nothing.
 */
final class DedupCompletions {
  private final DataSource dataSource;
  private final DedupTable table;

  DedupCompletions(DataSource dataSource, DedupTable table) {
    this.dataSource = dataSource;
    this.table = table;
  }

  /**
   * @param claims sorted by key, at most {@link DedupTable#CHUNK}
   * @return the keys whose claim was no longer this owner's
   */
  Set<String> complete(
      List<Claim.Claimed> claims, long now, long until, Map<String, StoredResult> results)
      throws SQLException {
    Optional<String> oneStatement = table.completeReturningKeys(claims.size());
    if (oneStatement.isPresent()) {
      return completeInOneStatement(oneStatement.get(), claims, now, until, results);
    }
    try (Connection c = dataSource.getConnection()) {
      return Transactions.run(c, tx -> completeInABatch(tx, claims, now, until, results));
    }
  }

  /**
   * Where the database can (PostgreSQL), one statement completes the chunk and returns the rows it
   * changed: the keys missing from the answer are the ones whose claim was taken over. One
   * statement is its own transaction, in auto-commit.
   */
  private Set<String> completeInOneStatement(
      String sql,
      List<Claim.Claimed> claims,
      long now,
      long until,
      Map<String, StoredResult> results)
      throws SQLException {
    Set<String> lost = new HashSet<>();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        int p = 1;
        ps.setInt(p++, DedupTable.DONE);
        ps.setLong(p++, until);
        ps.setLong(p++, now);
        for (Claim.Claimed claim : claims) {
          ps.setString(p++, claim.key());
          ps.setString(p++, claim.token());
          ps.setBytes(p++, bytes(results.get(claim.key())));
          lost.add(claim.key());
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            lost.remove(rs.getString(1));
          }
        }
      }
    }
    return lost;
  }

  private Set<String> completeInABatch(
      Connection c,
      List<Claim.Claimed> claims,
      long now,
      long until,
      Map<String, StoredResult> results)
      throws SQLException {
    int[] counts;
    try (PreparedStatement ps = c.prepareStatement(table.completeOne())) {
      for (Claim.Claimed claim : claims) {
        ps.setInt(1, DedupTable.DONE);
        ps.setLong(2, until);
        ps.setLong(3, now);
        ps.setBytes(4, bytes(results.get(claim.key())));
        ps.setString(5, claim.key());
        ps.setString(6, claim.token());
        ps.addBatch();
      }
      counts = ps.executeBatch();
    }
    Set<String> lost = new HashSet<>();
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] == Statement.SUCCESS_NO_INFO) {
        return notDoneByUs(c, claims);
      }
      if (counts[i] == 0) {
        lost.add(claims.get(i).key());
      }
    }
    return lost;
  }

  /** For drivers that do not report per-row counts of a batch: read the rows back. */
  private Set<String> notDoneByUs(Connection c, List<Claim.Claimed> claims) throws SQLException {
    Map<String, String> tokens = new HashMap<>();
    claims.forEach(cl -> tokens.put(cl.key(), cl.token()));
    Set<String> lost = new HashSet<>(tokens.keySet());
    try (PreparedStatement ps = c.prepareStatement(table.readDone(claims.size()))) {
      int p = 1;
      for (Claim.Claimed cl : claims) {
        ps.setString(p++, cl.key());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getString(2).equals(tokens.get(rs.getString(1)))) {
            lost.remove(rs.getString(1));
          }
        }
      }
    }
    return lost;
  }

  /**
   * Extends the claims that are still this owner's and not done, in one transaction: the update
   * locks the rows it extends until the commit, so the read that follows names exactly those.
   *
   * @param claims sorted by key, at most {@link DedupTable#CHUNK}
   * @return the keys extended
   */
  Set<String> extend(List<Claim.Claimed> claims, long now, long until) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return Transactions.run(
          c,
          tx -> {
            try (PreparedStatement ps = tx.prepareStatement(table.extendHeld(claims.size()))) {
              ps.setLong(1, until);
              ps.setLong(2, now);
              int p = 3;
              for (Claim.Claimed claim : claims) {
                ps.setString(p++, claim.key());
                ps.setString(p++, claim.token());
              }
              ps.executeUpdate();
            }
            Set<String> extended = new HashSet<>();
            try (PreparedStatement ps = tx.prepareStatement(table.readHeld(claims.size()))) {
              int p = 1;
              for (Claim.Claimed claim : claims) {
                ps.setString(p++, claim.key());
                ps.setString(p++, claim.token());
              }
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  extended.add(rs.getString(1));
                }
              }
            }
            return extended;
          });
    }
  }

  /**
   * Deletes the claims that are still this owner's and not done, in one transaction.
   *
   * @param claims sorted by key, at most {@link DedupTable#CHUNK}
   */
  void release(List<Claim.Claimed> claims) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      Transactions.run(
          c,
          tx -> {
            try (PreparedStatement ps = tx.prepareStatement(table.releaseOne())) {
              for (Claim.Claimed claim : claims) {
                ps.setString(1, claim.key());
                ps.setString(2, claim.token());
                ps.addBatch();
              }
              return ps.executeBatch();
            }
          });
    }
  }

  private static byte[] bytes(StoredResult result) {
    return result == null ? null : result.bytes();
  }
}
