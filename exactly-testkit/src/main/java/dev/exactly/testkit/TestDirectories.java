package dev.exactly.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the testkit writes broker data and logs: under the build's {@code target/} when run by
 * Maven (environment variable {@code EXACTLY_TARGET_DIR}), else {@code ./target} when it exists,
 * else the system temporary directory.
 */
public final class TestDirectories {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final String RUN =
      LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

  private TestDirectories() {}

  /** The root all testkit files go under. */
  public static Path root() {
    String configured = System.getenv("EXACTLY_TARGET_DIR");
    if (configured == null || configured.isBlank()) {
      configured = System.getProperty("exactly.target.dir");
    }
    Path base;
    if (configured != null && !configured.isBlank()) {
      base = Path.of(configured);
    } else if (Files.isDirectory(Path.of("target"))) {
      base = Path.of("target");
    } else {
      base = Path.of(System.getProperty("java.io.tmpdir"));
    }
    return base.resolve("exactly").toAbsolutePath();
  }

  /** A new, empty directory whose name starts with {@code prefix} and is unique in this JVM. */
  public static Path newDirectory(String prefix) {
    Path dir =
        root()
            .resolve(
                prefix
                    + "-"
                    + RUN
                    + "-"
                    + ProcessHandle.current().pid()
                    + "-"
                    + COUNTER.incrementAndGet());
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }

  /** Deletes a directory tree; missing files are fine. */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
