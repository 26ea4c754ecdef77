package io.offsync.collector;

import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.Position;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live counters of one open stream, written by the stream and read by the status page and {@code /metrics}.
 */
public final class StreamStats {

  private final String streamId;
  private final String subtaskId;
  private final int tid;
  private final int pid;
  private final int mode;
  private final Path binlogDir;
  private final Instant opened = Instant.now();
  private final AtomicLong rows = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private volatile Position position;

  StreamStats(String streamId, String subtaskId, int tid, int pid, int mode, Path binlogDir, Position from) {
    this.streamId = streamId;
    this.subtaskId = subtaskId;
    this.tid = tid;
    this.pid = pid;
    this.mode = mode;
    this.binlogDir = binlogDir;
    this.position = from;
  }

  void sent(long rowCount, long byteCount, Position next) {
    rows.addAndGet(rowCount);
    bytes.addAndGet(byteCount);
    if (next != null) {
      position = next;
    }
  }

  public String streamId() {
    return streamId;
  }

  public String subtaskId() {
    return subtaskId;
  }

  public int tid() {
    return tid;
  }

  public int pid() {
    return pid;
  }

  public int mode() {
    return mode;
  }

  /** The tablet's binlog directory of the partition (for the lag metric). */
  public Path binlogDir() {
    return binlogDir;
  }

  public Instant opened() {
    return opened;
  }

  /** "snapshot" or "binlog": the phase of the last position sent. */
  public String phase() {
    return position instanceof BinlogPosition ? "binlog" : "snapshot";
  }

  public Position position() {
    return position;
  }

  public long rows() {
    return rows.get();
  }

  public long bytes() {
    return bytes.get();
  }

  /** Rows per second since the stream opened. */
  public double rowRate() {
    double s = Math.max(0.001, Duration.between(opened, Instant.now()).toMillis() / 1000.0);
    return rows.get() / s;
  }

  /** Bytes per second since the stream opened. */
  public double byteRate() {
    double s = Math.max(0.001, Duration.between(opened, Instant.now()).toMillis() / 1000.0);
    return bytes.get() / s;
  }
}
