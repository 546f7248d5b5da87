package io.keyward.verifier.server;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * Collects a request body up to a bound, and stops reading (cancels the stream) as soon as it
 * passes it. Armeria's own bound would answer the client itself, in its own shape; the proxy
 * answers in the scheme's.
 */
final class BoundedBody implements Subscriber<HttpObject> {
  private static final byte[] EMPTY = new byte[0];

  private final long max;
  private final CompletableFuture<byte[]> whole = new CompletableFuture<>();
  private Subscription subscription;
  private byte[] bytes = EMPTY;
  private int length;

  BoundedBody(long max) {
    this.max = max;
  }

  /** The body; null when it passed the bound. Completes on the request's event loop. */
  CompletableFuture<byte[]> whole() {
    return whole;
  }

  @Override
  public void onSubscribe(Subscription s) {
    subscription = s;
    s.request(Long.MAX_VALUE);
  }

  @Override
  public void onNext(HttpObject o) {
    if (!(o instanceof HttpData data) || whole.isDone()) {
      return; // headers and trailers: the proxy reads the headers from the request itself
    }
    int n = data.length();
    if ((long) length + n > max) {
      subscription.cancel();
      whole.complete(null);
      return;
    }
    if (length + n > bytes.length) {
      bytes = Arrays.copyOf(bytes, (int) Math.min(max, Math.max(length + n, bytes.length * 2L)));
    }
    System.arraycopy(data.array(), 0, bytes, length, n);
    length += n;
  }

  @Override
  public void onError(Throwable t) {
    whole.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    whole.complete(length == bytes.length ? bytes : Arrays.copyOf(bytes, length));
  }
}
