package io.offsync.synctool;

import io.offsync.health.HealthProbes.NotReadyException;
import io.offsync.sink.DestinationUser;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Readiness probe of the destination file systems of a synctool node: the default file system of the node's
 * Hadoop configuration ({@code hadoop.conf.dir}) and the file system of every task's destination, local file
 * systems excepted. Each is probed with {@code getFileStatus} of its root.
 *
 * <p>Bounded: a probe runs on {@code blocking} with its own client (a copy of the node's configuration with no
 * IPC connect retries and connect and RPC timeouts of {@code timeout}), is given up after {@code timeout}, and at
 * most one call per file system is ever in flight: while a call to a dead NameNode is still stuck, later probes
 * report it instead of starting another. Cheap: one answer serves every {@code /ready} poll for {@code cacheFor}
 * (and while the next probe runs: at most twice {@code timeout} longer, task list then calls); the task
 * destinations come from {@code destinations} (when that fails or is slow, the last known ones are probed).
 *
 * <p>The returned future fails with a {@link NotReadyException} naming each unreachable file system URI and its
 * error.
 */
public final class FileSystemProbe implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FileSystemProbe.class);

  private final Configuration conf;
  private final DestinationUser user;
  private final Supplier<? extends CompletionStage<? extends Collection<String>>> destinations;
  private final Executor blocking;
  private final Duration timeout;
  private final Duration cacheFor;
  private final Map<URI, FileSystem> clients = new ConcurrentHashMap<>();
  private final Map<URI, CompletableFuture<Void>> calls = new ConcurrentHashMap<>();
  private volatile Set<URI> taskFileSystems = Set.of();
  private CompletableFuture<Void> current;
  private CompletableFuture<Void> previous;
  private long startedAtNanos;
  private volatile boolean closed;

  /**
   * @param hadoopConf the node's Hadoop configuration (left unchanged: the probe uses a copy)
   * @param user the user the probe's calls run as (the node's Kerberos principal, if it has one)
   * @param destinations the destination of every existing task, as given at creation
   */
  public FileSystemProbe(Configuration hadoopConf, DestinationUser user,
      Supplier<? extends CompletionStage<? extends Collection<String>>> destinations, Executor blocking,
      Duration timeout, Duration cacheFor) {
    this.conf = probeConfiguration(hadoopConf, timeout);
    this.user = user;
    this.destinations = destinations;
    this.blocking = blocking;
    this.timeout = timeout;
    this.cacheFor = cacheFor;
  }

  /** A copy of {@code base} whose clients fail fast: no connect retries, connect and RPC timeouts of timeout. */
  static Configuration probeConfiguration(Configuration base, Duration timeout) {
    Configuration c = new Configuration(base);
    int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    c.setInt("ipc.client.connect.max.retries", 0);
    c.setInt("ipc.client.connect.max.retries.on.timeouts", 0);
    c.setInt("ipc.client.connect.timeout", ms);
    c.setInt("ipc.client.rpc-timeout.ms", ms);
    c.setBoolean("dfs.client.retry.policy.enabled", false);
    // HA: one failover to the other NameNode, quickly
    c.setInt("dfs.client.failover.max.attempts", 2);
    c.setInt("dfs.client.failover.sleep.base.millis", 100);
    c.setInt("dfs.client.failover.sleep.max.millis", 500);
    return c;
  }

  /**
   * The file system {@code dest} lives on ({@code scheme://authority/}, a path without scheme on the default file
   * system); empty for the local file system.
   */
  static Optional<URI> fileSystemOf(String dest, Configuration conf) {
    URI uri = new Path(dest).toUri();
    URI fallback = FileSystem.getDefaultUri(conf);
    String scheme = uri.getScheme() == null ? fallback.getScheme() : uri.getScheme();
    String authority = uri.getAuthority();
    if (uri.getScheme() == null || (authority == null && scheme.equals(fallback.getScheme()))) {
      authority = fallback.getAuthority();
    }
    if (scheme == null || scheme.equals("file")) {
      return Optional.empty();
    }
    return Optional.of(URI.create(scheme + "://" + (authority == null ? "" : authority) + "/"));
  }

  /**
   * Completes when every probed file system answered; fails naming those that did not. While a new probe runs,
   * the previous answer stands (so a slow but live NameNode does not make the node flap), which bounds how old an
   * answer can be; only the very first probe is waited for.
   */
  public synchronized CompletionStage<Void> check() {
    long now = System.nanoTime();
    if (current == null || (current.isDone() && now - startedAtNanos >= cacheFor.toNanos())) {
      previous = current;
      current = probeAll();
      startedAtNanos = now;
    }
    return current.isDone() || previous == null ? current : previous;
  }

  private CompletableFuture<Void> probeAll() {
    return destinations.get().toCompletableFuture().copy()
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((dests, failure) -> {
          if (failure == null) {
            Set<URI> found = new TreeSet<>();
            for (String d : dests) {
              try {
                fileSystemOf(d, conf).ifPresent(found::add);
              } catch (IllegalArgumentException e) {
                log.debug("task destination {} is not a path: {}", d, e.getMessage());
              }
            }
            taskFileSystems = Set.copyOf(found);
          } else {
            log.debug("task destinations unknown, probing the last known ones: {}", failure.toString());
          }
          Set<URI> all = new TreeSet<>(taskFileSystems);
          fileSystemOf("/", conf).ifPresent(all::add);
          return all;
        })
        .thenCompose(all -> {
          List<URI> uris = List.copyOf(all);
          List<CompletableFuture<String>> results = new ArrayList<>();
          for (URI uri : uris) {
            results.add(probe(uri).handle((ok, failure) -> failure == null ? null : describe(uri, failure)));
          }
          return CompletableFuture.allOf(results.toArray(new CompletableFuture<?>[0])).thenCompose(v -> {
            List<String> down = results.stream().map(CompletableFuture::join).filter(r -> r != null).toList();
            return down.isEmpty() ? CompletableFuture.<Void>completedFuture(null)
                : CompletableFuture.<Void>failedFuture(new NotReadyException(String.join("; ", down)));
          });
        });
  }

  private CompletableFuture<Void> probe(URI uri) {
    CompletableFuture<Void> call = calls.compute(uri, (u, running) -> running != null && !running.isDone()
        ? running : CompletableFuture.runAsync(() -> getRootStatus(u), blocking));
    return call.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void getRootStatus(URI uri) {
    if (closed) {
      throw new IllegalStateException("node stopping");
    }
    try {
      user.call(() -> {
        FileSystem fs = clients.get(uri);
        if (fs == null) {
          fs = FileSystem.newInstance(uri, conf);
          FileSystem raced = clients.putIfAbsent(uri, fs);
          if (raced != null) {
            fs.close();
            fs = raced;
          }
        }
        return fs.getFileStatus(new Path("/"));
      });
    } catch (IOException e) {
      throw new CompletionException(e);
    }
  }

  private String describe(URI uri, Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof TimeoutException) {
      return uri + " unreachable: no answer within " + timeout.toMillis() + " ms";
    }
    Optional<String> kerberos = DestinationUser.kerberosHint(t);
    if (kerberos.isPresent()) {
      return uri + " refused this synctool: " + kerberos.get();
    }
    String message = t.getMessage() == null ? "" : t.getMessage().lines().findFirst().orElse("");
    return uri + " unreachable: " + t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
  }

  @Override
  public void close() {
    closed = true;
    for (FileSystem fs : clients.values()) {
      try {
        fs.close();
      } catch (IOException e) {
        log.debug("closing the probe client of {} failed: {}", fs.getUri(), e.toString());
      }
    }
    clients.clear();
  }
}
