package io.offsync.protocol.snapshot;

import org.rocksdb.InfoLogLevel;
import org.rocksdb.Logger;
import org.slf4j.LoggerFactory;

/**
 * RocksDB's info log routed to slf4j ({@code org.rocksdb}, warnings and errors only). Setting it keeps RocksDB from
 * creating {@code LOG} files inside the directories it opens, so reading a checkpoint leaves it untouched.
 */
final class RocksLog extends Logger {

  private static final org.slf4j.Logger LOG = LoggerFactory.getLogger("org.rocksdb");

  RocksLog() {
    super(InfoLogLevel.WARN_LEVEL);
  }

  @Override
  protected void log(InfoLogLevel level, String message) {
    if (message.contains("Tail prefetch size") || message.contains("opened without unique ID to verify")) {
      // notes RocksDB logs at WARN: read-ahead sizing for every SST file it ingests, and files written before
      // RocksDB 7 or by SstFileWriter (as OpenMLDB's, and bulk-written ones) carrying no unique id in the MANIFEST
      LOG.debug(message);
      return;
    }
    switch (level) {
      case DEBUG_LEVEL -> LOG.debug(message);
      case INFO_LEVEL, HEADER_LEVEL -> LOG.info(message);
      case WARN_LEVEL -> LOG.warn(message);
      default -> LOG.error(message);
    }
  }
}
