package io.offsync.iceberg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offsync.protocol.codec.Column;
import io.offsync.protocol.codec.ColumnType;
import io.offsync.protocol.codec.TableSchema;
import io.offsync.protocol.position.BinlogPosition;
import io.offsync.protocol.position.SnapshotPosition;
import io.offsync.sink.FinalNameTakenException;
import io.offsync.sink.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Iceberg tables on the local file system through the Hadoop catalog: schema mapping of every type, data files
 * written by {@link IcebergPartWriter} and committed by {@link IcebergCommitter}, read back with IcebergGenerics.
 */
class IcebergCommitterTest {

  private final Configuration conf = new Configuration();
  private FileSystem fs;
  private String warehouse;

  @BeforeEach
  void setUp() throws IOException {
    warehouse = Files.createTempDirectory("iceberg-committer").toUri().toString();
    fs = FileSystem.get(java.net.URI.create(warehouse), conf);
  }

  private Table open(TableSchema schema) {
    Catalog catalog = IcebergTables.catalog(IcebergSettings.DEFAULT, warehouse, conf);
    return IcebergTables.open(catalog, IcebergTables.identifier("db1", "t1"), schema, s -> PartitionSpec.unpartitioned(),
        IcebergSettings.DEFAULT);
  }

  /** Writes rows [from, from + count) as file {@code seq} of subtask {@code subtask} (pid = tid = 1). */
  private CommitMark write(IcebergCommitter committer, String subtask, int pid, long seq, long from, long count,
      List<Column> columns) throws IOException {
    Table table = committer.table();
    Path path = new Path(table.locationProvider().newDataLocation(
        IcebergCommitter.fileName(1, pid, 1, seq, "a" + seq)));
    IcebergPartWriter w = new IcebergPartWriter(table, fs, path, columns);
    for (long i = from; i < from + count; i++) {
      w.write(java.util.Arrays.copyOf(Fixtures.row(i), columns.size()));
    }
    long bytes = w.close(null);
    return new CommitMark(subtask, 1, pid, seq, from == 0 ? null : new BinlogPosition(from + 1),
        new BinlogPosition(from + count + 1), count, bytes, path.toString());
  }

  @Test
  void mapsEveryTypeAndNullability() {
    var schema = IcebergSchemas.schema(Fixtures.ALL_TYPES);
    assertEquals(List.of("id", "name", "ok", "small", "num", "f", "d", "day", "at", "note"),
        schema.columns().stream().map(Types.NestedField::name).toList());
    assertTrue(schema.findField("id").isRequired());
    assertTrue(schema.findField("name").isOptional());
    assertEquals(Types.IntegerType.get(), schema.findField("small").type());
    assertEquals(Types.TimestampType.withZone(), schema.findField("at").type());
    assertEquals(Types.DateType.get(), schema.findField("day").type());
    assertEquals(Types.StringType.get(), schema.findField("note").type());
  }

  @Test
  void rowsOfEveryTypeReadBackExactlyWithTheMarkInTheSummary() throws Exception {
    Table table = open(TableSchema.of("db1.t1", Fixtures.ALL_TYPES));
    IcebergCommitter committer = new IcebergCommitter(table, 5);
    CommitMark m0 = write(committer, "db1.t1|1|0", 0, 0, 0, 500, Fixtures.ALL_TYPES);
    assertEquals(IcebergCommitter.Outcome.COMMITTED, committer.commit(m0));
    CommitMark m1 = write(committer, "db1.t1|1|0", 0, 1, 500, 300, Fixtures.ALL_TYPES);
    assertEquals(IcebergCommitter.Outcome.COMMITTED, committer.commit(m1));

    assertEquals(sorted(IcebergTestRows.expected(0, 800, 10)), sorted(IcebergTestRows.read(table,
        Fixtures.ALL_TYPES)));
    Snapshot last = table.currentSnapshot();
    assertEquals("1", last.summary().get("offsync.seq"));
    assertEquals("db1.t1|1|0", last.summary().get("offsync.subtask"));
    assertEquals(m1, CommitMark.fromSummary(last.summary()).orElseThrow());
    assertEquals(List.of(m1, m0), IcebergCommitter.history(table));
    assertEquals(m1, committer.lastCommitted("db1.t1|1|0").orElseThrow());
    // recovery of a journal that lost its tail: the commits from a sequence on, from the snapshot summaries
    assertEquals(List.of(m0, m1), committer.commitsFrom("db1.t1|1|0", 0));
    assertEquals(List.of(m1), committer.commitsFrom("db1.t1|1|0", 1));
    assertEquals(List.of(), committer.commitsFrom("db1.t1|1|0", 2));
    assertEquals(List.of(), committer.commitsFrom("db1.t1|1|1", 0));
  }

