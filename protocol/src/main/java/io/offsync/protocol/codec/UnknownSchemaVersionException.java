package io.offsync.protocol.codec;

import java.util.Set;

/**
 * A row carries a schema version the table's schema does not know. This usually means the schema was read
 * before an {@code ALTER TABLE ... ADD COLUMN}: reload the table metadata from ZooKeeper and decode again.
 */
public final class UnknownSchemaVersionException extends RowFormatException {

  private final String table;
  private final int version;

  public UnknownSchemaVersionException(String table, int version, Set<Integer> known) {
    super("table " + table + ": schema version " + version + " is unknown (known versions: " + known
        + "); the table was probably altered (ADD COLUMN) after its schema was read: reload the table metadata");
    this.table = table;
    this.version = version;
  }

  public String table() {
    return table;
  }

  public int version() {
    return version;
  }
}
