package dev.exactly.lint;

import java.util.List;

/**
 * What {@link ConfigLint#run()} found: the guarantee the configuration gives and every finding,
 * errors first.
 */
public record LintReport(DeliveryGuarantee guarantee, List<Finding> findings) {
  public LintReport {
    findings = List.copyOf(findings);
  }

  public List<Finding> errors() {
    return findings.stream().filter(f -> f.severity() == Severity.ERROR).toList();
  }

  public boolean hasErrors() {
    return !errors().isEmpty();
  }

  /** Whether a finding about {@code key} at {@code severity} is present. */
  public boolean has(Severity severity, String key) {
    return findings.stream().anyMatch(f -> f.severity() == severity && f.key().equals(key));
  }
}
