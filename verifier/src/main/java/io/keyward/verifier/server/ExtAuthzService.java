package io.keyward.verifier.server;

import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import com.google.rpc.Status;
import com.linecorp.armeria.common.grpc.GrpcSerializationFormats;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.envoyproxy.envoy.service.auth.v3.CheckResponse;
import io.envoyproxy.envoy.service.auth.v3.DeniedHttpResponse;
import io.envoyproxy.envoy.service.auth.v3.OkHttpResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.stub.StreamObserver;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.core.ClientAddress;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.scheme.Reply;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Envoy's external authorization ({@code envoy.service.auth.v3.Authorization/Check}), for Envoy,
 * Istio and Envoy Gateway with the request body sent along ({@code with_request_body}, best with
 * {@code pack_as_bytes}). The request is read from {@code attributes.request.http}: its method,
 * host, path (split at the first {@code ?} into the raw path and query), headers and body ({@code
 * raw_body}, else {@code body} as UTF-8); the client is {@code attributes.source.address}, or, when
 * that is a trusted proxy, what its {@code x-forwarded-for} says. A body Envoy cut short ({@code
 * x-envoy-auth-partial-body: true}) or longer than {@code proxy.maxBodyBytes} is refused {@code
 * BodyTooLarge}.
 *
 * <p>An accepted request goes on with {@code x-keyward-user}, {@code x-keyward-key} and {@code
 * x-keyward-permissions} set (overwriting any the client sent) and every other {@code x-keyward-*}
 * header the client sent removed. A refused one gets the scheme's status, content type and body,
 * and a gRPC status of UNAUTHENTICATED (the key or signature), PERMISSION_DENIED (the route,
 * permission, address or size) or UNAVAILABLE (the directory is not ready).
 */
public final class ExtAuthzService extends AuthorizationGrpc.AuthorizationImplBase {
  /** Envoy sets this request header when it sent only part of the body. */
  static final String PARTIAL_BODY = "x-envoy-auth-partial-body";

  private static final Status OK = Status.newBuilder().setCode(Code.OK_VALUE).build();

  private final KeywardVerifier verifier;
  private final ClientAddress clientAddress;
  private final long maxBodyBytes;

  public ExtAuthzService(KeywardVerifier verifier) {
    this.verifier = verifier;
    this.clientAddress = verifier.clientAddress();
    this.maxBodyBytes = verifier.config().proxyMaxBodyBytes();
  }

  /** This service as an Armeria gRPC service, sized for the largest body it verifies. */
  public GrpcService grpcService() {
    return grpcService(this, maxBodyBytes);
  }

  /** An Authorization service as Armeria serves it: binary gRPC only, as Envoy speaks it. */
  static GrpcService grpcService(
      AuthorizationGrpc.AuthorizationImplBase service, long maxBodyBytes) {
    return GrpcService.builder()
        .addService(service)
        .supportedSerializationFormats(GrpcSerializationFormats.PROTO)
        .maxRequestMessageLength(maxMessageBytes(maxBodyBytes))
        .build();
  }

  /** The largest Check message: the body, and room for Envoy's headers and attributes. */
  static int maxMessageBytes(long maxBodyBytes) {
    return (int) Math.min(Integer.MAX_VALUE, maxBodyBytes + 512 * 1024);
  }

  @Override
  public void check(CheckRequest request, StreamObserver<CheckResponse> response) {
    response.onNext(decide(request));
    response.onCompleted();
  }

  /** The answer to one Check. */
  public CheckResponse decide(CheckRequest request) {
    AttributeContext.HttpRequest http = request.getAttributes().getRequest().getHttp();
    Map<String, String> headers = headers(http);
    String path = http.getPath();
    int q = path.indexOf('?');
    ByteString raw = http.getRawBody();
    boolean partial = "true".equalsIgnoreCase(headers.get(PARTIAL_BODY));
    long size = !raw.isEmpty() ? raw.size() : http.getBody().length();
    boolean tooLarge = partial || size > maxBodyBytes;
    byte[] body =
        tooLarge
            ? new byte[0]
            : !raw.isEmpty() ? raw.toByteArray() : http.getBody().getBytes(StandardCharsets.UTF_8);
    RequestView view =
        new RequestView(
            // As sent: Envoy forwards it so, and a lower-case method is refused (Verifier).
            http.getMethod(),
            http.getHost(),
            q < 0 ? path : path.substring(0, q),
            q < 0 ? null : path.substring(q + 1),
            name -> headers.get(name.toLowerCase(Locale.ROOT)),
            body,
            client(request, headers));
    Verdict verdict =
        tooLarge
            ? verifier.refuse(view, verifier.extAuthzScheme(), Reason.BODY_TOO_LARGE)
            : path.isEmpty()
                ? verifier.refuse(view, verifier.extAuthzScheme(), Reason.MALFORMED)
                : verifier.verify(view, verifier.extAuthzScheme());
    if (verdict instanceof Verdict.Refused refused) {
      return denied(refused);
    }
    return allowed((Verdict.Accepted) verdict, headers);
  }

