package dev.exactly.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the docs honest: every Java snippet in README.md and docs/ must be code this module
 * compiles, the guide must name the versions the build uses, and the BOM must list every published
 * module. Snippets are compared with all whitespace removed, so the formatter may re-indent and
 * re-wrap the compiled code while any changed token fails the build.
 */
class DocsTest {
  private static final Path ROOT = Path.of(System.getProperty("exactly.root", "..")).normalize();
  private static final Path GUIDE = ROOT.resolve("docs/getting-started.md");
  private static final Pattern JAVA = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern PROPERTIES =
      Pattern.compile("```properties\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everyJavaSnippetInTheDocsIsCodeTheBuildCompiles() throws IOException {
    List<String> sources = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT.resolve("exactly-examples/src"))) {
      files.filter(f -> f.toString().endsWith(".java")).forEach(f -> sources.add(squeeze(read(f))));
    }
    List<String> drifted = new ArrayList<>();
    int snippets = 0;
    for (Path doc : docs()) {
      for (String snippet : blocks(JAVA, read(doc))) {
        snippets++;
        String code = squeeze(snippet);
        if (sources.stream().noneMatch(s -> s.contains(code))) {
          drifted.add(ROOT.relativize(doc) + ": the snippet starting " + firstLine(snippet));
        }
      }
    }
    assertThat(snippets).as("Java snippets found in README.md and docs/").isGreaterThan(10);
    assertThat(drifted)
        .as(
            "snippets that are not code under exactly-examples/src: change the code there, let the"
                + " build compile it, then copy it into the doc")
        .isEmpty();
  }

  @Test
  void theGuideNamesTheVersionsTheBuildUses() {
    String guide = squeeze(read(GUIDE));
    String pom = read(ROOT.resolve("pom.xml"));
    String version = System.getProperty("exactly.version");
    assertThat(version).as("system property exactly.version, set by the pom").isNotBlank();
    Matcher exactly =
        Pattern.compile(
                "<groupId>dev\\.exactly</groupId><artifactId>[^<]+</artifactId><version>([^<]+)</")
            .matcher(guide);
    int found = 0;
    while (exactly.find()) {
      found++;
      assertThat(exactly.group(1)).as("a dev.exactly version in the guide").isEqualTo(version);
    }
    assertThat(found).as("dev.exactly artifacts with a version in the guide").isPositive();
    for (String[] driver :
        new String[][] {
          {"org.postgresql", "postgresql", "postgresql.version"},
          {"org.mariadb.jdbc", "mariadb-java-client", "mariadb.version"},
          {"com.h2database", "h2", "h2.version"},
          {"com.zaxxer", "HikariCP", "hikaricp.version"}
        }) {
      String tested = property(pom, driver[2]);
      assertThat(guide)
          .as("the guide names %s:%s at the tested version %s", driver[0], driver[1], tested)
          .contains(
              "<groupId>"
                  + driver[0]
                  + "</groupId><artifactId>"
                  + driver[1]
                  + "</artifactId><version>"
                  + tested
                  + "</version>");
    }
  }

  @Test
  void theGuidesLoggingSettingsAreTheOnesTheExamplesRunWith() {
    String settings =
        squeeze(read(ROOT.resolve("exactly-examples/src/main/resources/simplelogger.properties")));
    List<String> blocks = blocks(PROPERTIES, read(GUIDE));
    assertThat(blocks).isNotEmpty();
    assertThat(blocks).allSatisfy(b -> assertThat(settings).contains(squeeze(b)));
  }

  @Test
  void theBomListsEveryPublishedModuleAtTheParentsVersion() {
    String bom = squeeze(read(ROOT.resolve("exactly-bom/pom.xml")));
    assertThat(bom)
        .contains(
            "<artifactId>exactly-bom</artifactId><version>"
                + System.getProperty("exactly.version")
                + "</version>");
    Matcher modules =
        Pattern.compile("<module>([^<]+)</module>").matcher(read(ROOT.resolve("pom.xml")));
    List<String> published = new ArrayList<>();
    while (modules.find()) {
      String module = modules.group(1);
      String pom = squeeze(read(ROOT.resolve(module).resolve("pom.xml")));
      if (!module.equals("exactly-bom")
          && !pom.contains("<maven.deploy.skip>true</maven.deploy.skip>")) {
        published.add(module);
      }
    }
    assertThat(published)
        .contains("exactly-core", "exactly-jdbc", "exactly-redis", "exactly-testkit");
    String managed =
        bom.substring(
            bom.indexOf("<dependencyManagement>"), bom.indexOf("</dependencyManagement>"));
    Matcher listed =
        Pattern.compile("<artifactId>(exactly-[^<]+)</artifactId><version>").matcher(managed);
    List<String> inBom = new ArrayList<>();
    while (listed.find()) {
      inBom.add(listed.group(1));
    }
    assertThat(inBom)
        .as("artifacts the BOM manages")
        .containsExactlyInAnyOrderElementsOf(published);
  }

  private static List<Path> docs() throws IOException {
    List<Path> docs = new ArrayList<>();
    docs.add(ROOT.resolve("README.md"));
    try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
      files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    return docs;
  }

  private static List<String> blocks(Pattern fence, String markdown) {
    List<String> out = new ArrayList<>();
    Matcher m = fence.matcher(markdown);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static String property(String pom, String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
    assertThat(m.find()).as("property %s in the parent pom", name).isTrue();
    return m.group(1);
  }

  private static String squeeze(String text) {
    return text.replaceAll("\\s+", "");
  }

  private static String firstLine(String snippet) {
    return "\"" + snippet.strip().lines().findFirst().orElse("") + "\"";
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
