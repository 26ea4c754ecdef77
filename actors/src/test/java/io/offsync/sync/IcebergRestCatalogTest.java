package io.offsync.sync;

import static io.offsync.sync.EndToEndTest.await;
import static io.offsync.sync.EndToEndTest.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.offsync.iceberg.IcebergSettings;
import io.offsync.iceberg.IcebergTables;
import io.offsync.iceberg.RestCatalogServer;
import io.offsync.protocol.openmldb.Type;
import io.offsync.sink.OutputFormat;
import io.offsync.sink.RollPolicy;
import io.offsync.testkit.TabletFixture;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;
import org.apache.pekko.actor.testkit.typed.javadsl.LogCapturingExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Iceberg output through the REST catalog, the second catalog kind: a real REST catalog server on 127.0.0.1
 * (Iceberg's own {@link RestCatalogServer}, reached only over HTTP) and a synctool whose {@code offsync.iceberg}
 * names it. A mode-2 task syncs a table that gets {@code ALTER TABLE ... ADD COLUMN} while it runs (a new schema
 * version in the table's metadata, later rows encoded with it): the Iceberg table evolves through the catalog, and
 * Iceberg's own reader (IcebergGenerics, table loaded through the REST catalog) sees every row exactly once with
 * its content, the new column null on the rows written before the ALTER and set on those after.
 */
@ExtendWith(LogCapturingExtension.class)
class IcebergRestCatalogTest {

  @TempDir static Path work;
  private static RestCatalogServer rest;
  private static SyncCluster sync;
  private static IcebergSettings settings;

  @BeforeAll
  static void start() throws Exception {
    rest = RestCatalogServer.start(new Configuration(), warehouse());
    settings = new IcebergSettings(IcebergSettings.REST, rest.uri(), Map.of(), 100, IcebergSettings.DEFAULT
        .tableProperties(), Duration.ofHours(1), 100);
    sync = SyncCluster.start("IcebergRestCatalogTest", work, ConfigFactory.parseString(
            "offsync.iceberg { catalog-type = rest, catalog-uri = \"" + rest.uri() + "\" }")
        .withFallback(EndToEndTest.nodeConfig(work)), new Configuration(false), env -> env);
  }

  @AfterAll
  static void stop() throws Exception {
    if (sync != null) {
      sync.close();
    }
    if (rest != null) {
      rest.close();
    }
  }

  private static String warehouse() {
    return work.resolve("rest-warehouse").toUri().toString();
  }

  @Test
  void modeTwoThroughTheRestCatalogFollowsAlterAddColumn() throws Exception {
    String name = "rest_evolve";
    int mode = TaskSpec.MODE_FULL_AND_CONTINUOUS;
    try (TabletFixture f = Tablets.table(work.resolve("tablets"), name, 250, 2, sync.zk.client())) {
      Tablets.write(f, 0, 300, Tablets.T0);
      Tablets.snapshot(f);
      Tablets.write(f, 300, 100, Tablets.T0 + 1_000);
      await(sync.tasks.create(new TaskSpec("db1", name, mode, 0, warehouse(), OutputFormat.ICEBERG,
          new RollPolicy(1 << 20, Duration.ofSeconds(30), Duration.ofMillis(300)))));
      awaitCaughtUp(f, mode);

      f.alterAddColumn("note", Type.DataType.kString);
      for (long id = 1_000; id < 1_200; id++) {
        long ts = Tablets.T0 + 20_000 + id;
        f.putAt(ts, id, "user_" + (id % 37), id * 1.25, ts, LocalDate.ofEpochDay(ts / 86_400_000L),
            id % 5 == 0 ? null : id % 2 == 0, "note_" + id);
      }
      f.flush();
      awaitCaughtUp(f, mode);
      await(sync.tasks.delete("db1", name));
      awaitStatus(sync.tasks, name, List::isEmpty);

      Catalog catalog = IcebergTables.catalog(settings, warehouse(), new Configuration());
      Table table = catalog.loadTable(IcebergTables.identifier("db1", name));
      IcebergOutput.assertExactlyOnce(table, f, mode, 0);
      Types.NestedField note = table.schema().findField("note");
      assertTrue(note != null && note.isOptional() && note.type().equals(Types.StringType.get()),
          "the ALTER's column in the Iceberg schema: " + table.schema());
      assertTrue(table.schemas().size() >= 2, "the table evolved: " + table.schemas());
      List<String> wrong = new ArrayList<>();
      int rows = 0;
      try (CloseableIterable<Record> records = IcebergGenerics.read(table).select("id", "user", "amount", "note")
          .build()) {
        for (Record r : records) {
          rows++;
          long id = (Long) r.getField("id");
          Object expectedNote = id >= 1_000 ? "note_" + id : null;
          if (!("user_" + (id % 37)).equals(r.getField("user")) || (Double) r.getField("amount") != id * 1.25
              || !java.util.Objects.equals(expectedNote, r.getField("note"))) {
            wrong.add(r.toString());
          }
        }
      }
      assertEquals(600, rows);
      assertTrue(wrong.isEmpty(), "rows with other content than written: " + wrong);
    }
  }

  private static void awaitCaughtUp(TabletFixture f, int mode) throws Exception {
    awaitStatus(sync.tasks, f.tableInfo().getName(), s -> s.size() == f.partitionCount() && s.stream().allMatch(
        x -> x.rows() == f.expectedRows(x.pid(), mode, 0).size()));
  }
}
