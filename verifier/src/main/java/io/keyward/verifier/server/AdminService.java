package io.keyward.verifier.server;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * The admin endpoints: {@code /healthz} (200 while the process runs: it does not depend on the API
 * server, so an outage of it restarts no replica), {@code /readyz} (200 once the key directory
 * knows every key, else 503: a replica that would answer Unavailable gets no traffic) and {@code
 * /metrics} (the Prometheus text format, rendered off the event loop). GET and HEAD only.
 */
final class AdminService {
  static final MediaType PROMETHEUS = MediaType.parse("text/plain; version=0.0.4; charset=utf-8");

  private AdminService() {}

  static void install(ServerBuilder sb, BooleanSupplier ready, PrometheusMeterRegistry registry) {
    sb.route()
        .methods(HttpMethod.GET, HttpMethod.HEAD)
        .path("/healthz")
        .build((ctx, req) -> HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ok\n"));
    sb.route()
        .methods(HttpMethod.GET, HttpMethod.HEAD)
        .path("/readyz")
        .build(
            (ctx, req) ->
                ready.getAsBoolean()
                    ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "ready\n")
                    : HttpResponse.of(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        MediaType.PLAIN_TEXT_UTF_8,
                        "not ready: the key directory is not synced\n"));
    HttpService metrics =
        (ctx, req) ->
            HttpResponse.of(
                CompletableFuture.supplyAsync(
                    () -> HttpResponse.of(HttpStatus.OK, PROMETHEUS, registry.scrape()),
                    ctx.blockingTaskExecutor()));
    sb.route().methods(HttpMethod.GET, HttpMethod.HEAD).path("/metrics").build(metrics);
  }
}
