package io.keyward.bench.verifier;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;

/**
 * An upstream on Armeria for the proxy load: answers every request, once its body is read, with a
 * small JSON body naming the method, the target and the body's length, as {@code EchoUpstream}
 * does. Run as its own process: {@code java -cp ... ArmeriaUpstream <port>}.
 */
public final class ArmeriaUpstream {
  private ArmeriaUpstream() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Server server =
        Server.builder()
            .http(port)
            .workerGroup(1)
            .service(
                "prefix:/",
                (ctx, req) ->
                    HttpResponse.of(
                        req.aggregate()
                            .thenApply(
                                r ->
                                    HttpResponse.of(
                                        HttpStatus.OK,
                                        MediaType.JSON,
                                        "{\"method\":\""
                                            + r.method()
                                            + "\",\"target\":\""
                                            + ctx.path()
                                            + "\",\"bodyBytes\":"
                                            + r.content().length()
                                            + "}\n"))))
            .build();
    server.start().join();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop().join()));
    System.out.println("armeria upstream on http://127.0.0.1:" + port);
  }
}
