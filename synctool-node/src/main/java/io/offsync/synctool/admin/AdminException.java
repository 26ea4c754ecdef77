package io.offsync.synctool.admin;

import io.grpc.Status;

/**
 * A refused admin request. The message names the problem and the fix; {@link Kind} says which gRPC status the
 * refusal travels as (the OpenMLDB HTTP/JSON endpoints answer {@code code = -1} with the message, as the original).
 */
public final class AdminException extends RuntimeException {

  /** Category of a refusal. */
  public enum Kind {
    BAD_REQUEST(Status.Code.INVALID_ARGUMENT),
    NOT_FOUND(Status.Code.NOT_FOUND),
    ALREADY_EXISTS(Status.Code.ALREADY_EXISTS),
    PRECONDITION(Status.Code.FAILED_PRECONDITION),
    PERMISSION_DENIED(Status.Code.PERMISSION_DENIED),
    UNAVAILABLE(Status.Code.UNAVAILABLE),
    INTERNAL(Status.Code.INTERNAL);

    private final Status.Code grpc;

    Kind(Status.Code grpc) {
      this.grpc = grpc;
    }

    public Status.Code grpcCode() {
      return grpc;
    }
  }

  private final Kind kind;

  public AdminException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  /** The exception behind a failed future, as an AdminException (anything unexpected becomes INTERNAL). */
  public static AdminException of(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException
        || c instanceof java.util.concurrent.ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof AdminException a) {
      return a;
    }
    if (c instanceof java.util.concurrent.TimeoutException) {
      return new AdminException(Kind.UNAVAILABLE, "no answer in time from the task (" + c.getMessage()
          + "): is the synctool cluster up (check /ready on the management port)?");
    }
    return new AdminException(Kind.INTERNAL, c.toString());
  }
}
