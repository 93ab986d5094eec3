package dev.exactly.cli.demo;

import java.util.List;
import java.util.Locale;

/**
 * The report's throughput chart as inline SVG: effects per second at each timed sink over the run,
 * with a dashed red line at every kill. Drawn here, so the report needs no script or network.
 */
final class ThroughputChart {
  private static final int WIDTH = 960;
  private static final int HEIGHT = 360;
  private static final int LEFT = 56;
  private static final int RIGHT = 250;
  private static final int TOP = 24;
  private static final int BOTTOM = 40;
  private static final String[] COLOURS = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"
  };

  private ThroughputChart() {}

  /** Effects per whole second since the first order, one series per stage with timed effects. */
  static int[] perSecond(List<Long> timesMs, long startMs, int seconds) {
    int[] counts = new int[seconds];
    for (long t : timesMs) {
      if (t < 0) {
        continue;
      }
      int s = (int) Math.max(0, (t - startMs) / 1000);
      if (s < seconds) {
        counts[s]++;
      }
    }
    return counts;
  }

  static String svg(DemoResult r, int seconds) {
    int max = 1;
    for (StageResult s : r.stages()) {
      for (int c : perSecond(s.effectTimesMs(), r.loadStartMs(), seconds)) {
        max = Math.max(max, c);
      }
    }
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    double xStep = plotW / Math.max(1, seconds - 1);
    StringBuilder svg = new StringBuilder();
    svg.append(
        String.format(
            "<svg id=\"throughput-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"effects per"
                + " second per stage\">%n",
            WIDTH, HEIGHT, WIDTH, HEIGHT));
    svg.append(
        line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#444", "")
            + line(LEFT, TOP, LEFT, TOP + plotH, "#444", ""));
    for (int i = 0; i <= 4; i++) {
      double y = TOP + plotH - plotH * i / 4;
      svg.append(line(LEFT, y, LEFT + plotW, y, "#ddd", ""));
      svg.append(text(LEFT - 6, y + 4, "end", Integer.toString(max * i / 4)));
    }
    int tick = Math.max(1, seconds / 10);
    for (int s = 0; s < seconds; s += tick) {
      svg.append(text(LEFT + s * xStep, TOP + plotH + 16, "middle", s + "s"));
    }
    svg.append(text(LEFT + plotW / 2, HEIGHT - 6, "middle", "seconds since the first order"));
    for (Killer.Kill k : r.kills()) {
      double x = LEFT + Math.min(seconds - 1, k.atMs() / 1000.0) * xStep;
      svg.append(
          String.format(
              Locale.ROOT,
              "<g class=\"kill\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\""
                  + " stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>"
                  + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" fill=\"#d62728\""
                  + " transform=\"rotate(-90 %.1f %d)\" text-anchor=\"end\">kill %s</text></g>%n",
              x,
              TOP,
              x,
              TOP + plotH,
              x - 2,
              TOP + 2,
              x - 2,
              TOP + 2,
              Html.escape(k.target())));
    }
    int series = 0;
    for (StageResult s : r.stages()) {
      if (s.effectTimesMs().stream().allMatch(t -> t < 0)) {
        continue;
      }
      String colour = COLOURS[series % COLOURS.length];
      int[] counts = perSecond(s.effectTimesMs(), r.loadStartMs(), seconds);
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < counts.length; i++) {
        points.append(
            String.format(
                Locale.ROOT,
                "%.1f,%.1f ",
                LEFT + i * xStep,
                TOP + plotH - plotH * counts[i] / max));
      }
      svg.append(
          String.format(
              "<polyline class=\"series\" data-stage=\"%s\" fill=\"none\" stroke=\"%s\""
                  + " stroke-width=\"1.5\" points=\"%s\"/>%n",
              Html.escape(s.stage()), colour, points.toString().trim()));
      double ly = TOP + 14 + series * 18;
      svg.append(line(LEFT + plotW + 12, ly - 4, LEFT + plotW + 32, ly - 4, colour, ""));
      svg.append(text(LEFT + plotW + 36, ly, "start", s.stage()));
      series++;
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static String line(double x1, double y1, double x2, double y2, String colour, String x) {
    return String.format(
        Locale.ROOT,
        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
        x1,
        y1,
        x2,
        y2,
        colour,
        x);
  }

  private static String text(double x, double y, String anchor, String body) {
    return String.format(
        Locale.ROOT,
        "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"%s\">%s</text>%n",
        x,
        y,
        anchor,
        Html.escape(body));
  }
}
