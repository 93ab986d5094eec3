package dev.exactly.examples.docs.spring;

/** Stands in for the user's fraud service in the snippets of docs/spring-boot.md. */
public interface FraudScorer {
  String score(String payment);
}
