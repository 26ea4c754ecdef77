package io.offsync.synctool.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import io.offsync.security.BearerTokens;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Bearer-token authentication of the synctool's admin port: every request (HTTP/JSON, gRPC, {@code /metrics})
 * must carry {@code Authorization: Bearer <token>} with the admin token ({@code server.auth.token_file}), or with
 * the read-only token ({@code server.auth.read_token_file}) for calls that change nothing: gRPC {@code Status},
 * {@code ListCollectors} and {@code Verify}, and {@code /metrics}. OpenMLDB's {@code TaskStatus} is not read-only (its
 * {@code clear_all} deletes every task).
 *
 * <p>Refusals: a missing or unknown token is HTTP 401 (gRPC {@code UNAUTHENTICATED}), the read-only token on a
 * call that changes tasks is HTTP 403 (gRPC {@code PERMISSION_DENIED}); the message says which token to pass and
 * how. Tokens are compared in constant time. Without an admin token file every request is let through
 * ({@link #open()}); {@code SyncToolSettings} allows that only on a loopback {@code server.host} or with
 * {@code server.auth.insecure=true}.
 */
public final class AdminAuth {

  /** Paths the read-only token may call. */
  static final Set<String> READ_ONLY = Set.of("/offsync.admin.SyncToolAdmin/Status",
      "/offsync.admin.SyncToolAdmin/ListCollectors", "/offsync.admin.SyncToolAdmin/Verify", "/metrics");

  private final BearerTokens tokens;

  private AdminAuth(BearerTokens tokens) {
    this.tokens = tokens;
  }

  /** No authentication. */
  public static AdminAuth open() {
    return new AdminAuth(BearerTokens.none());
  }

  /**
   * Tokens from files (the first line, trimmed); {@code readTokenFile} may be null.
   *
   * @throws IllegalArgumentException naming the setting of a missing, unreadable or empty file
   */
  public static AdminAuth fromFiles(Path tokenFile, Path readTokenFile) {
    return new AdminAuth(BearerTokens.fromFiles(tokenFile, "server.auth.token_file", readTokenFile,
        "server.auth.read_token_file"));
  }

  /** Whether requests need a token. */
  public boolean enabled() {
    return tokens.enabled();
  }

  /** The tokens (the management port accepts the same ones). */
  public BearerTokens tokens() {
    return tokens;
  }

  /** {@code inner} behind the token check. */
  public Route protect(Route inner) {
    if (!tokens.enabled()) {
      return inner;
    }
    return extractRequest(request -> {
      BearerTokens.Access access = tokens.access(request);
      String path = request.getUri().path();
      if (access == BearerTokens.Access.ADMIN || (access == BearerTokens.Access.READ && READ_ONLY.contains(path))) {
        return inner;
      }
      boolean grpc = request.entity().getContentType().mediaType().toString().startsWith("application/grpc");
      if (access == BearerTokens.Access.READ) {
        return complete(refusal(grpc, false, "the read-only token (server.auth.read_token_file) may not call "
            + path + ": it changes tasks; pass the admin token (server.auth.token_file)"));
      }
      String what = BearerTokens.presentsToken(request) ? "the bearer token is not valid for this synctool"
          : "this synctool requires a bearer token";
      return complete(refusal(grpc, true, what + ": pass the token from server.auth.token_file (bin/synctool-helper"
          + " --token-file FILE, or the header 'Authorization: Bearer <token>')"));
    });
  }

  /** HTTP 401/403 with a JSON body in the original's reply shape, or a trailers-only gRPC status. */
  private static HttpResponse refusal(boolean grpc, boolean unauthenticated, String message) {
    if (grpc) {
      return HttpResponse.create().withStatus(StatusCodes.OK).addHeaders(List.of(
          RawHeader.create("grpc-status", unauthenticated ? "16" : "7"),
          RawHeader.create("grpc-message", percentEncode(message))))
          .withEntity(HttpEntities.create(ContentTypes.parse("application/grpc"), new byte[0]));
    }
    String json = "{\"code\": -1, \"msg\": \"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    HttpResponse r = HttpResponse.create()
        .withStatus(unauthenticated ? StatusCodes.UNAUTHORIZED : StatusCodes.FORBIDDEN)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json));
    return unauthenticated ? r.addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"offsync\"")) : r;
  }

  /** gRPC's percent-encoding of grpc-message (RFC 3986 unreserved and most printable ASCII kept). */
  private static String percentEncode(String s) {
    StringBuilder b = new StringBuilder();
    for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
      if (c >= 0x20 && c < 0x7f && c != '%') {
        b.append((char) c);
      } else {
        b.append('%').append(String.format("%02X", c & 0xff));
      }
    }
    return b.toString();
  }
}
