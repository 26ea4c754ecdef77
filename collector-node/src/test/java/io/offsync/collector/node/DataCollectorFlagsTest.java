package io.offsync.collector.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.offsync.collector.CollectorSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataCollectorFlagsTest {

  @TempDir Path dir;

  @Test
  void readsTheShippedFlagsFile() throws Exception {
    Path shipped = Path.of("..", "conf", "data_collector.flags");
    DataCollectorFlags flags = DataCollectorFlags.load(shipped);
    assertEquals("127.0.0.1:8888", flags.endpoint());
    assertEquals("127.0.0.1", flags.host());
    assertEquals(8888, flags.httpPort());
    assertEquals("/openmldb", flags.get("zk_root_path"));
    assertEquals(1048576, flags.longValue("max_pack_size", 1));
    assertEquals(8889, flags.managementPort(), "management defaults to the endpoint's port + 1");
    assertEquals(8889, CollectorNode.config(flags).getInt("pekko.management.http.port"));
    assertEquals(0, DataCollectorFlags.of(Map.of("management_port", "0")).managementPort());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> DataCollectorFlags.of(Map.of("management_port", "http")).managementPort());
    assertTrue(bad.getMessage().contains("management_port"), bad.getMessage());
    CollectorSettings settings = CollectorSettings.fromConfig(CollectorNode.config(flags));
    assertEquals(List.of(Path.of("/tmp/openmldb/db_hdd")), settings.hddRoots());
    assertEquals(1048576, settings.maxPackSize());
  }

  @Test
  void everyKnownKeyIsDocumentedInTheShippedFile() throws Exception {
    String text = Files.readString(Path.of("..", "conf", "data_collector.flags"));
    for (String key : DataCollectorFlags.DEFAULTS.keySet()) {
      assertTrue(text.contains("--" + key + "="), "conf/data_collector.flags does not document " + key);
    }
  }

  @Test
  void parsesCommentsBlankLinesAndCommandLineOverrides() throws Exception {
    Path f = dir.resolve("dc.flags");
    Files.writeString(f, """
        # a comment
        --endpoint=10.0.0.7:9999

          --hdd_root_path=/a, /b
        --max_pack_size=2048
        --task_thread_pool_size=32
        """);
    DataCollectorFlags flags = DataCollectorFlags.load(dir.resolve("absent"), "--flagfile=" + f,
        "--max_pack_size=4096");
    assertEquals("10.0.0.7", flags.host());
    assertEquals(4096, flags.longValue("max_pack_size", 1));
    assertEquals(List.of("task_thread_pool_size"), flags.ignored());
    Config config = CollectorNode.config(flags);
    assertEquals(List.of("collector", "host:10.0.0.7"), config.getStringList("pekko.cluster.roles"));
    // the node joins through ClusterMembership (ZooKeeper's members and the seed flag), not Pekko's seed nodes
    assertEquals(List.of(), config.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of(Path.of("/a"), Path.of("/b")), CollectorSettings.fromConfig(config).hddRoots());
  }

  @Test
  void unknownKeyIsAnErrorNamingIt() throws Exception {
    Path f = dir.resolve("dc.flags");
    Files.writeString(f, "--endpoint=1.2.3.4:8888\n--colector_datadir=/x\n");
    var e = assertThrows(IllegalArgumentException.class, () -> DataCollectorFlags.load(f));
    assertTrue(e.getMessage().contains("colector_datadir"), e.getMessage());
    assertTrue(e.getMessage().contains(":2"), e.getMessage());
  }

  @Test
  void malformedValuesAreErrorsNamingTheFlag() {
    var e1 = assertThrows(IllegalArgumentException.class,
        () -> DataCollectorFlags.of(Map.of("endpoint", "nohost")).endpoint());
    assertTrue(e1.getMessage().contains("endpoint"), e1.getMessage());
    var e2 = assertThrows(IllegalArgumentException.class,
        () -> DataCollectorFlags.of(Map.of("max_pack_size", "big")).longValue("max_pack_size", 1));
    assertTrue(e2.getMessage().contains("max_pack_size"), e2.getMessage());
    var e3 = assertThrows(IllegalArgumentException.class,
        () -> DataCollectorFlags.load(dir.resolve("nope"), "--flagfile=" + dir.resolve("nope")));
    assertTrue(e3.getMessage().contains("does not exist"), e3.getMessage());
  }

  @Test
  void packLargerThanAnArteryFrameIsRefused() {
    DataCollectorFlags flags = DataCollectorFlags.of(Map.of("max_pack_size", String.valueOf(8 << 20)));
    Config config = CollectorNode.config(flags);
    var e = assertThrows(IllegalArgumentException.class,
        () -> CollectorSettings.fromConfig(config).checkFrameSize(config));
    assertTrue(e.getMessage().contains("maximum-frame-size"), e.getMessage());
    CollectorSettings.fromConfig(CollectorNode.config(DataCollectorFlags.of(Map.of())))
        .checkFrameSize(CollectorNode.config(DataCollectorFlags.of(Map.of())));
  }
}
