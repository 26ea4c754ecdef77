package io.offsync.protocol.codec;

import io.offsync.protocol.openmldb.Common;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.openmldb.Tablet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The versioned schema of an OpenMLDB table, as OpenMLDB resolves it: version 1 is {@code column_desc}; a
 * version {@code v} listed in {@code schema_versions} as {@code {id=v, field_count=F}} is {@code column_desc}
 * followed by the first {@code F - len(column_desc)} entries of {@code added_column_desc} (ALTER TABLE ADD
 * COLUMN appends there and adds a version).
 *
 * <p>Immutable and thread-safe; the decoding layout of every version is computed once at construction.
 * Construction fails with an {@link IllegalArgumentException} naming the table when the metadata is
 * inconsistent (an unsupported column type, a field count outside the columns, a version id outside 1..255).
 * Asking for a version the table does not have throws {@link UnknownSchemaVersionException}.
 */
public final class TableSchema {

  /** Highest schema version a row can carry (one unsigned byte). */
  public static final int MAX_VERSION = 255;

  private final String table;
  private final RowLayout[] layouts;
  private final Set<Integer> versions;
  private final int latestVersion;

  private TableSchema(String table, List<Column> base, List<Column> added, Map<Integer, Integer> fieldCounts) {
    this.table = table;
    if (base.isEmpty()) {
      throw new IllegalArgumentException("table " + table + " has no columns (column_desc is empty)");
    }
    TreeMap<Integer, Integer> counts = new TreeMap<>(fieldCounts);
    counts.putIfAbsent(1, base.size());
    RowLayout[] byVersion = new RowLayout[counts.lastKey() + 1];
    for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
      int version = e.getKey();
      int fieldCount = version == 1 ? base.size() : e.getValue();
      if (version < 1 || version > MAX_VERSION) {
        throw new IllegalArgumentException("table " + table + ": schema version " + version
            + " is outside 1.." + MAX_VERSION + " (schema_versions is corrupt)");
      }
      if (fieldCount < base.size() || fieldCount > base.size() + added.size()) {
        throw new IllegalArgumentException("table " + table + ": schema version " + version + " has field_count "
            + fieldCount + ", but the table has " + base.size() + " columns in column_desc and " + added.size()
            + " in added_column_desc");
      }
      List<Column> cols = new ArrayList<>(base);
      cols.addAll(added.subList(0, fieldCount - base.size()));
      byVersion[version] = new RowLayout(cols);
    }
    this.layouts = byVersion;
    this.versions = Collections.unmodifiableSet(counts.keySet());
    this.latestVersion = counts.lastKey();
  }

  /** The schema of a table from the nameserver's {@code TableInfo} (as stored in ZooKeeper). */
  public static TableSchema of(NS.TableInfo info) {
    String name = qualified(info.getDb(), info.getName(), info.getTid());
    return of(name, info.getColumnDescList(), info.getAddedColumnDescList(), info.getSchemaVersionsList());
  }

  /** The schema of a table from a tablet's {@code TableMeta}. */
  public static TableSchema of(Tablet.TableMeta meta) {
    String name = qualified(meta.getDb(), meta.getName(), meta.getTid());
    return of(name, meta.getColumnDescList(), meta.getAddedColumnDescList(), meta.getSchemaVersionsList());
  }

  /**
   * A schema from plain columns.
   *
   * @param table name used in error messages
   * @param fieldCounts schema version id → field count; version 1 is always {@code base}
   */
  public static TableSchema of(String table, List<Column> base, List<Column> added,
      Map<Integer, Integer> fieldCounts) {
    return new TableSchema(table, List.copyOf(base), List.copyOf(added), fieldCounts);
  }

  /** A schema with one version. */
  public static TableSchema of(String table, List<Column> columns) {
    return of(table, columns, List.of(), Map.of());
  }

  private static TableSchema of(String table, List<Common.ColumnDesc> base, List<Common.ColumnDesc> added,
      List<Common.VersionPair> versionPairs) {
    Map<Integer, Integer> counts = new TreeMap<>();
    for (Common.VersionPair p : versionPairs) {
      counts.put(p.getId(), p.getFieldCount());
    }
    return new TableSchema(table, columns(table, base), columns(table, added), counts);
  }

  private static List<Column> columns(String table, List<Common.ColumnDesc> descs) {
    List<Column> out = new ArrayList<>(descs.size());
    for (Common.ColumnDesc d : descs) {
      try {
        out.add(Column.of(d));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("table " + table + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static String qualified(String db, String name, int tid) {
    return (db.isEmpty() ? name : db + "." + name) + " (tid " + tid + ")";
  }

  /** The table's name as used in messages: {@code db.table (tid N)}. */
  public String table() {
    return table;
  }

  /**
   * The columns of a schema version.
   *
   * @throws UnknownSchemaVersionException if the table has no such version
   */
  public List<Column> columns(int version) {
    return layout(version).columns;
  }

  /** The columns of the newest version. */
  public List<Column> latest() {
    return layouts[latestVersion].columns;
  }

  public int latestVersion() {
    return latestVersion;
  }

  /** Every known version, ascending. */
  public Set<Integer> versions() {
    return versions;
  }

  RowLayout layout(int version) {
    RowLayout l = version >= 0 && version < layouts.length ? layouts[version] : null;
    if (l == null) {
      throw new UnknownSchemaVersionException(table, version, versions);
    }
    return l;
  }

  @Override
  public String toString() {
    return "TableSchema[" + table + ", versions " + versions + ", latest " + latest() + "]";
  }
}
