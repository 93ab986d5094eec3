package dev.exactly.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * What an {@link IngestHook} learns about an accepted request.
 *
 * @param request the request as received
 * @param route the route it matched
 * @param body the body, parsed
 * @param recordKey the record key read from the body
 * @param idempotencyKey the request's key, empty when it sent none (on a route that does not
 *     require one)
 * @param correlationId the correlation id, received or generated
 */
public record IngestContext(
    HttpRequest request,
    Route route,
    JsonNode body,
    String recordKey,
    Optional<String> idempotencyKey,
    String correlationId) {}
