package io.offsync.protocol.zk;

/**
 * ZooKeeper could not be read, or what it holds is not what OpenMLDB's nameserver writes. The message names
 * the path and what to check.
 */
public final class ZkMetadataException extends RuntimeException {

  public ZkMetadataException(String message, Throwable cause) {
    super(message, cause);
  }

  public ZkMetadataException(String message) {
    super(message);
  }
}
