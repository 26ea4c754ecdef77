package io.offsync.sink;

import java.io.IOException;

/** The destination cannot take part files; the message names the path, the cause and what to do about it. */
public final class DestinationException extends IOException {

  public DestinationException(String message, Throwable cause) {
    super(message, cause);
  }

  public DestinationException(String message) {
    super(message);
  }
}