  @Test
  void aRepeatedCommitAfterACrashAppendsNothing() throws Exception {
    Table table = open(TableSchema.of("db1.t1", Fixtures.ALL_TYPES));
    CommitMark m0 = write(new IcebergCommitter(table, 5), "db1.t1|1|0", 0, 0, 0, 100, Fixtures.ALL_TYPES);
    assertEquals(IcebergCommitter.Outcome.COMMITTED, new IcebergCommitter(table, 5).commit(m0));
    // a new process (fresh catalog, table and committer) retries the journaled commit: it already happened
    Table reopened = open(TableSchema.of("db1.t1", Fixtures.ALL_TYPES));
    IcebergCommitter again = new IcebergCommitter(reopened, 5);
    assertEquals(m0, again.lastCommitted("db1.t1|1|0").orElseThrow());
    assertEquals(IcebergCommitter.Outcome.ALREADY_COMMITTED, again.commit(m0));
    assertEquals(100, IcebergTestRows.read(reopened, Fixtures.ALL_TYPES).size());
    assertEquals(1, IcebergCommitter.history(reopened).size());
    // a snapshot position survives the round trip through the table property
    CommitMark snap = new CommitMark("db1.t1|1|1", 1, 1, 0, null, new SnapshotPosition("m1", 7, new byte[] {1, 2, 3}),
        5, 99, "x");
    assertEquals(snap, CommitMark.fromProperty(snap.propertyValue()));
  }

  @Test
  void anotherFileAtACommittedSequenceIsRefusedAndStrayFilesGo() throws Exception {
    Table table = open(TableSchema.of("db1.t1", Fixtures.ALL_TYPES));
    IcebergCommitter committer = new IcebergCommitter(table, 5);
    CommitMark m0 = write(committer, "db1.t1|1|0", 0, 0, 0, 10, Fixtures.ALL_TYPES);
    committer.commit(m0);
    Path other = new Path(table.locationProvider().newDataLocation(IcebergCommitter.fileName(1, 0, 1, 0, "zz")));
    IcebergPartWriter w = new IcebergPartWriter(table, fs, other, Fixtures.ALL_TYPES);
    w.write(Fixtures.row(99));
    long otherBytes = w.close(null);
    FinalNameTakenException e = assertThrows(FinalNameTakenException.class, () -> committer.commit(
        new CommitMark("db1.t1|1|0", 1, 0, 0, null, new BinlogPosition(2), 1, otherBytes, other.toString())));
    assertEquals(m0.committedFile(), e.found(), "the committed file, which recovery may adopt");
    // a file whose row count is not the journaled one is refused before any commit
    CommitMark wrongRows = new CommitMark("db1.t1|1|0", 1, 0, 1, null, new BinlogPosition(2), 5, otherBytes,
        other.toString());
    assertTrue(assertThrows(IOException.class, () -> committer.commit(wrongRows)).getMessage().contains("holds 1 rows"));

    CommitMark m2 = write(committer, "db1.t1|1|0", 0, 2, 20, 10, Fixtures.ALL_TYPES);
    CommitMark otherSubtask = write(committer, "db1.t1|1|1", 1, 5, 40, 10, Fixtures.ALL_TYPES);
    List<Path> deleted = committer.deleteStray(fs, "db1.t1|1|0", 1, 0, 1, Set.of(m2.file()));
    assertEquals(List.of(other.getName()), deleted.stream().map(Path::getName).toList());
    assertTrue(fs.exists(new Path(m0.file())), "committed files stay");
    assertTrue(fs.exists(new Path(m2.file())), "the journaled file stays");
    assertTrue(fs.exists(new Path(otherSubtask.file())), "other subtasks' files stay");
    assertEquals(10, IcebergTestRows.read(table, Fixtures.ALL_TYPES).size());
  }

  @Test
  void oldSnapshotsExpireButEveryRowAndTheMarksStay() throws Exception {
    Table table = open(TableSchema.of("db1.t1", Fixtures.ALL_TYPES));
    IcebergCommitter committer = new IcebergCommitter(table, 5, java.time.Duration.ofHours(1), 2);
    CommitMark last = null;
    for (int seq = 0; seq < 5; seq++) {
      last = write(committer, "db1.t1|1|0", 0, seq, seq * 10L, 10, Fixtures.ALL_TYPES);
      committer.commit(last);
    }
    assertEquals(5, IcebergCommitter.history(table).size(), "nothing is an hour old yet");
    java.nio.file.Path metadata = java.nio.file.Path.of(java.net.URI.create(table.location() + "/metadata"));
    long manifestLists;
    try (var files = Files.list(metadata)) {
      manifestLists = files.filter(p -> p.getFileName().toString().startsWith("snap-")).count();
    }
    assertEquals(3, committer.expireOldSnapshots(System.currentTimeMillis() + 2 * 3_600_000L));
    table.refresh();
    assertEquals(2, IcebergCommitter.history(table).size(), "the newest two are kept");
    try (var files = Files.list(metadata)) {
      assertEquals(manifestLists - 3, files.filter(p -> p.getFileName().toString().startsWith("snap-")).count(),
          "the expired snapshots' manifest lists are deleted");
    }
    assertEquals(sorted(IcebergTestRows.expected(0, 50, 10)), sorted(IcebergTestRows.read(table,
        Fixtures.ALL_TYPES)), "data files are never expired");
    assertEquals(last, committer.lastCommitted("db1.t1|1|0").orElseThrow());
    assertEquals(IcebergCommitter.Outcome.ALREADY_COMMITTED, committer.commit(last));
  }

