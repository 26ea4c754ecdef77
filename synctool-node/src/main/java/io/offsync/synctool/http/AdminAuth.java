package io.offsync.synctool.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  private static final Logger log = LoggerFactory.getLogger(AdminAuth.class);

  /** Paths the read-only token may call. */
  static final Set<String> READ_ONLY = Set.of("/offsync.admin.SyncToolAdmin/Status",
      "/offsync.admin.SyncToolAdmin/ListCollectors", "/offsync.admin.SyncToolAdmin/Verify", "/metrics");

  private final byte[] adminToken;
  private final byte[] readToken;

  private AdminAuth(byte[] adminToken, byte[] readToken) {
    this.adminToken = adminToken;
    this.readToken = readToken;
  }

  /** No authentication. */
  public static AdminAuth open() {
    return new AdminAuth(null, null);
  }

  /**
   * Tokens from files (the first line, trimmed); {@code readTokenFile} may be null.
   *
   * @throws IllegalArgumentException naming the setting of a missing, unreadable or empty file
   */
  public static AdminAuth fromFiles(Path tokenFile, Path readTokenFile) {
    byte[] admin = token(tokenFile, "server.auth.token_file");
    byte[] read = readTokenFile == null ? null : token(readTokenFile, "server.auth.read_token_file");
    if (read != null && MessageDigest.isEqual(admin, read)) {
      throw new IllegalArgumentException("server.auth.read_token_file holds the same token as"
          + " server.auth.token_file: give the read-only token its own value");
    }
    return new AdminAuth(admin, read);
  }

  private static byte[] token(Path file, String key) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(key + " = " + file + " cannot be read: " + e.getMessage());
    }
    String token = text.lines().findFirst().orElse("").trim();
    if (token.length() < 16) {
      throw new IllegalArgumentException(key + " = " + file + " holds no token of at least 16 characters on its"
          + " first line (make one with: openssl rand -hex 32 > " + file + ")");
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
        log.warn("{} = {} is readable by other users; chmod 600 it", key, file);
      }
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("permissions of {} unknown: {}", file, e.toString());
    }
    return token.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether requests need a token. */
  public boolean enabled() {
    return adminToken != null;
  }

  /** {@code inner} behind the token check. */
  public Route protect(Route inner) {
    if (adminToken == null) {
      return inner;
    }
    return extractRequest(request -> {
      Optional<byte[]> presented = bearer(request);
      boolean admin = presented.isPresent() && MessageDigest.isEqual(adminToken, presented.get());
      boolean read = !admin && presented.isPresent() && readToken != null
          && MessageDigest.isEqual(readToken, presented.get());
      String path = request.getUri().path();
      if (admin || (read && READ_ONLY.contains(path))) {
        return inner;
      }
      boolean grpc = request.entity().getContentType().mediaType().toString().startsWith("application/grpc");
      if (read) {
        return complete(refusal(grpc, false, "the read-only token (server.auth.read_token_file) may not call "
            + path + ": it changes tasks; pass the admin token (server.auth.token_file)"));
      }
      String what = presented.isEmpty() ? "this synctool requires a bearer token"
          : "the bearer token is not valid for this synctool";
      return complete(refusal(grpc, true, what + ": pass the token from server.auth.token_file (bin/synctool-helper"
          + " --token-file FILE, or the header 'Authorization: Bearer <token>')"));
    });
  }

  private static Optional<byte[]> bearer(HttpRequest request) {
    return request.getHeader("Authorization").map(h -> h.value().trim())
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7).trim().getBytes(StandardCharsets.UTF_8));
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
