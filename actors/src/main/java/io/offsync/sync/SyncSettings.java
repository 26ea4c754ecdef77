package io.offsync.sync;

import com.typesafe.config.Config;
import java.time.Duration;

/** The {@code offsync.sync} configuration section (see reference.conf for meanings and units). */
public record SyncSettings(
    String role,
    Duration initTimeout,
    Duration openTimeout,
    Duration commitTimeout,
    Duration fsCallTimeout,
    Duration leaderCheckInterval,
    Duration askTimeout,
    Duration retryMinBackoff,
    Duration retryMaxBackoff,
    double retryRandomFactor,
    int maxRetries,
    Duration restartMinBackoff,
    Duration restartMaxBackoff) {

  public static final String BLOCKING_DISPATCHER = "offsync.sync.blocking-dispatcher";

  public static SyncSettings fromConfig(Config root) {
    Config c = root.getConfig("offsync.sync");
    return new SyncSettings(
        c.getString("role"),
        c.getDuration("init-timeout"),
        c.getDuration("open-timeout"),
        c.getDuration("commit-timeout"),
        c.getDuration("fs-call-timeout"),
        c.getDuration("leader-check-interval"),
        c.getDuration("ask-timeout"),
        c.getDuration("retry.min-backoff"),
        c.getDuration("retry.max-backoff"),
        c.getDouble("retry.random-factor"),
        c.getInt("retry.max-retries"),
        c.getDuration("restart.min-backoff"),
        c.getDuration("restart.max-backoff"));
  }

  /** The wait before reopening after {@code failures} consecutive failures (1 = first retry). */
  public Duration backoff(int failures) {
    double base = retryMinBackoff.toMillis() * Math.pow(2, Math.max(0, failures - 1));
    double capped = Math.min(base, retryMaxBackoff.toMillis());
    return Duration.ofMillis((long) (capped * (1 + retryRandomFactor * Math.random())));
  }
}
