package dev.exactly.cli;

import dev.exactly.testkit.EmbeddedKafkaExtension;
import dev.exactly.testkit.TestDirectories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code exactly sink} SIGKILLed and restarted on an H2 file database. */
class H2SinkCommandCrashTest {
  @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

  @Test
  void killedAtRandomEveryKeyHoldsItsLatestDocumentAppliedOncePerRecord() throws Exception {
    // AUTO_SERVER: the children and this test open the same file; WRITE_DELAY=0: a commit is on
    // disk before the sink goes on, so a SIGKILL cannot take back a committed batch.
    String url =
        "jdbc:h2:file:"
            + TestDirectories.newDirectory("sink-h2").resolve("db")
            + ";AUTO_SERVER=TRUE;WRITE_DELAY=0";
    KAFKA.broker().createTopic("sink-crash-h2", 3);
    SinkCommandCrash.run(KAFKA.broker().bootstrapServers(), url, "sink_crash", "sink-crash-h2");
  }
}
