package io.offsync.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bearer tokens an offsync HTTP port accepts: an admin token and, optionally, a read-only one, each the first
 * line of a file (at least 16 characters; a file readable by other users is logged as a WARN). {@link #access}
 * tells which one a request's {@code Authorization: Bearer <token>} header carries, compared in constant time.
 * {@link #none()} accepts every request as admin: the caller decides where that is allowed (a loopback address,
 * or an explicit insecure setting).
 */
public final class BearerTokens {

  /** What a request may do. */
  public enum Access { NONE, READ, ADMIN }

  private static final Logger log = LoggerFactory.getLogger(BearerTokens.class);

  private final byte[] admin;
  private final byte[] read;

  private BearerTokens(byte[] admin, byte[] read) {
    this.admin = admin;
    this.read = read;
  }

  /** No tokens: every request is admin. */
  public static BearerTokens none() {
    return new BearerTokens(null, null);
  }

  /**
   * Tokens from files; {@code readFile} may be null.
   *
   * @param adminKey the setting naming {@code adminFile}, for messages
   * @param readKey the setting naming {@code readFile}, for messages
   * @throws IllegalArgumentException naming the setting of a missing, unreadable or too short token, or of a
   *     read-only token equal to the admin token
   */
  public static BearerTokens fromFiles(Path adminFile, String adminKey, Path readFile, String readKey) {
    byte[] admin = token(adminFile, adminKey);
    byte[] read = readFile == null ? null : token(readFile, readKey);
    if (read != null && MessageDigest.isEqual(admin, read)) {
      throw new IllegalArgumentException(readKey + " holds the same token as " + adminKey
          + ": give the read-only token its own value");
    }
    return new BearerTokens(admin, read);
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
    return admin != null;
  }

  /** What {@code request} may do: ADMIN for every request when no token is configured. */
  public Access access(HttpRequest request) {
    if (admin == null) {
      return Access.ADMIN;
    }
    Optional<byte[]> presented = bearer(request);
    if (presented.isEmpty()) {
      return Access.NONE;
    }
    if (MessageDigest.isEqual(admin, presented.get())) {
      return Access.ADMIN;
    }
    return read != null && MessageDigest.isEqual(read, presented.get()) ? Access.READ : Access.NONE;
  }

  /** Whether {@code request} carries a bearer token at all (valid or not). */
  public static boolean presentsToken(HttpRequest request) {
    return bearer(request).isPresent();
  }

  private static Optional<byte[]> bearer(HttpRequest request) {
    return request.getHeader("Authorization").map(h -> h.value().trim())
        .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7).trim().getBytes(StandardCharsets.UTF_8));
  }
}
