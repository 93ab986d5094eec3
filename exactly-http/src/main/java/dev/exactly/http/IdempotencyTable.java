package dev.exactly.http;

import dev.exactly.jdbc.internal.Column;
import dev.exactly.jdbc.internal.Dialect;
import dev.exactly.jdbc.internal.Sql;
import java.util.List;

/**
 * The statements on one idempotency table. One row per (client, key), found by {@code key_hash},
 * the SHA-256 of both: a fixed-width primary key that every database indexes the same way, however
 * long the client's name and the key are. The name was checked as an identifier before it gets
 * here; every value is bound.
 */
final class IdempotencyTable {
  static final int PURGE_BATCH = 500;

  final String name;

  IdempotencyTable(String name) {
    this.name = Dialect.checkIdentifier("ingest.table", name);
  }

  List<String> create(Dialect dialect) {
    String local = Sql.local(name);
    String index = (local.length() > 52 ? local.substring(0, 52) : local) + "_created_at";
    return dialect.createTableIfAbsent(
        name,
        List.of(
            Column.key("key_hash", 64),
            Column.text("client", 255, false),
            Column.text("idem_key", 255, false),
            Column.key("fingerprint", 64),
            Column.integer("status", false),
            Column.bytes("headers", false),
            Column.bytes("body", false),
            Column.bigint("created_at", false)),
        List.of("key_hash"),
        List.of(new Dialect.Index(index, List.of("created_at"))));
  }

  String select() {
    return "SELECT fingerprint, status, headers, body FROM " + name + " WHERE key_hash = ?";
  }

  String insert() {
    return "INSERT INTO "
        + name
        + " (key_hash, client, idem_key, fingerprint, status, headers, body, created_at)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
  }

  String updateResponse() {
    return "UPDATE " + name + " SET status = ?, headers = ?, body = ? WHERE key_hash = ?";
  }

  String purge(Dialect dialect) {
    return dialect.deleteSome(name, "key_hash", "created_at < ?", PURGE_BATCH);
  }
}
