package dev.exactly.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.exactly.testkit.check.CheckReport;
import java.util.List;
import java.util.TreeMap;

/**
 * Renders a {@link VerifyOutcome}, or the reason there is none, as one JSON document for CI. The
 * numbers are the ones the text shows; {@code exitCode} is the command's.
 */
final class VerifyJson {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private VerifyJson() {}

  static String of(VerifyOutcome outcome) throws JsonProcessingException {
    ObjectNode root = JSON.createObjectNode();
    root.put("verdict", outcome.violated() ? "violated" : "exactly-once");
    root.put("exitCode", outcome.exitCode());
    VerifyOutcome.Input in = outcome.input();
    ObjectNode input = root.putObject("input");
    input.put("source", in.source());
    input.put("records", in.records());
    input.put("ids", in.ids());
    input.put("repeatedIds", in.repeatedIds().size());
    input.put("withoutId", in.withoutId());
    input.set(
        "repeatedIdExamples",
        JSON.valueToTree(
            new TreeMap<>(in.repeatedIds())
                .entrySet().stream()
                    .limit(VerifyText.EXAMPLES)
                    .map(e -> e.getKey() + " x" + e.getValue())
                    .toList()));
    input.set("withoutIdExamples", JSON.valueToTree(in.withoutIdExamples()));
    stuck(input.putArray("stuckPartitions"), in.stuck());
    ArrayNode outputs = root.putArray("outputs");
    for (VerifyOutcome.Output o : outcome.outputs()) {
      CheckReport r = o.report();
      ObjectNode n = outputs.addObject();
      n.put("source", r.source());
      n.put("kind", o.kind());
      n.put("exactlyOnce", !o.violated(outcome.failOnAborted()));
      n.put("inputs", r.expected());
      n.put("effects", r.observed());
      n.put("lost", r.lost().size());
      n.put("duplicated", r.duplicated().size());
      n.put("duplicateEffects", r.duplicateEffects());
      n.put("unexpected", r.unexpected().size());
      n.put("orderChecked", o.orderChecked());
      n.put("reordered", r.orderViolations().size());
      n.put("aborted", o.aborted());
      stuck(n.putArray("stuckPartitions"), o.stuck());
      n.set("examples", JSON.valueToTree(new TreeMap<>(VerifyText.examplesOf(o))));
    }
    return JSON.writeValueAsString(root);
  }

  /** The document for a check that could not be made (exit 2). */
  static String ofError(String message) throws JsonProcessingException {
    ObjectNode root = JSON.createObjectNode();
    root.put("verdict", "could-not-check");
    root.put("exitCode", VerifyCommand.COULD_NOT_CHECK);
    root.put("error", message);
    return JSON.writeValueAsString(root);
  }

  private static void stuck(ArrayNode array, List<VerifyOutcome.Stuck> stuck) {
    for (VerifyOutcome.Stuck s : stuck) {
      ObjectNode n = array.addObject();
      n.put("partition", s.partition());
      n.put("lastStableOffset", s.lastStableOffset());
      n.put("endOffset", s.endOffset());
      n.put("heldBy", s.heldBy());
    }
  }
}
