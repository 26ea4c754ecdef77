package io.offsync.sink;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.TableSchema;
import java.util.List;

/**
 * Puts the decoded values of a row of any schema version in the order of the table's latest columns, by name
 * (columns a version lacks are NULL). Not thread-safe: one per sink stage.
 */
final class LatestColumns {

  private static final int[] PREFIX = new int[0];

  private final TableSchema schema;
  private final List<Column> columns;
  /** Per schema version: where each of its columns goes in the latest schema; {@link #PREFIX} = same place. */
  private final int[][] toLatest = new int[TableSchema.MAX_VERSION + 1][];

  LatestColumns(TableSchema schema) {
    this.schema = schema;
    this.columns = schema.latest();
  }

  /** The values of a row of schema {@code version} in the latest columns' order. */
  Object[] reorder(int version, Object[] values) {
    int[] map = map(version);
    if (map == PREFIX) {
      return values;
    }
    Object[] row = new Object[columns.size()];
    for (int i = 0; i < values.length && i < map.length; i++) {
      if (map[i] >= 0) {
        row[map[i]] = values[i];
      }
    }
    return row;
  }

  /** Whether the columns of schema {@code version} are the first latest columns, in order (no reorder needed). */
  boolean isPrefix(int version) {
    return map(version) == PREFIX;
  }

  private int[] map(int version) {
    int[] map = toLatest[version];
    if (map == null) {
      map = mapping(version);
      toLatest[version] = map;
    }
    return map;
  }

  /** Where each column of {@code version} goes in the latest schema, by name. */
  private int[] mapping(int version) {
    List<Column> cols = schema.columns(version);
    int[] map = new int[cols.size()];
    boolean prefix = cols.size() <= columns.size();
    for (int i = 0; i < cols.size(); i++) {
      map[i] = -1;
      for (int j = 0; j < columns.size(); j++) {
        if (columns.get(j).name().equals(cols.get(i).name())) {
          map[i] = j;
          break;
        }
      }
      prefix &= map[i] == i;
    }
    return prefix ? PREFIX : map;
  }
}
