package dev.exactly.cli.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The self-contained HTML report of a run: the verdict, the per-stage table, throughput per stage
 * over time with the kills marked, and latency percentiles per stage. Charts are inline SVG; the
 * numbers are also embedded as JSON ({@code #demo-data}) for tools and tests. No network needed.
 */
final class DemoReport {
  static final double[] PERCENTILES = {50, 95, 99, 100};
  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoReport() {}

  static Path write(DemoResult r, Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, html(r), StandardCharsets.UTF_8);
    return file;
  }

  static String html(DemoResult r) throws JsonProcessingException {
    int seconds = seconds(r);
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
        .append("<title>exactly demo: ")
        .append(r.exactlyOnce() ? "exactly-once" : "VIOLATED")
        .append("</title>\n")
        // First script of the page: any later script error leaves a marker a test can find.
        .append(
            "<script>window.onerror=function(m){var d=document.createElement('div');"
                + "d.id='demo-error';d.textContent=String(m);"
                + "(document.body||document.documentElement).appendChild(d);};</script>\n")
        .append("<style>body{font-family:sans-serif;margin:24px;color:#222}")
        .append(
            "table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #ddd}")
        .append("td.n{text-align:right}.ok{color:#2ca02c;font-weight:bold}")
        .append(".bad{color:#d62728;font-weight:bold}</style>\n</head><body>\n");
    h.append("<h1>exactly demo: <span class=\"")
        .append(r.exactlyOnce() ? "ok\">exactly-once at every stage" : "bad\">VIOLATED")
        .append("</span></h1>\n<p>")
        .append(
            Html.escape(
                String.format(
                    Locale.ROOT,
                    "%s components, %d broker%s, %d orders accepted (%d malformed on purpose),"
                        + " %d HTTP requests (%d retries, %d sent twice on purpose), %d kills,"
                        + " %.1f s, run at %s.",
                    r.guarantee().label(),
                    r.brokers(),
                    r.brokers() == 1 ? "" : "s",
                    r.load().accepted(),
                    r.load().malformed(),
                    r.load().requests(),
                    r.load().retries(),
                    r.load().repeats(),
                    r.kills().size(),
                    r.elapsedMs() / 1000.0,
                    Instant.ofEpochMilli(r.loadStartMs()))))
        .append("</p>\n<p id=\"charges\"></p>\n");
    h.append("<h2>Every stage, checked</h2>\n").append(stageTable(r));
    h.append("<h2>Throughput per stage (effects per second), kills in red</h2>\n")
        .append(ThroughputChart.svg(r, seconds));
    h.append("<h2>Latency from the order's first HTTP request to its first effect</h2>\n")
        .append(latencyTable(r));
    h.append("<script type=\"application/json\" id=\"demo-data\">")
        .append(JSON.writeValueAsString(data(r, seconds)).replace("</", "<\\/"))
        .append("</script>\n");
    // Reads the embedded numbers back: proves in a browser that the data parses.
    h.append(
        "<script>(function(){var d=JSON.parse(document.getElementById('demo-data').textContent);"
            + "var parts=[];for(var k in d.chargesPerOrder){parts.push(d.chargesPerOrder[k]+"
            + "' orders charged '+k+' time'+(k==='1'?'':'s'));}"
            + "document.getElementById('charges').textContent='Charges per order at the gateway: '"
            + "+parts.join(', ')+'.';document.body.setAttribute('data-rendered',"
            + "String(document.querySelectorAll('#throughput-chart polyline.series').length));"
            + "})();</script>\n");
    h.append("</body></html>\n");
    return h.toString();
  }

  private static String stageTable(DemoResult r) {
    StringBuilder t = new StringBuilder("<table id=\"stages\"><tr>");
    for (String c :
        List.of(
            "stage",
            "inputs",
            "effects",
            "lost",
            "duplicated",
            "reordered",
            "aborted reads",
            "result")) {
      t.append("<th>").append(c).append("</th>");
    }
    t.append("</tr>\n");
    for (StageResult s : r.stages()) {
      t.append("<tr><td>").append(Html.escape(s.stage())).append("</td>");
      for (int n : new int[] {s.inputs(), s.effects(), s.lost(), s.duplicated(), s.reordered()}) {
        t.append("<td class=\"n\">").append(n).append("</td>");
      }
      t.append("<td class=\"n\">")
          .append(s.abortedReads() < 0 ? "-" : Integer.toString(s.abortedReads()))
          .append("</td><td class=\"")
          .append(s.exactlyOnce() ? "ok\">exactly-once" : "bad\">VIOLATED")
          .append("</td></tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  private static String latencyTable(DemoResult r) {
    StringBuilder t =
        new StringBuilder(
            "<table id=\"latency\"><tr><th>stage</th><th>p50 ms</th><th>p95 ms</th>"
                + "<th>p99 ms</th><th>max ms</th></tr>\n");
    for (StageResult s : r.stages()) {
      if (s.latenciesMs().isEmpty()) {
        continue;
      }
      t.append("<tr><td>").append(Html.escape(s.stage())).append("</td>");
      for (double p : PERCENTILES) {
        t.append("<td class=\"n\">").append(s.latencyPercentile(p)).append("</td>");
      }
      t.append("</tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  private static Map<String, Object> data(DemoResult r, int seconds) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("guarantee", r.guarantee().label());
    d.put("exactlyOnce", r.exactlyOnce());
    d.put("brokers", r.brokers());
    d.put("elapsedMs", r.elapsedMs());
    d.put("load", r.load());
    List<Map<String, Object>> stages = new ArrayList<>();
    for (StageResult s : r.stages()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("stage", s.stage());
      m.put("inputs", s.inputs());
      m.put("effects", s.effects());
      m.put("lost", s.lost());
      m.put("duplicated", s.duplicated());
      m.put("reordered", s.reordered());
      m.put("abortedReads", s.abortedReads());
      m.put("exactlyOnce", s.exactlyOnce());
      m.put("perSecond", ThroughputChart.perSecond(s.effectTimesMs(), r.loadStartMs(), seconds));
      Map<String, Long> latency = new LinkedHashMap<>();
      for (double p : PERCENTILES) {
        latency.put(p == 100 ? "max" : "p" + (int) p, s.latencyPercentile(p));
      }
      m.put("latencyMs", latency);
      stages.add(m);
    }
    d.put("stages", stages);
    d.put("kills", r.kills());
    d.put("chargesPerOrder", r.chargesPerOrder());
    return d;
  }

  private static int seconds(DemoResult r) {
    long last = 0;
    for (StageResult s : r.stages()) {
      for (long t : s.effectTimesMs()) {
        last = Math.max(last, t - r.loadStartMs());
      }
    }
    return (int) Math.max(2, last / 1000 + 2);
  }
}
