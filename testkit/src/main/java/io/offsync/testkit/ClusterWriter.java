package io.offsync.testkit;

import io.offsync.protocol.codec.RowCodec;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.openmldb.NS;
import io.offsync.protocol.snapshot.DiskTableLayout;
import java.util.List;
import java.util.Map;

/**
 * Writes a table's rows and deletes into its partitions the way an OpenMLDB cluster spreads them, several indexes
 * included (the facts, with OpenMLDB's file names, are in {@link PartitionRouting} and {@link TabletFixture}):
 * a put goes to every partition one of its index keys hashes to with that partition's dimensions; a delete by one
 * index's key fans out to the other indexes' partitions first ({@code DeleteAllIndex}); {@code CREATE INDEX}
 * copies the existing rows into the new index's partitions ({@code ExtractIndexData}/{@code LoadIndexData}).
 * Not thread-safe.
 */
final class ClusterWriter {

  private final TabletPartition[] partitions;
  private final boolean disk;
  private final boolean autoFlush;

  ClusterWriter(TabletPartition[] partitions, boolean disk, boolean autoFlush) {
    this.partitions = partitions;
    this.disk = disk;
    this.autoFlush = autoFlush;
  }

  /** Puts the row {@code v} (encoded {@code row}) at put time {@code time}; returns index 0's partition. */
  int put(NS.TableInfo table, DiskTableLayout layout, long term, long time, Object[] v, byte[] row) {
    DiskTableLayout.Index index0 = layout.index(0);
    if (index0.keyColumns().isEmpty()) {
      partitions[0].put(term, time, layout.dimensions(v), v, row, table, autoFlush);
      return 0;
    }
    PartitionRouting.dimensionsByPartition(layout, v, partitions.length)
        .forEach((pid, dims) -> partitions[pid].put(term, time, dims, v, row, table, autoFlush));
    return PartitionRouting.putPartition(layout.pk(index0, v), partitions.length);
  }

  /**
   * {@code DELETE FROM t WHERE <key columns of index> = key}: on a table with several indexes, for each row the
   * key's partition holds under it and each other index, a delete of that index's key at exactly the row's ts in the
   * partition {@link PartitionRouting#fanOutPartition} names; then the key's own delete (every ts but 0).
   *
   * @throws IllegalStateException on a multi-index disk table without a model (the rows to fan out are in it)
   */
  void delete(NS.TableInfo table, DiskTableLayout layout, long term, int index, String key) {
    DiskTableLayout.Index idx = layout.index(index);
    TabletPartition home = partitions[PartitionRouting.putPartition(key, partitions.length)];
    List<DiskTableLayout.Index> others = layout.indexes().stream()
        .filter(i -> !i.deleted() && i.id() != idx.id()).toList();
    if (!others.isEmpty() && home.model == null && disk) {
      throw new IllegalStateException("a delete on table " + table.getName() + ", which has "
          + layout.indexes().size() + " indexes, deletes each row's entries in the other indexes too; the fixture "
          + "finds them in its model, so build it with trackRows(true)");
    }
    if (!others.isEmpty() && home.model != null) {
      for (Map.Entry<Long, Object[]> row : home.model.rows(index, key)) {
        for (DiskTableLayout.Index other : others) {
          String otherKey = layout.pk(other, row.getValue());
          long ts = other.tsColumn() == null ? row.getKey() : layout.ts(other, row.getValue(), row.getKey());
          partitions[PartitionRouting.fanOutPartition(otherKey, partitions.length)]
              .delete(term, other.id(), otherKey, true, ts, ts > 1 ? ts - 1 : 0, autoFlush);
        }
      }
    }
    home.delete(term, idx.id(), key, false, 0, 0, autoFlush);
  }

  /**
   * Puts every partition's index-0 rows (from its model) under the new index {@code added}: into the own partition
   * without a binlog entry, into another one as a logged copy with only the new index's dimension.
   */
  void copyIntoIndex(NS.TableInfo table, DiskTableLayout layout, TableSchema schema, long term,
                     DiskTableLayout.Index added) {
    for (TabletPartition p : partitions) {
      for (Map.Entry<Long, Object[]> r : p.model.index0Rows()) {
        Object[] v = r.getValue();
        byte[] row = RowCodec.encode(schema, schema.latestVersion(), v);
        DiskTableLayout.Dimension dim = new DiskTableLayout.Dimension(added.id(), layout.pk(added, v));
        int target = PartitionRouting.putPartition(dim.key(), partitions.length);
        if (target == p.pid) {
          p.applyIndexCopy(r.getKey(), dim, v, row);
        } else {
          partitions[target].putIndexCopy(term, r.getKey(), dim, v, row, table, autoFlush);
        }
      }
    }
  }
}
