package io.keyward.verifier.server;

import com.google.common.net.InetAddresses;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.ClientFactoryBuilder;
import com.linecorp.armeria.client.RequestOptions;
import com.linecorp.armeria.client.ResponseTimeoutException;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.TimeoutMode;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.keyward.verifier.KeywardVerifier;
import io.keyward.verifier.core.AddressMatch;
import io.keyward.verifier.core.ClientAddress;
import io.keyward.verifier.core.Reason;
import io.keyward.verifier.core.RequestView;
import io.keyward.verifier.core.Verdict;
import io.keyward.verifier.scheme.Reply;
import io.netty.channel.EventLoopGroup;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reverse proxy in front of one upstream. It holds a request's body (up to {@code
 * proxy.maxBodyBytes}; a larger one is refused {@code BodyTooLarge} in the scheme's shape as soon
 * as its declared length or the part received passes the bound, without reading the rest), verifies
 * it, and forwards an accepted one with the same method, the path and query byte for byte as the
 * client sent them, the client's headers but hop-by-hop ones and any {@code x-keyward-*}, and the
 * verifier's {@code x-keyward-*} and {@code x-forwarded-*} headers. The upstream's response streams
 * back as it arrives. An upstream that cannot be reached is a 502, one that does not answer in
 * {@code proxy.responseTimeout} a 504, both with a small JSON body.
 *
 * <p>Armeria normalises a request's path (it decodes {@code %7E}, turns {@code %20} in a query into
 * {@code +}, folds {@code //}) both in what a service reads and in what its client sends: the proxy
 * reads {@link ServiceRequestContext#rawPath()} and a client decorator puts that raw target back on
 * the upstream request, because the client signed those bytes and the upstream (or a verifier
 * behind it) must see what was verified.
 */
public final class ReverseProxy implements HttpService, AutoCloseable {
  /** The raw request target an upstream request is sent with (set per request). */
  private static final AttributeKey<String> RAW_TARGET =
      AttributeKey.valueOf(ReverseProxy.class, "RAW_TARGET");

  /** Hop-by-hop headers (RFC 9110 7.6.1) and those the proxy writes itself. */
  private static final Set<AsciiString> NOT_FORWARDED =
      Set.of(
          HttpHeaderNames.CONNECTION,
          HttpHeaderNames.KEEP_ALIVE,
          AsciiString.cached("proxy-connection"),
          HttpHeaderNames.PROXY_AUTHENTICATE,
          HttpHeaderNames.PROXY_AUTHORIZATION,
          HttpHeaderNames.TE,
          HttpHeaderNames.TRAILER,
          HttpHeaderNames.TRANSFER_ENCODING,
          HttpHeaderNames.UPGRADE,
          // The whole body is here already: nothing to wait for.
          HttpHeaderNames.EXPECT,
          HttpHeaderNames.HOST,
          HttpHeaderNames.CONTENT_LENGTH,
          HttpHeaderNames.X_FORWARDED_FOR,
          HttpHeaderNames.X_FORWARDED_PROTO,
          HttpHeaderNames.X_FORWARDED_HOST);

  private static final AsciiString USER = AsciiString.cached(ForwardedHeaders.USER);
  private static final AsciiString KEY = AsciiString.cached(ForwardedHeaders.KEY);
  private static final AsciiString PERMISSIONS = AsciiString.cached(ForwardedHeaders.PERMISSIONS);

  private final KeywardVerifier verifier;
  private final ClientAddress clientAddress;
  private final long maxBodyBytes;
  private final Duration requestTimeout;
  private final String basePath;
  private final ClientFactory factory;
  private final WebClient upstream;
  private final Map<String, MediaType> mediaTypes = new ConcurrentHashMap<>();

  /**
   * @param workers the event loops of the upstream client (the servers' own, to save hand-offs);
   *     null: the client's own
   */
  public ReverseProxy(KeywardVerifier verifier, EventLoopGroup workers) {
    VerifierConfig config = verifier.config();
    URI uri = config.proxyUpstream();
    if (uri == null) {
      throw new IllegalArgumentException(
          "configuration proxy.upstream: required when the proxy runs");
    }
    this.verifier = verifier;
    this.clientAddress = verifier.clientAddress();
    this.maxBodyBytes = config.proxyMaxBodyBytes();
    // The server's deadline for the whole exchange: the client's own deadlines end it first, so
    // the client gets the 502 or 504 (and a client sending its body slowly is cut here).
    this.requestTimeout =
        config.proxyConnectTimeout().plus(config.proxyResponseTimeout()).plusSeconds(10);
    this.basePath = uri.getRawPath() == null ? "" : uri.getRawPath();
    ClientFactoryBuilder fb =
        ClientFactory.builder()
            .connectTimeout(config.proxyConnectTimeout())
            .idleTimeout(config.proxyIdleTimeout());
    if (workers != null) {
      fb.workerGroup(workers, false);
    }
    this.factory = fb.build();
    // Plain http: HTTP/1.1 (an upstream rarely speaks h2c, and probing for it costs a connection);
    // https: what ALPN agrees.
    boolean tls = uri.getScheme().equals("https");
    String authority = uri.getRawAuthority();
    this.upstream =
        WebClient.builder(
                (tls ? SessionProtocol.HTTPS : SessionProtocol.H1C).uriText() + "://" + authority)
            .factory(factory)
            .responseTimeout(config.proxyResponseTimeout())
            .maxResponseLength(0)
            .decorator(
                (delegate, ctx, req) -> {
                  String raw = ctx.attr(RAW_TARGET);
                  if (raw == null) {
                    return delegate.execute(ctx, req);
                  }
                  HttpRequest exact = req.withHeaders(req.headers().toBuilder().path(raw));
                  ctx.updateRequest(exact);
                  return delegate.execute(ctx, exact);
                })
            .build();
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    ctx.setRequestTimeout(TimeoutMode.SET_FROM_START, requestTimeout);
    RequestHeaders headers = req.headers();
    if (headers.contentLength() > maxBodyBytes) {
      req.abort();
      return refuseTooLarge(ctx, headers);
    }
    BoundedBody body = new BoundedBody(maxBodyBytes);
    req.subscribe(body, ctx.eventLoop());
    return HttpResponse.of(
        body.whole()
            .handle(
                (bytes, error) ->
                    error != null
                        ? HttpResponse.ofFailure(error)
                        : bytes == null
                            ? refuseTooLarge(ctx, headers)
                            : verifyAndForward(ctx, headers, bytes)));
  }

  private HttpResponse refuseTooLarge(ServiceRequestContext ctx, RequestHeaders headers) {
    RequestView view = view(ctx, headers, new byte[0]);
    return reply(verifier.refuse(view, verifier.proxyScheme(), Reason.BODY_TOO_LARGE));
  }

  private HttpResponse verifyAndForward(
      ServiceRequestContext ctx, RequestHeaders headers, byte[] body) {
    RequestView view = view(ctx, headers, body);
    String target = ctx.rawPath();
    if (!printable(target)) {
      return reply(verifier.refuse(view, verifier.proxyScheme(), Reason.MALFORMED));
    }
    Verdict verdict = verifier.verify(view, verifier.proxyScheme());
    if (verdict instanceof Verdict.Refused refused) {
      return reply(refused);
    }
    Verdict.Accepted accepted = (Verdict.Accepted) verdict;
    RequestHeadersBuilder out = RequestHeaders.builder(headers.method(), "/");
    Set<String> dropped = connectionTokens(headers.get(HttpHeaderNames.CONNECTION));
    headers.forEach(
        (name, value) -> {
          if (name.charAt(0) == ':'
              || NOT_FORWARDED.contains(name)
              || ForwardedHeaders.isKeyward(name)
              || ForwardedHeaders.neverFromClients(name)
              || (dropped != null && dropped.contains(name.toString()))) {
            return;
          }
          out.add(name, value);
        });
    out.set(USER, accepted.key().user());
    out.set(KEY, accepted.key().keyRef());
    out.set(PERMISSIONS, ForwardedHeaders.permissions(accepted.key()));
    InetAddress peer = peer(ctx);
    boolean trustedPeer = clientAddress.trusted(peer);
    String peerText = peer == null ? "unknown" : InetAddresses.toAddrString(peer);
    String forwardedFor = trustedPeer ? joined(headers, HttpHeaderNames.X_FORWARDED_FOR) : null;
    out.set(
        HttpHeaderNames.X_FORWARDED_FOR,
        forwardedFor == null ? peerText : forwardedFor + ", " + peerText);
    String proto = trustedPeer ? headers.get(HttpHeaderNames.X_FORWARDED_PROTO) : null;
    out.set(
        HttpHeaderNames.X_FORWARDED_PROTO,
        proto != null ? proto : ctx.sessionProtocol().isTls() ? "https" : "http");
    String host = trustedPeer ? headers.get(HttpHeaderNames.X_FORWARDED_HOST) : null;
    if (host == null) {
      host = headers.authority();
    }
    if (host != null) {
      out.set(HttpHeaderNames.X_FORWARDED_HOST, host);
    }
    HttpRequest forwarded = HttpRequest.of(out.build(), HttpData.wrap(body));
    return upstream
        .execute(forwarded, RequestOptions.builder().attr(RAW_TARGET, basePath + target).build())
        .recover(ReverseProxy::upstreamFailure);
  }

  private RequestView view(ServiceRequestContext ctx, RequestHeaders headers, byte[] body) {
    String target = ctx.rawPath();
    int q = target.indexOf('?');
    InetAddress peer = peer(ctx);
    InetAddress client =
        clientAddress.trusted(peer)
            ? clientAddress.resolve(peer, joined(headers, HttpHeaderNames.X_FORWARDED_FOR))
            : peer;
    return new RequestView(
        headers.method().name(),
        headers.authority() == null ? "" : headers.authority(),
        q < 0 ? target : target.substring(0, q),
        q < 0 ? null : target.substring(q + 1),
        headers::get,
        body,
        client);
  }

  private static InetAddress peer(ServiceRequestContext ctx) {
    return ctx.remoteAddress() == null
        ? null
        : AddressMatch.normal(ctx.remoteAddress().getAddress());
  }

  private static String joined(RequestHeaders headers, AsciiString name) {
    var values = headers.getAll(name);
    return values.isEmpty() ? null : values.size() == 1 ? values.get(0) : String.join(",", values);
  }

  /** Whether a raw target is printable ASCII (a byte outside could split a request line). */
  private static boolean printable(String target) {
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static Set<String> connectionTokens(String connection) {
    if (connection == null
        || connection.equalsIgnoreCase("keep-alive")
        || connection.equalsIgnoreCase("close")) {
      return null; // names no header of its own (the usual case)
    }
    Set<String> tokens = new java.util.HashSet<>();
    for (String t : connection.split(",")) {
      tokens.add(t.trim().toLowerCase(Locale.ROOT));
    }
    return tokens;
  }

  private HttpResponse reply(Verdict.Refused refused) {
    Reply reply = verifier.reply(refused);
    MediaType type = mediaTypes.computeIfAbsent(reply.contentType(), MediaType::parse);
    return HttpResponse.of(HttpStatus.valueOf(reply.status()), type, reply.body());
  }

  private static HttpResponse upstreamFailure(Throwable cause) {
    Throwable e =
        cause instanceof UnprocessedRequestException && cause.getCause() != null
            ? cause.getCause()
            : cause;
    if (e instanceof ResponseTimeoutException) {
      return HttpResponse.of(
          HttpStatus.GATEWAY_TIMEOUT,
          MediaType.JSON_UTF_8,
          "{\"error\":\"UpstreamTimeout\",\"message\":\"the upstream did not answer in time\"}");
    }
    return HttpResponse.of(
        HttpStatus.BAD_GATEWAY,
        MediaType.JSON_UTF_8,
        "{\"error\":\"UpstreamUnavailable\",\"message\":\"the upstream cannot be reached\"}");
  }

  /** Closes the upstream client's connections. */
  @Override
  public void close() {
    factory.close();
  }
}
