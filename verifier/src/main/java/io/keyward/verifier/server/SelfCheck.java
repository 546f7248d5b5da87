package io.keyward.verifier.server;

import com.google.rpc.Code;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.server.Server;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.ExternalAuthProto;
import io.grpc.stub.StreamObserver;
import io.keyward.verifier.core.Algorithm;
import io.keyward.verifier.core.KeyEntry;
import io.keyward.verifier.core.Permission;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.scheme.Reply;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that this jar holds everything ext_authz loads at run time: the shaded jar carries only
 * the Envoy API packages {@code envoy.service.auth.v3} needs (Envoy's full API jar is 30 MB), and a
 * package left out would fail only when the first Check arrives. This builds the descriptors (which
 * loads every file {@code external_auth.proto} imports), then serves one allowed and one denied
 * Check, built as {@link ExtAuthzService} builds them, over gRPC on the loopback interface. The
 * build runs it on the packaged jar ({@code java -jar keyward-verifier.jar --self-check}).
 */
public final class SelfCheck {
  private SelfCheck() {}

  /**
   * Runs the check.
   *
   * @throws IllegalStateException (or a {@link LinkageError}) naming what failed
   */
  public static void run() {
    String file = ExternalAuthProto.getDescriptor().getName();
    if (!CheckRequest.getDescriptor().getFile().getName().equals(file)) {
      throw new IllegalStateException("CheckRequest is not from " + file);
    }
    KeyEntry key =
        new KeyEntry(
            "KWSELFCHECK",
            "self-check",
            "ns",
            "key",
            "uid",
            Algorithm.HMAC_SHA256,
            new byte[] {1},
            null,
            null,
            Set.of(Permission.READ, Permission.WITHDRAW),
            List.of(),
            Instant.EPOCH,
            null,
            KeyEntry.Standing.IN_FORCE);
    AuthorizationGrpc.AuthorizationImplBase service =
        new AuthorizationGrpc.AuthorizationImplBase() {
          @Override
          public void check(CheckRequest request, StreamObserver<CheckResponse> response) {
            AttributeContext.HttpRequest http = request.getAttributes().getRequest().getHttp();
            response.onNext(
                http.getPath().equals("/allowed")
                    ? ExtAuthzService.allowed(
                        new Verdict.Accepted("self-check", key, Permission.READ),
                        Map.of("x-keyward-user", "forged", "x-keyward-other", "x"))
                    : ExtAuthzService.denied(
                        Reason.UNAVAILABLE,
                        new Reply(503, "application/json", "{\"error\":\"Unavailable\"}")));
            response.onCompleted();
          }
        };
    Server server =
        Server.builder()
            .http(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
            .service(ExtAuthzService.grpcService(service, 1024))
            .build();
    server.start().join();
    try {
      AuthorizationGrpc.AuthorizationBlockingStub client =
          GrpcClients.newClient(
              "http://127.0.0.1:" + server.activeLocalPort(),
              AuthorizationGrpc.AuthorizationBlockingStub.class);
      CheckResponse allowed = client.check(request("/allowed"));
      if (allowed.getStatus().getCode() != Code.OK_VALUE
          || allowed.getOkResponse().getHeadersCount() != 3
          || !allowed.getOkResponse().getHeadersToRemoveList().equals(List.of("x-keyward-other"))) {
        throw new IllegalStateException("the allowed Check came back as " + allowed);
      }
      CheckResponse denied = client.check(request("/denied"));
      if (denied.getStatus().getCode() != Code.UNAVAILABLE_VALUE
          || denied.getDeniedResponse().getStatus().getCodeValue() != 503) {
        throw new IllegalStateException("the denied Check came back as " + denied);
      }
    } finally {
      server.stop().join();
    }
  }

  private static CheckRequest request(String path) {
    return CheckRequest.newBuilder()
        .setAttributes(
            AttributeContext.newBuilder()
                .setSource(
                    AttributeContext.Peer.newBuilder()
                        .setAddress(
                            Address.newBuilder()
                                .setSocketAddress(
                                    SocketAddress.newBuilder()
                                        .setAddress("192.0.2.1")
                                        .setPortValue(1))))
                .setRequest(
                    AttributeContext.Request.newBuilder()
                        .setHttp(
                            AttributeContext.HttpRequest.newBuilder()
                                .setMethod("GET")
                                .setPath(path)
                                .setHeaderMap(
                                    HeaderMap.newBuilder()
                                        .addHeaders(
                                            HeaderValue.newBuilder()
                                                .setKey("x-keyward-user")
                                                .setValue("forged"))))))
        .build();
  }
}
