package io.offsync.sync;

/** A refused or failed admin request; the message names the problem and what to do. */
public final class SyncTaskException extends RuntimeException {

  public SyncTaskException(String message) {
    super(message);
  }

  public SyncTaskException(String message, Throwable cause) {
    super(message, cause);
  }
}
