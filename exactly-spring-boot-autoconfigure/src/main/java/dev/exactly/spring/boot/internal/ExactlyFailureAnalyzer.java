package dev.exactly.spring.boot.internal;

import dev.exactly.ConfigurationException;
import dev.exactly.spring.boot.ExactlyStartupException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;

/**
 * Turns a start-up failure of an Exactly component into Boot's "APPLICATION FAILED TO START" report
 * naming the property, the value and the fix. Looks down the cause chain, since Spring wraps the
 * failure in bean-creation and lifecycle exceptions.
 */
public final class ExactlyFailureAnalyzer implements FailureAnalyzer {

  @Override
  public FailureAnalysis analyze(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ExactlyStartupException e) {
        return new FailureAnalysis(
            "Exactly could not start: property " + e.property() + " has value " + e.value() + ".",
            e.fix(),
            e);
      }
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ConfigurationException e) {
        return new FailureAnalysis(
            "Exactly could not start: setting " + e.key() + " is wrong.", e.getMessage(), e);
      }
    }
    return null;
  }
}
