package io.offsync.protocol.snapshot.sst;

import java.io.IOException;

/** An SST file or MANIFEST of a checkpoint does not hold what its format promises (bad checksum, bad entry). */
public final class SstCorruptionException extends IOException {

  private static final long serialVersionUID = 1L;

  SstCorruptionException(String message) {
    super(message);
  }
}