  private InetAddress client(CheckRequest request, Map<String, String> headers) {
    String source =
        request.getAttributes().getSource().getAddress().getSocketAddress().getAddress();
    InetAddress peer = ClientAddress.literal(source);
    return clientAddress.resolve(peer, headers.get("x-forwarded-for"));
  }

  /** Envoy's headers by lower-case name; from {@code header_map} when Envoy sends raw headers. */
  private static Map<String, String> headers(AttributeContext.HttpRequest http) {
    if (http.getHeadersCount() > 0 || !http.hasHeaderMap()) {
      Map<String, String> map = http.getHeadersMap();
      for (String key : map.keySet()) {
        if (!key.equals(key.toLowerCase(Locale.ROOT))) {
          Map<String, String> lower = new HashMap<>();
          map.forEach((k, v) -> lower.merge(k.toLowerCase(Locale.ROOT), v, (a, b) -> a + "," + b));
          return lower;
        }
      }
      return map;
    }
    Map<String, String> map = new HashMap<>();
    for (HeaderValue h : http.getHeaderMap().getHeadersList()) {
      String value =
          h.getRawValue().isEmpty()
              ? h.getValue()
              : new String(h.getRawValue().toByteArray(), StandardCharsets.ISO_8859_1);
      map.merge(h.getKey().toLowerCase(Locale.ROOT), value, (a, b) -> a + "," + b);
    }
    return map;
  }

  /**
   * The answer that lets a request on: the three headers set, and every other {@code x-keyward-*}
   * header the client sent removed.
   */
  static CheckResponse allowed(Verdict.Accepted accepted, Map<String, String> headers) {
    OkHttpResponse.Builder ok =
        OkHttpResponse.newBuilder()
            .addHeaders(overwrite(ForwardedHeaders.USER, accepted.key().user()))
            .addHeaders(overwrite(ForwardedHeaders.KEY, accepted.key().keyRef()))
            .addHeaders(
                overwrite(
                    ForwardedHeaders.PERMISSIONS, ForwardedHeaders.permissions(accepted.key())));
    for (String name : headers.keySet()) {
      // The three set above overwrite the client's; removing them too could remove ours, as
      // Envoy applies removals after the headers it sets.
      if ((ForwardedHeaders.isKeyward(name) && !ForwardedHeaders.setByVerifier(name))
          || ForwardedHeaders.neverFromClients(name)) {
        ok.addHeadersToRemove(name);
      }
    }
    return CheckResponse.newBuilder().setStatus(OK).setOkResponse(ok).build();
  }

  private static HeaderValueOption overwrite(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setValue(value))
        .setAppendAction(HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)
        .build();
  }

  private CheckResponse denied(Verdict.Refused refused) {
    return denied(refused.reason(), verifier.reply(refused));
  }

  /** The answer that refuses a request with the scheme's reply. */
  static CheckResponse denied(Reason reason, Reply reply) {
    return CheckResponse.newBuilder()
        .setStatus(
            Status.newBuilder().setCode(grpcCode(reason).getNumber()).setMessage(reason.label()))
        .setDeniedResponse(
            DeniedHttpResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(reply.status()))
                .addHeaders(overwrite("content-type", reply.contentType()))
                .setBody(reply.body()))
        .build();
  }

  /** The gRPC status of a refusal: who the client is, what it may do, or the verifier's state. */
  static Code grpcCode(Reason reason) {
    return switch (reason) {
      case UNAVAILABLE -> Code.UNAVAILABLE;
      case ROUTE_NOT_FOUND, PERMISSION_DENIED, IP_NOT_ALLOWED, BODY_TOO_LARGE ->
          Code.PERMISSION_DENIED;
      default -> Code.UNAUTHENTICATED;
    };
  }
}
