package io.offsync.sink;

import java.time.Duration;

/**
 * When the commit sink closes the current part file and hands it over for commit. A file rolls at the first row
 * boundary with a known position after any of these holds.
 *
 * @param maxBytes the file has reached this many bytes (for Parquet: written plus buffered in the open row group)
 * @param maxAge the file has been open this long, even while rows keep arriving
 * @param idle no row has arrived for this long, so a quiet partition's rows still reach the destination
 */
public record RollPolicy(long maxBytes, Duration maxAge, Duration idle) {

  /** 128 MiB, 60 s, 10 s. */
  public static final RollPolicy DEFAULT = new RollPolicy(128L << 20, Duration.ofSeconds(60), Duration.ofSeconds(10));

  public RollPolicy {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("roll max-bytes must be positive, got " + maxBytes);
    }
    if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("roll max-age must be a positive duration, got " + maxAge);
    }
    if (idle == null || idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("roll idle must be a positive duration, got " + idle);
    }
  }

  public RollPolicy withMaxBytes(long bytes) {
    return new RollPolicy(bytes, maxAge, idle);
  }

  public RollPolicy withMaxAge(Duration age) {
    return new RollPolicy(maxBytes, age, idle);
  }

  public RollPolicy withIdle(Duration idleTime) {
    return new RollPolicy(maxBytes, maxAge, idleTime);
  }
}
