package dev.exactly.examples.docs.spring;

/** Stands in for the card-blocking REST client in the snippets of docs/spring-boot.md. */
public interface CardService {
  void block(String card, String idempotencyKey) throws Exception;
}
