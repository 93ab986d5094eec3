package dev.exactly.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Reads Kafka {@code .properties} files, the way Kafka's own tools take --command-config. */
final class PropertiesFiles {
  private PropertiesFiles() {}

  /** The file's keys and values; an empty map for a null path. */
  static Map<String, Object> read(Path file) {
    Map<String, Object> out = new HashMap<>();
    if (file == null) {
      return out;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException(file + " cannot be read: " + e.getMessage(), e);
    }
    p.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
    return out;
  }

  /** Admin client properties: the command config plus the bootstrap servers. */
  static Map<String, Object> admin(String bootstrapServers, Path commandConfig) {
    Map<String, Object> out = read(commandConfig);
    out.put("bootstrap.servers", bootstrapServers);
    // A wrong address should fail the command in seconds, not after the default 60 s.
    out.putIfAbsent("default.api.timeout.ms", 15_000);
    out.putIfAbsent("request.timeout.ms", 10_000);
    return out;
  }
}
