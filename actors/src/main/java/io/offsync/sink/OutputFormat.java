package io.offsync.sink;

import java.util.Locale;

/** The file format of committed part files. */
public enum OutputFormat {
  /** Typed columnar files (snappy), one column per table column of the latest schema. The default. */
  PARQUET("parquet"),
  /** Text lines byte-compatible with the original SyncTool's CSV output. */
  CSV("csv"),
  /**
   * An Apache Iceberg table (Parquet data files) through the catalog of {@code offsync.iceberg}; the destination is
   * the catalog's warehouse. The extension is only the format's name: data files end in {@code .parquet}.
   */
  ICEBERG("iceberg");

  private final String extension;

  OutputFormat(String extension) {
    this.extension = extension;
  }

  /** The file name extension, without the dot. */
  public String extension() {
    return extension;
  }

  /** Parses {@code parquet}, {@code csv} or {@code iceberg} (any case); anything else is refused with the accepted names. */
  public static OutputFormat parse(String name) {
    if (name != null) {
      for (OutputFormat f : values()) {
        if (f.extension.equals(name.trim().toLowerCase(Locale.ROOT))) {
          return f;
        }
      }
    }
    throw new IllegalArgumentException("unknown output format '" + name + "': use parquet, csv or iceberg");
  }
}
