package dev.exactly.cli.demo;

/** Escaping for text put into the HTML report. */
final class Html {
  private Html() {}

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
