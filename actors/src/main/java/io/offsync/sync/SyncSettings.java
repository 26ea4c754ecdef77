package io.offsync.sync;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.coordination.lease.LeaseUsageSettings;
import scala.concurrent.duration.FiniteDuration;

/**
 * The {@code offsync.sync} configuration section (see reference.conf for meanings and units).
 *
 * @param lease the lease of TableTask shards, when enabled
 */
public record SyncSettings(
    String role,
    Duration initTimeout,
    Duration openTimeout,
    Duration commitTimeout,
    Duration fsCallTimeout,
    int maxOpenPartitionFiles,
    Duration leaderCheckInterval,
    Duration askTimeout,
    Duration retryMinBackoff,
    Duration retryMaxBackoff,
    double retryRandomFactor,
    int maxRetries,
    Duration failedRetryMinBackoff,
    Duration failedRetryMaxBackoff,
    Duration restartMinBackoff,
    Duration restartMaxBackoff,
    Optional<LeaseUsageSettings> lease) {

  public static final String BLOCKING_DISPATCHER = "offsync.sync.blocking-dispatcher";

  /** Config path of the {@link ZooKeeperLease} settings. */
  public static final String LEASE = "offsync.sync.lease";

  public static SyncSettings fromConfig(Config root) {
    Config c = root.getConfig("offsync.sync");
    return new SyncSettings(
        c.getString("role"),
        c.getDuration("init-timeout"),
        c.getDuration("open-timeout"),
        c.getDuration("commit-timeout"),
        c.getDuration("fs-call-timeout"),
        c.getInt("max-open-partition-files"),
        c.getDuration("leader-check-interval"),
        c.getDuration("ask-timeout"),
        c.getDuration("retry.min-backoff"),
        c.getDuration("retry.max-backoff"),
        c.getDouble("retry.random-factor"),
        c.getInt("retry.max-retries"),
        c.getDuration("retry.failed-min-backoff"),
        c.getDuration("retry.failed-max-backoff"),
        c.getDuration("restart.min-backoff"),
        c.getDuration("restart.max-backoff"),
        c.getBoolean("lease.enabled")
            ? Optional.of(new LeaseUsageSettings(LEASE, FiniteDuration.fromNanos(
                c.getDuration("lease.retry-interval").toNanos())))
            : Optional.empty());
  }

  /** The wait before the {@code round}th automatic resume of a FAILED subtask (1 = first). */
  public Duration failedBackoff(int round) {
    double base = failedRetryMinBackoff.toMillis() * Math.pow(2, Math.max(0, Math.min(round, 30) - 1));
    double capped = Math.min(base, failedRetryMaxBackoff.toMillis());
    return Duration.ofMillis((long) (capped * (1 + retryRandomFactor * Math.random())));
  }

  /** The wait before reopening after {@code failures} consecutive failures (1 = first retry). */
  public Duration backoff(int failures) {
    double base = retryMinBackoff.toMillis() * Math.pow(2, Math.max(0, failures - 1));
    double capped = Math.min(base, retryMaxBackoff.toMillis());
    return Duration.ofMillis((long) (capped * (1 + retryRandomFactor * Math.random())));
  }
}
