package io.offsync.protocol.snapshot.sst;

import java.io.IOException;

/**
 * The checkpoint uses something the Java reader does not read (a non-empty WAL, merge operands,
 * a compression other than snappy, a partitioned index, ...): read it through RocksDB instead. The message names
 * the file and the reason.
 */
public final class UnsupportedCheckpointException extends IOException {

  private static final long serialVersionUID = 1L;

  UnsupportedCheckpointException(String message) {
    super(message);
  }
}
