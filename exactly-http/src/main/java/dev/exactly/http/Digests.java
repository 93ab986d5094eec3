package dev.exactly.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests: the key's identity across clients, and a request's fingerprint. */
final class Digests {
  private Digests() {}

  /** The row's primary key: client and key, length-prefixed so no two pairs meet. */
  static String keyHash(String client, String key) {
    MessageDigest d = sha256();
    d.update((client.length() + ":" + client + key).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(d.digest());
  }

  /** What a reused key must match: method, path and body. */
  static String fingerprint(HttpRequest request) {
    MessageDigest d = sha256();
    d.update((request.method() + "\n" + request.path() + "\n").getBytes(StandardCharsets.UTF_8));
    d.update(request.bodyUnsafe());
    return HexFormat.of().formatHex(d.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