  @Test
  void addedColumnsEvolveTheTableAndOlderRowsReadNull() throws Exception {
    List<Column> base = Fixtures.ALL_TYPES.subList(0, 3);
    Table table = open(TableSchema.of("db1.t1", base));
    IcebergCommitter committer = new IcebergCommitter(table, 5);
    committer.commit(write(committer, "db1.t1|1|0", 0, 0, 0, 20, base));

    List<Column> added = List.of(Column.of("extra", ColumnType.STRING), Column.of("at", ColumnType.TIMESTAMP));
    TableSchema v2 = TableSchema.of("db1.t1", base, added, Map.of(1, 3, 2, 5));
    Table evolved = open(v2);
    assertEquals(5, evolved.schema().columns().size());
    assertTrue(evolved.schema().findField("extra").isOptional());
    List<Column> latest = v2.latest();
    IcebergCommitter c2 = new IcebergCommitter(evolved, 5);
    Path path = new Path(evolved.locationProvider().newDataLocation(IcebergCommitter.fileName(1, 0, 1, 1, "b")));
    IcebergPartWriter w = new IcebergPartWriter(evolved, fs, path, latest);
    w.write(new Object[] {100L, "n", true, "added", 1700000000123L});
    long bytes = w.close(null);
    c2.commit(new CommitMark("db1.t1|1|0", 1, 0, 1, null, new BinlogPosition(22), 1, bytes, path.toString()));

    List<List<Object>> rows = IcebergTestRows.read(evolved, latest);
    assertEquals(21, rows.size());
    List<Object> newRow = rows.stream().filter(r -> r.get(0).equals(100L)).findFirst().orElseThrow();
    assertEquals(List.of(100L, "n", true, "added", 1700000000123L), newRow);
    List<Object> old = rows.stream().filter(r -> r.get(0).equals(3L)).findFirst().orElseThrow();
    assertNull(old.get(3));
    assertNull(old.get(4));
    // the same columns again change nothing; a different type is refused with both named
    assertFalse(IcebergSchemas.evolve(evolved, latest));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> IcebergSchemas.evolve(evolved,
        List.of(Column.of("extra", ColumnType.INT))));
    assertTrue(e.getMessage().contains("'extra'"), e.getMessage());
  }

  @Test
  void concurrentSubtasksCommitIntoOneTableExactlyOnce() throws Exception {
    int subtasks = 4;
    int files = 6;
    TableSchema schema = TableSchema.of("db1.t1", Fixtures.ALL_TYPES);
    ExecutorService pool = Executors.newFixedThreadPool(subtasks);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int p = 0; p < subtasks; p++) {
        int pid = p;
        done.add(pool.submit(() -> {
          // each subtask has its own catalog and table object, as on separate nodes
          Table table = open(schema);
          IcebergCommitter committer = new IcebergCommitter(table, 20);
          for (int seq = 0; seq < files; seq++) {
            long from = pid * 1_000_000L + seq * 50L;
            CommitMark m = write(committer, "db1.t1|1|" + pid, pid, seq, from, 50, Fixtures.ALL_TYPES);
            committer.commit(m);
            if (seq % 3 == 0) {
              // a retried commit (as after a crash) changes nothing
              assertEquals(IcebergCommitter.Outcome.ALREADY_COMMITTED, committer.commit(m));
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    Table table = open(schema);
    List<List<Object>> expected = new ArrayList<>();
    for (int pid = 0; pid < subtasks; pid++) {
      expected.addAll(IcebergTestRows.expected(pid * 1_000_000L, files * 50L, 10));
    }
    assertEquals(sorted(expected), sorted(IcebergTestRows.read(table, Fixtures.ALL_TYPES)));
    assertEquals(subtasks * files, IcebergCommitter.history(table).size());
    Set<String> seen = new HashSet<>();
    for (CommitMark m : IcebergCommitter.history(table)) {
      assertTrue(seen.add(m.subtask() + "#" + m.seq()), "committed twice: " + m);
    }
  }

  private static List<List<Object>> sorted(List<List<Object>> rows) {
    List<List<Object>> copy = new ArrayList<>(rows);
    copy.sort((a, b) -> Long.compare((Long) a.get(0), (Long) b.get(0)));
    return Collections.unmodifiableList(copy);
  }
}
