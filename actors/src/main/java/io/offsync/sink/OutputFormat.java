package io.offsync.sink;

import java.util.Locale;

/** The file format of committed part files. */
public enum OutputFormat {
  /** Typed columnar files (snappy), one column per table column of the latest schema. The default. */
  PARQUET("parquet"),
  /** Text lines byte-compatible with the original SyncTool's CSV output. */
  CSV("csv");

  private final String extension;

  OutputFormat(String extension) {
    this.extension = extension;
  }

  /** The file name extension, without the dot. */
  public String extension() {
    return extension;
  }

  /** Parses {@code parquet} or {@code csv} (any case); anything else is refused with the accepted names. */
  public static OutputFormat parse(String name) {
    if (name != null) {
      for (OutputFormat f : values()) {
        if (f.extension.equals(name.trim().toLowerCase(Locale.ROOT))) {
          return f;
        }
      }
    }
    throw new IllegalArgumentException("unknown output format '" + name + "': use parquet or csv");
  }
}
