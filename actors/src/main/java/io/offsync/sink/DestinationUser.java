package io.offsync.sink;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KerberosTicket;
import javax.security.auth.kerberos.KeyTab;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.security.UserGroupInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user every destination file-system call of a synctool runs as: the sink's writes, renames and deletes,
 * task creation's writability check and the readiness probe.
 *
 * <p>{@link #processUser()} runs calls as they are (Hadoop's simple authentication: the OS user, or
 * {@code HADOOP_USER_NAME}). {@link #kerberos} logs in from a keytab with
 * {@link UserGroupInformation#loginUserFromKeytabAndReturnUGI}: the user is this object's own, never Hadoop's
 * process-wide login user, so two destinations with different principals in one JVM do not clobber each other.
 * Every call runs inside {@code ugi.doAs}, so the file systems it opens ({@link FileSystem#get} caches one per
 * user) authenticate as that principal.
 *
 * <p>Fresh credentials: a timer calls {@link UserGroupInformation#checkTGTAndReloginFromKeytab()} every
 * {@code reloginCheck}; Hadoop logs in again from the keytab once 80% of the ticket's lifetime has passed, so a
 * new ticket is there before the old one expires, for as long as the process runs (not only after a call has
 * failed, which Hadoop does by itself only for the login user). A relogin that fails (keytab replaced or
 * unreadable, principal removed, KDC down) is logged once per change as a WARN and reported by {@link #problem()}
 * (the synctool's {@code /ready}) until a later attempt succeeds; the old ticket keeps serving until it expires.
 */
public final class DestinationUser implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DestinationUser.class);
  private static final DestinationUser PROCESS = new DestinationUser(null, "", null, null);

  private final UserGroupInformation ugi;
  private final String principal;
  private final Path keytab;
  private final ScheduledExecutorService timer;
  private final AtomicInteger logins = new AtomicInteger(1);
  private volatile String problem;

  private DestinationUser(UserGroupInformation ugi, String principal, Path keytab, ScheduledExecutorService timer) {
    this.ugi = ugi;
    this.principal = principal;
    this.keytab = keytab;
    this.timer = timer;
  }

  /** Calls run as the process's own user (Hadoop simple authentication). */
  public static DestinationUser processUser() {
    return PROCESS;
  }

  /** Thrown when a Kerberos login is impossible; the message names the synctool.properties key to fix. */
  public static final class LoginException extends Exception {
    public LoginException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Logs {@code principal} in from {@code keytab} and keeps its ticket fresh.
   *
   * @param hadoopConf the destination's Hadoop configuration; must say {@code hadoop.security.authentication =
   *     kerberos}. Hadoop keeps the authentication settings process-wide ({@link
   *     UserGroupInformation#setConfiguration}); this is the one process-wide change made here.
   * @param reloginCheck how often the ticket's remaining lifetime is checked; well below the ticket lifetime
   */
  public static DestinationUser kerberos(Configuration hadoopConf, String principal, Path keytab,
      Duration reloginCheck) throws LoginException {
    if (!Files.isReadable(keytab)) {
      throw new LoginException("hadoop.kerberos.keytab = " + keytab + ": no such readable file; point it at the"
          + " keytab of " + principal, null);
    }
    UserGroupInformation.setConfiguration(hadoopConf);
    boolean hasKey;
    try {
      hasKey = KeyTab.getInstance(keytab.toFile()).getKeys(new KerberosPrincipal(principal)).length > 0;
    } catch (RuntimeException e) {
      throw new LoginException(loginFailure(principal, keytab, e), e);
    }
    if (!hasKey) {
      throw new LoginException("hadoop.kerberos.keytab = " + keytab + " holds no key of hadoop.kerberos.principal = "
          + principal + " (or is no keytab); fix the principal (with its realm) or export its key into the keytab"
          + " (e.g. kadmin: ktadd -k <keytab> " + principal + ")", null);
    }
    UserGroupInformation ugi;
    try {
      ugi = UserGroupInformation.loginUserFromKeytabAndReturnUGI(principal, keytab.toString());
    } catch (IOException | RuntimeException e) {
      throw new LoginException(loginFailure(principal, keytab, e), e);
    }
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "offsync-kerberos-relogin");
      t.setDaemon(true);
      return t;
    });
    DestinationUser user = new DestinationUser(ugi, principal, keytab, timer);
    long period = Math.max(1, reloginCheck.toMillis());
    timer.scheduleWithFixedDelay(user::relogin, period, period, TimeUnit.MILLISECONDS);
    log.info("logged in to Kerberos as {} from keytab {} (ticket valid until {}; checked every {} ms)", principal,
        keytab, user.ticketEnd().map(Instant::toString).orElse("?"), period);
    return user;
  }

  private void relogin() {
    Optional<Instant> before = ticketEnd();
    try {
      ugi.checkTGTAndReloginFromKeytab();
      Optional<Instant> after = ticketEnd();
      if (!after.equals(before)) {
        logins.incrementAndGet();
        log.debug("Kerberos relogin of {}: ticket valid until {}", principal, after.orElse(null));
      }
      if (problem != null) {
        log.info("Kerberos relogin of {} from keytab {} works again", principal, keytab);
        problem = null;
      }
    } catch (IOException | RuntimeException e) {
      String p = loginFailure(principal, keytab, e) + " (the current ticket is valid until "
          + before.map(Instant::toString).orElse("?") + ")";
      if (!p.equals(problem)) {
        log.warn("{}", p);
      }
      problem = p;
    }
  }

  private static String loginFailure(String principal, Path keytab, Throwable e) {
    StringBuilder causes = new StringBuilder();
    for (Throwable t = e; t != null && causes.length() < 600; t = t.getCause()) {
      causes.append(causes.length() == 0 ? "" : ": ").append(t.getMessage());
    }
    String all = causes.toString();
    String lower = all.toLowerCase(Locale.ROOT);
    String fix;
    if (lower.contains("default realm") || lower.contains("krb5.conf") || lower.contains("cannot locate kdc")
        || lower.contains("cannot contact any kdc") || lower.contains("receive timed out")
        || lower.contains("connection refused")) {
      fix = "check hadoop.kerberos.krb5_conf (the krb5.conf naming the realm and its KDCs) and that the KDC is"
          + " reachable";
    } else if (lower.contains("client not found") || lower.contains("unable to obtain password")) {
      fix = "the KDC does not know hadoop.kerberos.principal = " + principal + ": check its spelling and realm";
    } else if (lower.contains("checksum failed") || lower.contains("pre-authentication") || lower.contains("integrity")
        || lower.contains("decrypt")) {
      fix = "hadoop.kerberos.keytab = " + keytab + " holds an old or wrong key of " + principal
          + " (the KDC has another one): export the keytab again";
    } else {
      fix = "check hadoop.kerberos.principal, hadoop.kerberos.keytab and hadoop.kerberos.krb5_conf";
    }
    return "Kerberos login of " + principal + " from keytab " + keytab + " failed: " + all + "; " + fix;
  }

  /** Runs {@code body} as this user. */
  public <T> T call(IoTimeout.IoCall<T> body) throws IOException {
    if (ugi == null) {
      return body.call();
    }
    try {
      return ugi.doAs((PrivilegedExceptionAction<T>) body::call);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while acting as " + principal);
    } catch (UndeclaredThrowableException e) {
      throw new IOException(e.getCause());
    }
  }

  /** The file system of {@code dest}, opened as this user ({@link CommitOps#fileSystem}). */
  public FileSystem fileSystem(String dest, Configuration conf) throws IOException {
    return call(() -> CommitOps.fileSystem(dest, conf));
  }

  /** The principal, or "" for the process user. */
  public String principal() {
    return principal;
  }

  /** How many times a ticket was obtained from the keytab (1 after the first login; 0 for the process user). */
  public int logins() {
    return ugi == null ? 0 : logins.get();
  }

  /** When the current ticket-granting ticket expires; empty for the process user. */
  public Optional<Instant> ticketEnd() {
    if (ugi == null) {
      return Optional.empty();
    }
    return ugi.doAs((java.security.PrivilegedAction<Optional<Instant>>) () -> {
      javax.security.auth.Subject s = javax.security.auth.Subject.getSubject(java.security.AccessController
          .getContext());
      return s == null ? Optional.empty() : s.getPrivateCredentials(KerberosTicket.class).stream()
          .filter(t -> t.getServer().getName().startsWith("krbtgt/"))
          .map(t -> t.getEndTime().toInstant()).max(Instant::compareTo);
    });
  }

  /** Why the credentials may stop working (the last relogin failed, or the ticket expired); empty when fine. */
  public Optional<String> problem() {
    if (ugi == null) {
      return Optional.empty();
    }
    String p = problem;
    if (p != null) {
      return Optional.of(p);
    }
    // Java drops an expired ticket from the subject when it next looks for one: no ticket = expired too
    Optional<Instant> end = ticketEnd();
    if (end.isEmpty() || end.get().isBefore(Instant.now())) {
      return Optional.of("the Kerberos ticket of " + principal + " expired" + end.map(e -> " at " + e).orElse("")
          + " and was not renewed from hadoop.kerberos.keytab = " + keytab);
    }
    return Optional.empty();
  }

  /**
   * A clearer message for a destination failure caused by missing Kerberos credentials (a NameNode that requires
   * Kerberos, called by a synctool that is not logged in), else empty.
   */
  public static Optional<String> kerberosHint(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage());
      if (m.contains("SIMPLE authentication is not enabled") || m.contains("Client cannot authenticate via")
          || m.contains("Failed to find any Kerberos tgt") || m.contains("No valid credentials provided")) {
        return Optional.of("the destination requires Kerberos and this synctool has no valid Kerberos credentials ("
            + m.lines().findFirst().orElse("") + "): set hadoop.security.authentication=kerberos in core-site.xml"
            + " of hadoop.conf.dir, and hadoop.kerberos.principal and hadoop.kerberos.keytab in"
            + " synctool.properties");
      }
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return ugi == null ? "the process user" : principal + " (keytab " + keytab + ")";
  }
}
