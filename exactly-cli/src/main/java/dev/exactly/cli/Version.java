package dev.exactly.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Prints this build's version and the Kafka client it carries. */
final class Version implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String own = Main.class.getPackage().getImplementationVersion();
    return new String[] {
      "exactly " + (own == null ? "(development build)" : own), "Apache Kafka " + kafka()
    };
  }

  /** The Kafka client version, from the file the client jar ships (its parser is internal). */
  static String kafka() {
    try (InputStream in = Version.class.getResourceAsStream("/kafka/kafka-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}
